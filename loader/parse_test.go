//go:build cgo && linux

package loader

import (
	"bufio"
	"bytes"
	"errors"
	"math/rand/v2"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"unicode/utf8"

	"github.com/dockerfile-dotenv/dockerfile-dotenv/dotenv"
	"github.com/dockerfile-dotenv/dockerfile-dotenv/internal/testgen"
)

// The differential tests: the C parts, called through the cgo bridge,
// against package dotenv and the Go standard library the Go loader used.

// goEnviron is what Go's runtime makes of envp (syscall.Environ): no empty
// entries, and only the first entry of a name; entries without '=' kept.
func goEnviron(envp []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, kv := range envp {
		if name, _, ok := strings.Cut(kv, "="); ok {
			if seen[name] {
				continue
			}
			seen[name] = true
		}
		if kv != "" {
			out = append(out, kv)
		}
	}
	return out
}

// compareParse fails t unless the C parser and dotenv.Parse agree on data
// in the environment envp: both refuse it on the same line with the same
// message, or both accept it with the same variables (names, values,
// lines, order) and the same resulting environment.
func compareParse(t testing.TB, data []byte, envp []string) {
	t.Helper()
	env := goEnviron(envp)
	want, wantErr := dotenv.Parse(data, dotenv.EnvLookup(env))
	got, gotEnviron, gotErr := cParse(data, envp)
	if wantErr != nil {
		var e *dotenv.Error
		if !errors.As(wantErr, &e) {
			t.Fatalf("dotenv.Parse: %T %v", wantErr, wantErr)
		}
		var ce *parseError
		if !errors.As(gotErr, &ce) {
			t.Fatalf("%s: the C parser accepts it, dotenv.Parse: %s", short(data), shortErr(wantErr))
		}
		if ce.Line != e.Line || ce.Msg != e.Error() {
			t.Fatalf("%s:\n C  line %d: %s\n Go line %d: %s", short(data), ce.Line, shortErr(ce), e.Line, shortErr(e))
		}
		return
	}
	if gotErr != nil {
		t.Fatalf("%s: the C parser refuses it (%s), dotenv.Parse accepts it", short(data), shortErr(gotErr))
	}
	if !slices.Equal(got, want) {
		t.Fatalf("%s:\n C  %+v\n Go %+v", short(data), got, want)
	}
	if wantEnviron := dotenv.Environ(env, want); !slices.Equal(gotEnviron, wantEnviron) {
		t.Fatalf("%s: the environments differ:\n C  %q\n Go %q", short(data), gotEnviron, wantEnviron)
	}
}

// short quotes data, or its start when it is long (limit files).
func short(data []byte) string {
	if len(data) > 200 {
		return strconv.Quote(string(data[:200])) + "… (" + strconv.Itoa(len(data)) + " bytes)"
	}
	return strconv.Quote(string(data))
}

// shortErr is an error's message, or its start when it is long (a long
// name).
func shortErr(err error) string {
	return short([]byte(err.Error()))
}

// sharedInputs reads dotenv/testdata/inputs.txt: the files of package
// dotenv's case tables and the environment they are parsed in.
func sharedInputs(t testing.TB) (env []string, files [][]byte) {
	t.Helper()
	f, err := os.Open("../dotenv/testdata/inputs.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		kind, lit, _ := strings.Cut(line, " ")
		s, err := strconv.Unquote(lit)
		if err != nil {
			t.Fatalf("inputs.txt: %q: %v", line, err)
		}
		switch kind {
		case "env":
			env = append(env, s)
		case "file":
			files = append(files, []byte(s))
		default:
			t.Fatalf("inputs.txt: %q", line)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(env) == 0 || len(files) < 100 {
		t.Fatalf("inputs.txt: %d env entries, %d files", len(env), len(files))
	}
	return env, files
}

// fuzzCorpus reads the inputs of a Go fuzz corpus directory
// ("go test fuzz v1" files of one []byte).
func fuzzCorpus(t testing.TB, dir string) [][]byte {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var out [][]byte
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSpace(string(b)), "\n")
		if len(lines) != 2 || lines[0] != "go test fuzz v1" || !strings.HasPrefix(lines[1], "[]byte(") || !strings.HasSuffix(lines[1], ")") {
			t.Fatalf("%s: not a corpus file of one []byte", e.Name())
		}
		s, err := strconv.Unquote(strings.TrimSuffix(strings.TrimPrefix(lines[1], "[]byte("), ")"))
		if err != nil {
			t.Fatalf("%s: %v", e.Name(), err)
		}
		out = append(out, []byte(s))
	}
	return out
}

// limitFiles are package dotenv's TestLimits files: values at and over
// MaxEnvString, in every way of reaching it, and MaxTotal.
func limitFiles() [][]byte {
	name := "BIG"
	fits := strings.Repeat("x", dotenv.MaxEnvString-len(name)-2)
	files := []string{
		name + "=" + fits + "\n",
		"A=1\n" + name + "=" + fits + "y\n",
		"A=1\n" + name + "='" + fits + "y'\n",
		"A=" + fits + "\n" + name + "=${A}yyyy\n",
		"A=" + fits + "\n" + name + "=y$A\n",
		"A=1\n" + name + "=\"" + fits[:1000] + "\n" + fits,
		"A=" + strings.Repeat("x", 100000) + "\n" + strings.Repeat("B=$A\n", 50),
		// A name longer than an environment string: no value fits, not
		// even an empty expansion, but an empty value is accepted.
		strings.Repeat("N", dotenv.MaxEnvString) + "=\n",
		strings.Repeat("N", dotenv.MaxEnvString) + "=$EMPTY\n",
		strings.Repeat("N", dotenv.MaxEnvString) + "=$UNSET\n",
		strings.Repeat("N", dotenv.MaxEnvString) + "=''\n",
		strings.Repeat("N", dotenv.MaxEnvString) + "=\"\"''\\\n\n",
		strings.Repeat("N", dotenv.MaxEnvString) + "=\"$UNSET\"\n",
		strings.Repeat("N", dotenv.MaxEnvString) + "=\"\\\n\"\n",
		strings.Repeat("N", dotenv.MaxEnvString) + "=\"\n",
		strings.Repeat("N", dotenv.MaxEnvString) + "='\n",
		strings.Repeat("N", dotenv.MaxEnvString) + "=x\n",
		strings.Repeat("N", dotenv.MaxEnvString-3) + "=x\n",
		strings.Repeat("N", dotenv.MaxEnvString-2) + "=\n",
		// Many assignments: the tables grow.
		strings.Repeat("A=1\nB=$A\n", 20000),
		func() string {
			var b strings.Builder
			for i := 0; i < 30000; i++ {
				b.WriteString("K" + strconv.Itoa(i) + "=$K" + strconv.Itoa(i/2) + "x\n")
			}
			return b.String()
		}(),
	}
	fitsFile, overFile := largeFiles()
	out := [][]byte{fitsFile, overFile}
	for _, f := range files {
		out = append(out, []byte(f))
	}
	return out
}

// genPieces are the bits random files are made of: every character class
// the grammar treats specially, in and out of quotes.
var genPieces = []string{
	"A", "B", "_", "x", "1", "FROM_ENV", "EMPTY", "NL", "UNSET", "HOME", "PATH", "TERM", "PWD", "BASH_X", "HOSTNAME",
	"=", "=", "\n", "\n", "\r\n", "\r", " ", "\t", "#", "export ", "export\t", "export", "'", "'", "\"", "\"", "\\", "\\\n",
	"$", "$A", "${B}", "${", "}", "{", "$FROM_ENV", "$NL", "\"$A\"", "'$B'", ":", "~", "/", "*", "?", "[", "]",
	";", "&", "|", "<", ">", "(", ")", "`", "!", "@", "%", "-", ".", ",", "é", "\u00c1", "\u0100", "😀", "\uFEFF",
	"\x00", "\x01", "\x7f", "\xff", "\xed\xa0\x80", "\xe2\x82", "$(", "$((", "${#", "$'", "$\"", "$1", "$$",
}

// genFile returns a random file of about n pieces, most of them
// assignments.
func genFile(r *rand.Rand, n int) []byte {
	var b bytes.Buffer
	if r.IntN(20) == 0 {
		b.WriteString([]string{"\uFEFF", "\xff\xfe", "\xfe\xff", "A\x00"}[r.IntN(4)])
	}
	for b.Len() < n {
		if r.IntN(3) > 0 {
			b.WriteString([]string{"A=", "B=", "export A=", "x=", "_1=", "PATH=", "1A=", "A-B="}[r.IntN(8)])
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
// testgen.WellFormed (package dotenv's generator too), with NOEQ among the
// names and up to 8 lines.
func genWellFormed(r *rand.Rand) []byte {
	return testgen.WellFormed(r, []string{"A", "B", "x", "_1", "FROM_ENV", "NL", "EMPTY", "UNSET", "HOME", "PATH", "TERM", "NOEQ"}, 8)
}

// envs are environments the files are parsed in: dotenv's, and ones with
// what Go's runtime drops or keeps (duplicates, empty entries, entries
// without '=').
func envs(shared []string) [][]string {
	return [][]string{
		shared,
		nil,
		append(slices.Clone(shared), "HOME=/dup", "", "A=from env", "NOEQ", "=odd", "HOSTNAME=h", "B"),
		{"A", "A=1", "A=2", "FROM_ENV=x y", "PATH=", "EMPTY=", "NL=\n", "TERM=t"},
	}
}

func TestParseMatchesGo(t *testing.T) {
	shared, files := sharedInputs(t)
	files = append(files, fuzzCorpus(t, "../dotenv/testdata/fuzz/FuzzParse")...)
	files = append(files, fuzzCorpus(t, "testdata/fuzz/FuzzParseMatchesGo")...)
	for _, env := range envs(shared) {
		for _, f := range files {
			compareParse(t, f, env)
		}
	}
	for _, f := range limitFiles() {
		compareParse(t, f, shared)
	}
	n := 40000
	if testing.Short() {
		n = 4000
	}
	r := rand.New(rand.NewPCG(7, uint64(n)))
	refused := 0
	for i := 0; i < n; i++ {
		f := genFile(r, 1+r.IntN(60))
		if i%2 == 1 {
			f = genWellFormed(r)
		}
		if _, err := dotenv.Parse(f, nil); err != nil {
			refused++
		}
		compareParse(t, f, envs(shared)[i%4])
	}
	t.Logf("%d shared files in %d environments, %d limit files, %d random files (%d refused)", len(files), len(envs(shared)), len(limitFiles()), n, refused)
}

// FuzzParseMatchesGo: the C parser and dotenv.Parse agree on every input.
// Its seeds (package dotenv's tables and fuzz corpus) run in make test;
// go test -run='^$' -fuzz=FuzzParseMatchesGo ./loader/ explores.
func FuzzParseMatchesGo(f *testing.F) {
	shared, files := sharedInputs(f)
	for _, s := range files {
		f.Add(s)
	}
	for _, s := range fuzzCorpus(f, "../dotenv/testdata/fuzz/FuzzParse") {
		f.Add(s)
	}
	env := envs(shared)[2]
	f.Fuzz(func(t *testing.T, data []byte) {
		compareParse(t, data, env)
	})
}

// TestEnvironAsGo: the environment the C loader keeps of envp is the one
// Go's runtime kept (syscall.Environ).
func TestEnvironAsGo(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	pieces := []string{"A", "B", "=", "", "x", "==", "PATH", "é"}
	for i := 0; i < 2000; i++ {
		var envp []string
		for k := r.IntN(8); k > 0; k-- {
			var b strings.Builder
			for j := r.IntN(4); j > 0; j-- {
				b.WriteString(pieces[r.IntN(len(pieces))])
			}
			envp = append(envp, b.String())
		}
		if got, want := cEnviron(envp), goEnviron(envp); !slices.Equal(got, want) {
			t.Fatalf("%q: C %q, Go %q", envp, got, want)
		}
	}
}

// TestQuoteMatchesGo: text_quote is strconv.Quote, for every rune (the
// printable table is Go's) and for bytes that are not UTF-8.
func TestQuoteMatchesGo(t *testing.T) {
	var b strings.Builder
	flush := func() {
		if got, want := cQuote(b.String()), strconv.Quote(b.String()); got != want {
			// Find the rune that differs.
			for _, r := range b.String() {
				if g, w := cQuote(string(r)), strconv.Quote(string(r)); g != w {
					t.Fatalf("U+%04X: C %s, Go %s", r, g, w)
				}
			}
			t.Fatalf("C %.200s…, Go %.200s…", got, want)
		}
		b.Reset()
	}
	for r := rune(1); r <= utf8.MaxRune; r++ {
		if utf8.ValidRune(r) {
			b.WriteRune(r)
		}
		if b.Len() > 1<<14 {
			flush()
		}
	}
	flush()
	rnd := rand.New(rand.NewPCG(5, 6))
	alphabet := []byte{0x80, 0xbf, 0xc0, 0xc1, 0xc2, 0xdf, 0xe0, 0xe1, 0xed, 0xee, 0xef, 0xf0, 0xf1, 0xf4, 0xf5, 0xff, 0x9f, 0xa0, 0x8f, 0x90, 'a', '"', '\\', 0x01, 0x7f}
	for i := 0; i < 100000; i++ {
		s := make([]byte, 1+rnd.IntN(6))
		for j := range s {
			s[j] = alphabet[rnd.IntN(len(alphabet))]
		}
		if got, want := cQuote(string(s)), strconv.Quote(string(s)); got != want {
			t.Fatalf("%x: C %s, Go %s", s, got, want)
		}
	}
}

// TestErrnoTextsAsGo: the C table has Go's text for every errno it has;
// the others are "errno N" (Go has a text for them: listed).
func TestErrnoTextsAsGo(t *testing.T) {
	var missing []string
	for e := 0; e < 200; e++ {
		got, has := cErrno(e)
		want := syscall.Errno(e).Error()
		switch {
		case has && got != want:
			t.Errorf("errno %d: C %q, Go %q", e, got, want)
		case !has && got != "errno "+strconv.Itoa(e):
			t.Errorf("errno %d: C %q without a text", e, got)
		case !has && want != got:
			missing = append(missing, strconv.Itoa(e)+" "+want)
		}
	}
	for _, e := range []syscall.Errno{syscall.ENOENT, syscall.EACCES, syscall.ENOEXEC, syscall.E2BIG, syscall.ENOTDIR, syscall.EISDIR,
		syscall.ELOOP, syscall.ENAMETOOLONG, syscall.ETXTBSY, syscall.EPERM, syscall.EIO, syscall.ENOMEM} {
		if _, has := cErrno(int(e)); !has {
			t.Errorf("errno %d (%v) has no text", int(e), e)
		}
	}
	t.Logf("worded \"errno N\" as not expected from open, read, stat, faccessat, execve: %s", strings.Join(missing, "; "))
}

// TestExecFailureAsGo: exec_failure words a failed execve as run.go does.
func TestExecFailureAsGo(t *testing.T) {
	for _, e := range []syscall.Errno{syscall.ENOENT, syscall.ENOTDIR, syscall.EACCES, syscall.ENOEXEC, syscall.E2BIG, syscall.ETXTBSY, syscall.ELOOP, syscall.Errno(200)} {
		code, msg := cExecFailure("/bin/x y", int(e), " (with the variables of secret _env)")
		want := "exec /bin/x y: " + e.Error()
		if e == syscall.E2BIG {
			want += " (with the variables of secret _env)"
		}
		wantCode := dotenv.ExitCannotRun
		if e == syscall.ENOENT || e == syscall.ENOTDIR {
			wantCode = dotenv.ExitNotFound
		}
		if code != wantCode || msg != want {
			t.Errorf("%d: %d %q, want %d %q", int(e), code, msg, wantCode, want)
		}
	}
}

// TestPathJoinAsGo: path_join is path.Join, which lookPath used.
func TestPathJoinAsGo(t *testing.T) {
	parts := []string{"", "/", "//", ".", "..", "a", "a/", "/a", "a/..", "../a", "a/./b", "a//b/", "/../a", "x/../../y", "...", ".a", "a.", "./", "/./", "a/b/../../.."}
	for _, dir := range parts {
		if dir == "" {
			continue // lookPath makes an empty entry "."
		}
		for _, file := range parts {
			if got, want := cPathJoin(dir, file), path.Join(dir, file); got != want {
				t.Errorf("path_join(%q, %q) = %q, path.Join %q", dir, file, got, want)
			}
		}
	}
}

// TestLookPathAsGo: look_path finds what os/exec.LookPath (runc's) finds,
// and fails with its words (cmd/dotenv-loader's TestLookPathAsGo).
func TestLookPathAsGo(t *testing.T) {
	dir := t.TempDir()
	for name, mode := range map[string]os.FileMode{"tool": 0o755, "plain": 0o644, "other": 0o700} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("#!/bin/sh\n"), mode); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	for _, p := range []string{"", dir, "/nonexistent:" + dir, dir + "//", "/usr/bin:/bin", ":/bin", "/bin:", "/nonexistent", ":", dir + "/sub/.."} {
		t.Setenv("PATH", p)
		for _, name := range []string{"tool", "plain", "other", "sub", "sh", "ls", "missing", "./tool", "./plain", "sub/", dir + "/tool", "/nonexistent/x", "", "..", "tool/x"} {
			got, code, msg := cLookPath(name, p)
			want, wantErr := exec.LookPath(name)
			if errors.Is(wantErr, exec.ErrDot) {
				wantErr = nil // runc runs what it finds relative to the working directory
			}
			if got != want || (msg == "") != (wantErr == nil) {
				t.Errorf("PATH=%q %q: look_path %q %q, exec.LookPath %q %v", p, name, got, msg, want, wantErr)
			}
			var ee *exec.Error
			if msg != "" && errors.As(wantErr, &ee) {
				if w := "exec: " + strconv.Quote(name) + ": " + ee.Err.Error(); msg != w {
					t.Errorf("PATH=%q %q: look_path says %q, exec.LookPath %q", p, name, msg, w)
				}
				wantCode := dotenv.ExitCannotRun
				if errors.Is(ee.Err, exec.ErrNotFound) || errors.Is(ee.Err, syscall.ENOENT) || errors.Is(ee.Err, syscall.ENOTDIR) {
					wantCode = dotenv.ExitNotFound
				}
				if code != wantCode {
					t.Errorf("PATH=%q %q: exit %d, want %d", p, name, code, wantCode)
				}
			}
		}
	}
}

// TestAccessFallback: where faccessat2 is missing, the check agrees with
// the kernel's (for the user the tests run as).
func TestAccessFallback(t *testing.T) {
	dir := t.TempDir()
	for _, mode := range []os.FileMode{0, 0o100, 0o010, 0o001, 0o644, 0o755, 0o700, 0o070, 0o007} {
		f := filepath.Join(dir, "m"+strconv.FormatUint(uint64(mode), 8))
		if err := os.WriteFile(f, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(f, mode); err != nil {
			t.Fatal(err)
		}
		kernel := syscall.Faccessat(-100, f, 1, 0x200) // AT_FDCWD, X_OK, AT_EACCESS
		if got := cAccessFallback(f); (got == 0) != (kernel == nil) {
			t.Errorf("mode %o: fallback %d, kernel %v", mode, got, kernel)
		}
	}
	if got := cAccessFallback(filepath.Join(dir, "missing")); got != int(syscall.ENOENT) {
		t.Errorf("a missing file: %d", got)
	}
}
