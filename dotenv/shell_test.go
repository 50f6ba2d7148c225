package dotenv

import (
	"bytes"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/dockerfile-dotenv/dockerfile-dotenv/internal/testgen"
)

// refShell is a /bin/sh that images ship: Debian's dash, busybox ash
// (alpine, busybox, distroless :debug) and bash in POSIX mode.
type refShell struct {
	name string
	argv []string // without the -c script
}

var (
	findShellsOnce sync.Once
	foundShells    []refShell
	missingShells  []string
	envProgram     string
)

// findShells looks for the reference shells once.
func findShells() (found []refShell, missing []string) {
	findShellsOnce.Do(func() {
		envProgram, _ = exec.LookPath("env")
		busybox, err := exec.LookPath("busybox")
		if err != nil {
			busybox = "/bin/busybox" // busybox-static, outside some PATHs
		}
		for _, s := range []refShell{
			{"dash", []string{"dash"}},
			{"busybox sh", []string{busybox, "sh"}},
			{"bash --posix", []string{"bash", "--posix"}},
		} {
			if p, err := exec.LookPath(s.argv[0]); err == nil {
				s.argv[0] = p
				foundShells = append(foundShells, s)
			} else {
				missingShells = append(missingShells, s.name)
			}
		}
	})
	return foundShells, missingShells
}

// shells returns the reference shells; the differential tests skip,
// saying which is missing, unless all are installed (make tools installs
// them).
func shells(t testing.TB) []refShell {
	t.Helper()
	found, missing := findShells()
	if envProgram == "" {
		t.Skip("env(1) is not installed: cannot compare with the shells")
	}
	if len(missing) > 0 {
		t.Skipf("not installed: %s (make tools installs them; busybox is apt's busybox-static)", strings.Join(missing, ", "))
	}
	return found
}

// shellIgnores are the variables a shell adds or rewrites on its own.
var shellIgnores = []string{"PWD", "SHLVL", "_", "OLDPWD"}

// shellEnviron sources file the way the documented boilerplate does, in
// env, and returns the environment the shell would exec a command with,
// sorted. ok is false when the shell fails or prints anything.
func shellEnviron(t testing.TB, sh refShell, dir string, file []byte, env []string) (vars []string, diag string, ok bool) {
	t.Helper()
	path := filepath.Join(dir, "file")
	if err := os.WriteFile(path, file, 0o600); err != nil {
		t.Fatal(err)
	}
	argv := append(slices.Clone(sh.argv), "-c", `set -a; . ./file; exec "$0" -0`, envProgram)
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir, cmd.Env = dir, env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if err != nil || !onlyLocaleWarnings(stderr.String()) {
		return nil, strings.TrimSpace(stderr.String()) + " " + errString(err), false
	}
	for _, kv := range strings.Split(strings.TrimSuffix(stdout.String(), "\x00"), "\x00") {
		name, _, _ := strings.Cut(kv, "=")
		if kv != "" && !slices.Contains(shellIgnores, name) {
			vars = append(vars, kv)
		}
	}
	slices.Sort(vars)
	return vars, "", true
}

// onlyLocaleWarnings: nothing on stderr but bash's warnings for a LANG or
// LC_ variable naming a locale that is not installed: a log line of the
// boilerplate, not a different value.
func onlyLocaleWarnings(stderr string) bool {
	for _, line := range strings.Split(strings.TrimSuffix(stderr, "\n"), "\n") {
		if line != "" && !strings.Contains(line, ": warning: setlocale: ") {
			return false
		}
	}
	return true
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// asShellReads is what the shells must read to give a file's values: the
// file without its BOM and with CRLF as LF (Parse's promise for those).
func asShellReads(file []byte) []byte {
	file = bytes.TrimPrefix(file, []byte("\uFEFF"))
	return bytes.ReplaceAll(file, []byte("\r\n"), []byte("\n"))
}

// parseEnviron is what the loader execs with: file's variables on env.
func parseEnviron(file []byte, env []string) ([]string, error) {
	vars, err := Parse(file, EnvLookup(env))
	if err != nil {
		return nil, err
	}
	out := Environ(env, vars)
	slices.Sort(out)
	return out, nil
}

// compareWithShells fails t unless every reference shell gives exactly
// the environment Parse does for file (which Parse must accept).
func compareWithShells(t testing.TB, dir string, file []byte) {
	t.Helper()
	want, err := parseEnviron(file, testEnv)
	if err != nil {
		t.Fatalf("Parse(%q): %v", file, err)
	}
	for _, sh := range shells(t) {
		got, diag, ok := shellEnviron(t, sh, dir, asShellReads(file), testEnv)
		if !ok {
			t.Errorf("%s fails on %q, which Parse accepts: %s", sh.name, file, diag)
			continue
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s and Parse differ on %q:\n shell %q\n Parse %q", sh.name, file, got, want)
		}
	}
}

// corpus: well-formed files, everything the platform's documentation shows
// and what users write. FuzzParse starts from it too.
var corpus = []string{
	"",
	"A=b\n",
	"A=b",
	"# comment\n\n  # indented comment\nA=1\n\n",
	"PIP_INSTALL_ARG=\"--index-url https://__token__:glpat-AbC_12-xyz@gitlab.example.com/api/v4/groups/1234/-/packages/pypi/simple\"\nOTHER_ENV_VAR=\"Something else\"\n",
	"PIP_INSTALL_ARG='--index-url https://__token__:<token>@gitlab.example.com/api/v4/groups/<id>/-/packages/pypi/simple'\n",
	"export PIP_INSTALL_ARG=\"--extra-index-url https://u:p@x/simple\"\nexport\tOTHER=1\n  export  THIRD=3 # c\n",
	// tokens with characters sh treats specially, quoted as they must be
	"TOKEN='aB3$x\\y\"z>k&l;m#n=o|p<q(r)s`t`u*v?w[x]~'\n",
	"TOKEN=\"aB3\\$x\\\\y\\\"z>k&l;m#n=o|p<q(r)s\\`t\\`u*v?w[x]~'\"\n",
	"DB_PASSWORD='aB3>kL9-secret'\nP2=\"aB3&cd\"\nP3='pa$$word'\nP4=\"pa\\$\\$word\"\n",
	"A=b#c\nB=c #d\nC=#e\nD='x'#y\nE=\"#\"\n",
	"A=a\\ b\\\"c\\'d\\\\e\\$f\\#g\\;h\\&i\\>j\\(k\\)l\\|m\\<n\\`o\\~p\\*q\n",
	"A=\\~\nB=x:\\~\nC=a~b\nD=\"~\"\nE='~'\nF=\":\"~\nG=\"\"~\nH=\\:~\n",
	"A=line\\\ncontinued\nB=\"in\\\nquotes\"\nC=\\\nD=1\nE=x\\\n # comment after a continuation\n",
	"A=\"x\\y\\$\\`\\\"\\\\\\a\\n\\t\\'\"\n",
	"CERT=\"-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUJ3+/=\nABCDEF\n-----END CERTIFICATE-----\"\nNEXT=1\n",
	"KEY='-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ\n-----END OPENSSH PRIVATE KEY-----\n'\n",
	"A=1\r\nB=\"2\r\n3\"\r\n\r\n# c\r\nexport C='4'\r\nD=x\\\r\ny\r\n",
	"A=1\nB=2\r\nC=3\nD='4\r\n5\n6'\r\n",
	"\uFEFFA=1\nB=2\n",
	"\uFEFFA=1\r\nB=2\r\n",
	"A=1\nB=$A\nC=${A}x\nD=\"$A-${B}_$C\"\nA=2\nE=$A$A\n",
	"A=$FROM_ENV\nB=\"$FROM_ENV\"\nC=${FROM_ENV}\nexport D=$FROM_ENV\nE=$NL\nF=$EMPTY\nG=$UNSET\nH=\"$UNSET\"\n",
	"PATH=/opt/tool/bin:$PATH\nHOME=/h\nH2=$HOME\nT=$TERM\nSHELL=/bin/sh\nS=$SHELL\nLANG=C\n",
	"A_B=1\nA=2\nC=$A_B$A-$A_\nD=$A.$A/$A:$A=$A@\n",
	"A=é€😀\nB='ü\nß'\nC=\"ö\\ä\"\nD=\\é\nE=\u00c1\u0100\u0101\u0102\u0103\u0104\u0105\u0106\u0107\u0108\n",
	"A=*\nB=a*\nC=?\nD=[a]\nE={a,b}\nF=!x\nG=%^+,-./:=@]}\n",
	"export A=*\nexport B=a*b?\nexport C=$FROM_ENV\n",
	"if=1\nthen=2\nexport=3\nexport export=4\nfor=5\ncase=6\n",
	"ENV=production\nBASH_ENV=/etc/profile\nCDPATH=/x\nMAIL=/m\nHISTFILE=/h\nLC_ALL=C.UTF-8\nTZ=UTC\nHOSTNAME=builder\nTERM=dumb\n",
	"A=\nB=''\nC=\"\"\nD= \nE=\t# c\n",
	"A='multi\n\nline'\nB=\"also\n\tindented\n\"\n",
	"A=x'y'\"z\"w\nB='a'\\''b'\nC=\"a\"'\"'\"b\"\n",
}

func TestParseMatchesShells(t *testing.T) {
	shells(t)
	dir := t.TempDir()
	for _, file := range corpus {
		compareWithShells(t, dir, []byte(file))
	}
	big := "BIG='" + strings.Repeat("0123456789abcdef", 8000) + "'\n"
	compareWithShells(t, dir, []byte(big))
}

// shellsDisagree: files the shells disagree on.
var shellsDisagree = []string{
	"A=$'x'\n",         // dash: $x, busybox and bash: x
	"A=$\"x\"\n",       // bash: x (locale translation)
	"export A={a,b}\n", // bash: b (brace expansion)
	"A=$LINENO\n",      // dash: empty
	"A=$HOSTNAME\n",    // not in the environment: dash empty, the others the host's name
	"A=$RANDOM\n",      // random
	"PPID=1\n",         // bash: read-only
	"RANDOM=1\n",       // bash: dynamic
	"LINENO=1\n",       // bash: dynamic
}

// TestShellsDisagree: what Parse refuses because the shells disagree, they
// do disagree here (or one fails). It keeps those refusals honest as
// shells change. (Other refusals are for what runs a command or is never
// written on purpose; tilde expansion is refused for simplicity: $HOME is
// the same.)
func TestShellsDisagree(t *testing.T) {
	sh := shells(t)
	dir := t.TempDir()
	for _, file := range shellsDisagree {
		if _, err := parseEnviron([]byte(file), testEnv); err == nil {
			t.Errorf("Parse accepts %q", file)
		}
		var first []string
		agree := true
		for i, s := range sh {
			got, _, ok := shellEnviron(t, s, dir, []byte(file), testEnv)
			if i == 0 {
				first = got
			}
			agree = agree && ok && slices.Equal(got, first)
		}
		if agree {
			t.Errorf("the shells agree on %q: Parse need not refuse it", file)
		}
	}
}

// genPieces are the bits random files are made of: every character class
// the grammar treats specially, in and out of quotes.
var genPieces = []string{
	"A", "B", "_", "x", "1", "FROM_ENV", "EMPTY", "NL", "UNSET", "HOME", "PATH", "TERM",
	"=", "=", "\n", "\n", "\r\n", " ", "\t", "#", "export ", "'", "'", "\"", "\"", "\\", "\\\n",
	"$", "$A", "${B}", "${", "}", "{", "$FROM_ENV", "$NL", "\"$A\"", "'$B'", ":", "~", "/", "*", "?", "[", "]",
	";", "&", "|", "<", ">", "(", ")", "`", "!", "@", "%", "-", ".", ",", "é", "\u00c1", "\u0100", "😀", "\uFEFF",
}

// genFile returns a random file of n pieces, most of them assignments.
func genFile(r *rand.Rand, n int) []byte {
	var b bytes.Buffer
	for b.Len() < n {
		if r.IntN(3) > 0 {
			b.WriteString([]string{"A=", "B=", "export A=", "x=", "_1="}[r.IntN(5)])
		}
		for k := r.IntN(6); k >= 0; k-- {
			b.WriteString(genPieces[r.IntN(len(genPieces))])
		}
		if r.IntN(2) == 0 {
			b.WriteString("\n")
		}
	}
	return b.Bytes()
}

// genWellFormed returns a random file that is mostly well formed:
// testgen.WellFormed with the names of the environments here.
func genWellFormed(r *rand.Rand) []byte {
	return testgen.WellFormed(r, []string{"A", "B", "x", "_1", "FROM_ENV", "NL", "EMPTY", "UNSET", "HOME", "PATH", "TERM"}, 6)
}

// TestRandomFilesMatchShells compares Parse with the shells on random
// files built from the grammar's pieces: most are refused, every accepted
// one must match. DOTENV_RANDOM_FILES sets how many (default 300; each accepted one runs three shells).
func TestRandomFilesMatchShells(t *testing.T) {
	sh := shells(t)
	n := 300
	if s := os.Getenv("DOTENV_RANDOM_FILES"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	if testing.Short() {
		n = 200
	}
	r := rand.New(rand.NewPCG(1, uint64(n)))
	dir := t.TempDir()
	accepted := 0
	for i := 0; i < n; i++ {
		file := genFile(r, 1+r.IntN(40))
		if i%2 == 1 {
			file = genWellFormed(r)
		}
		want, err := parseEnviron(file, testEnv)
		if err != nil {
			continue
		}
		accepted++
		for _, s := range sh {
			got, diag, ok := shellEnviron(t, s, dir, asShellReads(file), testEnv)
			if !ok {
				t.Fatalf("%s fails on %q, which Parse accepts: %s", s.name, file, diag)
			}
			if !slices.Equal(got, want) {
				t.Fatalf("%s and Parse differ on %q:\n shell %q\n Parse %q", s.name, file, got, want)
			}
		}
	}
	t.Logf("%d of %d random files accepted and equal in every shell", accepted, n)
}

// TestAllowedNamesMatchShells: names the shells know but Parse accepts are
// assigned and expanded alike in every shell.
func TestAllowedNamesMatchShells(t *testing.T) {
	shells(t)
	dir := t.TempDir()
	for _, name := range []string{
		"ENV", "BASH_ENV", "HOME", "PATH", "TERM", "SHELL", "HOSTNAME", "CDPATH", "MAIL", "MAILPATH", "MAILCHECK",
		"HISTFILE", "HISTSIZE", "HISTFILESIZE", "HISTCONTROL", "TMOUT", "TMPDIR", "COLUMNS", "LINES", "FUNCNEST",
		"CHILD_MAX", "IGNOREEOF", "TIMEFORMAT", "PS0", "INPUTRC", "GLOBIGNORE", "FCEDIT", "EDITOR", "LANG", "LC_ALL",
		"LC_CTYPE", "TZ", "USER", "LOGNAME", "NLSPATH", "PWD_", "IFS_", "PPID2",
	} {
		value := "7"
		if strings.HasPrefix(name, "LC_") || name == "LANG" {
			value = "C"
		}
		compareWithShells(t, dir, []byte(name+"="+value+"\nX=$"+name+"\nY=\"${"+name+"}\"\n"))
	}
}
