package llb

import (
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/loader-v*.golden")

// TestLoaderFrozen pins what each loader version adds to a RUN: it is part
// of the cache key of every wrapped RUN of every user. A change must come
// with a new loader version. (Loader v2's program is pinned by its bytes in
// the image, which BuildKit keys the RUN by.)
func TestLoaderFrozen(t *testing.T) {
	s := Secret{ID: "_env", Target: "/run/secrets/_env"}
	r := Secret{ID: "_env", Target: "/run/secrets/_env", Required: true}
	m := Secret{ID: "_env", Target: "/run/secrets/_env", Required: true, Mask: true}
	compareFrozen(t, "loader-v1.golden", "# LoaderVersion "+strconv.Itoa(LoaderShell)+"\n"+
		"# id=_env target=/run/secrets/_env\n"+loaderV1Args(s, "/bin/sh")[2]+"\n"+
		"# id=_env target=/run/secrets/_env required\n"+loaderV1Args(r, "/bin/sh")[2]+"\n")
	compareFrozen(t, "loader-v2.golden", "# LoaderVersion "+strconv.Itoa(LoaderProgram)+"\n"+
		"# the program: "+LoaderInImage+" of the frontend image, mounted read-only at "+LoaderPath+"\n"+
		"# exits "+strconv.Itoa(ExitLoadFailed)+" when it cannot load the secret\n"+
		strings.Join(loaderV2Args(s, []string{"<argv>"}), " ")+"\n"+
		strings.Join(loaderV2Args(r, []string{"<argv>"}), " ")+"\n"+
		strings.Join(loaderV2Args(m, []string{"<argv>"}), " ")+"\n")
}

func compareFrozen(t *testing.T, name, got string) {
	t.Helper()
	file := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Fatalf("%s: the loader changed: this rebuilds every wrapped RUN of every user.\n"+
			"If that is intended, add a loader version, note it in the README and CHANGELOG, and run go test ./llb -update.\ngot:\n%s", name, got)
	}
}

// shells are the /bin/sh implementations images ship: Debian's dash,
// busybox ash (alpine, busybox) and bash in POSIX mode (some distros).
var shells = [][]string{{"dash"}, {"busybox", "sh"}, {"bash", "--posix"}}

// runLoader runs the loader with each shell against a dotenv file holding
// content (nil: no file), in front of cmd; it returns each shell's output.
func runLoader(t *testing.T, content []byte, required bool, cmd ...string) map[string]result {
	t.Helper()
	dir := t.TempDir()
	target := filepath.Join(dir, "env")
	if content != nil {
		if err := os.WriteFile(target, content, 0o444); err != nil {
			t.Fatal(err)
		}
	}
	args := loaderV1Args(Secret{ID: "_env", Target: target, Required: required}, "/bin/sh")
	out := map[string]result{}
	for _, sh := range shells {
		if _, err := exec.LookPath(sh[0]); err != nil {
			t.Skipf("%s is not installed, and loader v1 is tested under each of dash, busybox sh and bash (make tools installs them)", sh[0])
		}
		c := exec.Command(sh[0], append(append(sh[1:], args[1:]...), cmd...)...)
		c.Env = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "FROM_ENV=image"}
		var stdout, stderr strings.Builder
		c.Stdout, c.Stderr = &stdout, &stderr
		err := c.Run()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		out[strings.Join(sh, " ")] = result{stdout.String(), stderr.String(), code}
	}
	return out
}

type result struct {
	stdout, stderr string
	code           int
}

func TestLoaderLoads(t *testing.T) {
	cases := []struct {
		name, content, want string
	}{
		{"seed example", "PIP_INSTALL_ARG=\"--index-url https://__token__:tok@gitlab.example.com/simple\"\nOTHER_ENV_VAR=\"Something else\"\n",
			"PIP_INSTALL_ARG=--index-url https://__token__:tok@gitlab.example.com/simple|OTHER_ENV_VAR=Something else|"},
		{"export, comments, blank lines, no final newline", "# comment\n\nexport PIP_INSTALL_ARG=a\n  OTHER_ENV_VAR='b c'",
			"PIP_INSTALL_ARG=a|OTHER_ENV_VAR=b c|"},
		{"CRLF", "PIP_INSTALL_ARG=a\r\n\r\n# c\r\nexport OTHER_ENV_VAR=\"b c\"\r\n",
			"PIP_INSTALL_ARG=a|OTHER_ENV_VAR=b c|"},
		{"multi-line value", "PIP_INSTALL_ARG=\"line1\nline2\"\nOTHER_ENV_VAR=x\n",
			"PIP_INSTALL_ARG=line1\nline2|OTHER_ENV_VAR=x|"},
		{"overrides the image's ENV", "FROM_ENV=dotenv\n", "FROM_ENV=dotenv|"},
		{"empty file", "", "PIP_INSTALL_ARG=|FROM_ENV=image|"},
	}
	// env prints what the exec'd process (not the loader's shell) sees.
	show := []string{"sh", "-c", `for v in PIP_INSTALL_ARG OTHER_ENV_VAR FROM_ENV; do eval "x=\${$v+set}"; [ -n "$x" ] || continue; printf '%s=%s|' "$v" "$(printenv $v)"; done; printenv _dotenv_l >/dev/null && echo LEAKED-LOADER-VAR; :`}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for sh, r := range runLoader(t, []byte(tc.content), false, show...) {
				want := tc.want
				if !strings.Contains(want, "FROM_ENV") {
					want += "FROM_ENV=image|"
				}
				want = strings.Replace(want, "PIP_INSTALL_ARG=|", "", 1)
				if r.stdout != want || r.code != 0 || r.stderr != "" {
					t.Errorf("%s: stdout %q (want %q), stderr %q, exit %d", sh, r.stdout, want, r.stderr, r.code)
				}
			}
		})
	}
}

// TestLoaderMalformed: a bad file fails the step, names the secret, and
// never prints any part of a value.
func TestLoaderMalformed(t *testing.T) {
	for _, content := range []string{
		"TOKEN=abc s3cr3t-def\n",                 // sh would run s3cr3t-def and print "s3cr3t-def: not found"
		"TOKEN=\"s3cr3t-unterminated\nOTHER=1\n", // syntax error
		"A=1\r\nTOKEN=abc s3cr3t-def\r\n",        // the same in a CRLF file
		"TOKEN=s3cr3t-value\nexit 0\n",           // must not skip the RUN with success
	} {
		for sh, r := range runLoader(t, []byte(content), false, "echo", "RAN") {
			if r.code == 0 || strings.Contains(r.stdout, "RAN") {
				t.Errorf("%s %q: the step ran (exit %d)", sh, content, r.code)
			}
			if !strings.Contains(r.stderr, "secret _env is not a valid dotenv file") {
				t.Errorf("%s %q: stderr %q does not name the secret", sh, content, r.stderr)
			}
			if strings.Contains(r.stderr+r.stdout, "s3cr3t") {
				t.Errorf("%s %q: output shows part of a value: %q", sh, content, r.stderr)
			}
		}
	}
}

func TestLoaderMissing(t *testing.T) {
	for sh, r := range runLoader(t, nil, false, "sh", "-c", `echo "ran:${PIP_INSTALL_ARG-unset}"`) {
		if r.stdout != "ran:unset\n" || r.code != 0 {
			t.Errorf("%s: optional secret missing: %+v", sh, r)
		}
	}
	for sh, r := range runLoader(t, nil, true, "echo", "RAN") {
		want := "secret _env is required: pass it with --secret id=_env,src=<dotenv file>"
		if r.code == 0 || strings.Contains(r.stdout, "RAN") || !strings.Contains(r.stderr, want) {
			t.Errorf("%s: required secret missing: %+v", sh, r)
		}
	}
}

// TestLoaderKeepsArgvAndExitCode: the user's argv arrives untouched (no
// re-splitting or globbing) and its exit code is the step's.
func TestLoaderKeepsArgvAndExitCode(t *testing.T) {
	for sh, r := range runLoader(t, []byte("A=1\n"), false, "sh", "-c", `printf '[%s]' "$@"; exit 7`, "name", "a b", "*", "$A") {
		if r.stdout != "[a b][*][$A]" || r.code != 7 {
			t.Errorf("%s: %+v", sh, r)
		}
	}
}

// TestUserArgs: the argv the user wrote, from a wrapped step's argv.
func TestUserArgs(t *testing.T) {
	user := []string{"/bin/sh", "-c", `make "all"`}
	s := Secret{ID: "_env", Target: "/run/secrets/_env", Required: true}
	for _, shell := range []string{"/bin/sh", "/busybox/sh"} {
		if got := UserArgs(append(loaderV1Args(s, shell), user...)); !slices.Equal(got, user) {
			t.Errorf("v1 under %s: got %q", shell, got)
		}
	}
	if got := UserArgs(loaderV2Args(s, user)); !slices.Equal(got, user) {
		t.Errorf("v2: got %q", got)
	}
	if got := UserArgs(loaderV2Args(Secret{ID: "_env", Target: "/run/secrets/_env", Mask: true}, user)); !slices.Equal(got, user) {
		t.Errorf("v2 with --mask: got %q", got)
	}
	if got := UserArgs(loaderV2Args(s, []string{"/app", "--", "x"})); !slices.Equal(got, []string{"/app", "--", "x"}) {
		t.Errorf("v2, argv with --: got %q", got)
	}
	if got := UserArgs(user); !slices.Equal(got, user) {
		t.Errorf("unwrapped: got %q", got)
	}
}

func TestLoaderShell(t *testing.T) {
	for _, tc := range []struct {
		argv []string
		want string
	}{
		{[]string{"/bin/sh", "-c", "make"}, "/bin/sh"},
		{[]string{"/busybox/sh", "-c", "make"}, "/busybox/sh"},             // distroless :debug
		{[]string{"/usr/bin/dash", "-e", "-c", "make"}, "/usr/bin/dash"},   // SHELL with options
		{[]string{"/bin/bash", "-o", "pipefail", "-c", "make"}, "/bin/sh"}, // bash would read $BASH_ENV twice
		{[]string{"/usr/bin/make", "all"}, "/bin/sh"},                      // exec form
		{[]string{"bash", "-c", "make"}, "/bin/sh"},                        // found on PATH: not known here
		{[]string{"/usr/bin/pwsh", "-c", "make"}, "/bin/sh"},               // not a POSIX shell
		{[]string{"/bin/zsh", "-c", "make"}, "/bin/sh"},                    // not tested with the loader
		{nil, "/bin/sh"},
	} {
		if got := loaderShell(tc.argv); got != tc.want {
			t.Errorf("loaderShell(%q) = %s, want %s", tc.argv, got, tc.want)
		}
	}
}
