//go:build linux

package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/dockerfile-dotenv/dockerfile-dotenv/dotenv"
)

// buildFlags build the loader as the frontend image does: static,
// stripped, without paths, VCS stamp or build id, so its bytes depend on
// the source and the Go version only.
var buildFlags = []string{"build", "-trimpath", "-buildvcs=false", "-ldflags=-s -w -buildid="}

var (
	buildOnce sync.Once
	loaderBin string
	buildErr  error
)

// loader builds the loader once for the package's tests.
func loader(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "dotenv-loader")
		if err != nil {
			buildErr = err
			return
		}
		loaderBin = filepath.Join(dir, "dotenv-loader")
		buildErr = goBuild(".", loaderBin)
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return loaderBin
}

func goBuild(dir, out string, extra ...string) error {
	args := append(slices.Clone(buildFlags), extra...)
	cmd := exec.Command("go", append(args, "-o", out, ".")...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		return errors.New("go build: " + err.Error() + "\n" + string(b))
	}
	return nil
}

func TestMain(m *testing.M) {
	code := m.Run()
	if loaderBin != "" {
		os.RemoveAll(filepath.Dir(loaderBin))
	}
	os.Exit(code)
}

// runEnv is the RUN's environment in these tests.
var runEnv = []string{"PATH=/usr/local/bin:/usr/bin:/bin", "HOME=/root", "FROM_IMAGE=image value"}

type result struct {
	stdout, stderr string
	code           int
	signal         syscall.Signal
}

// runLoader runs the loader with content as the secret file (nil: no file)
// and flags, in front of argv, in dir (a new one if "").
func runLoader(t *testing.T, dir string, content []byte, flags []string, argv ...string) result {
	t.Helper()
	if dir == "" {
		dir = t.TempDir()
	}
	file := filepath.Join(dir, "_env")
	if content != nil {
		if err := os.WriteFile(file, content, 0o444); err != nil {
			t.Fatal(err)
		}
	}
	args := append([]string{dotenv.FlagID + "_env", dotenv.FlagFile + file}, flags...)
	return runArgs(t, dir, runEnv, append(append(args, dotenv.FlagEnd), argv...)...)
}

func runArgs(t *testing.T, dir string, env []string, args ...string) result {
	t.Helper()
	cmd := exec.Command(loader(t), args...)
	cmd.Dir, cmd.Env = dir, env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := result{stdout: stdout.String(), stderr: stderr.String()}
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		ws := ee.Sys().(syscall.WaitStatus)
		r.code = ws.ExitStatus()
		if ws.Signaled() {
			r.signal = ws.Signal()
		}
	case err != nil:
		t.Fatal(err)
	}
	return r
}

// envOf returns the sorted environment a command printed with env -0.
func envOf(out string) []string {
	if out == "" {
		return nil
	}
	vars := strings.Split(strings.TrimSuffix(out, "\x00"), "\x00")
	slices.Sort(vars)
	return vars
}

func sorted(vars ...string) []string {
	slices.Sort(vars)
	return vars
}

// leak returns a piece (4 bytes or more) of one of secrets found in out.
func leak(out string, secrets ...string) string {
	for _, s := range secrets {
		for i := 0; i+4 <= len(s); i++ {
			if strings.Contains(out, s[i:i+4]) {
				return s[i : i+4]
			}
		}
	}
	return ""
}

func envProgram(t *testing.T) string {
	p, err := exec.LookPath("env")
	if err != nil {
		t.Skip("env(1) is not installed")
	}
	return p
}

// TestHostileFiles: the review's files that made loader v1 print values,
// run commands, write files or corrupt values either fail with exit 125
// and a message without any value, or give exactly the right environment.
func TestHostileFiles(t *testing.T) {
	env := envProgram(t)
	const token = "TOKEN=glpat-Zx9QvR2mK7\n" // a secret before the bad line
	big := strings.Repeat("k9Qz", dotenv.MaxEnvString/4)
	fits := big[:dotenv.MaxEnvString-len("BIG=")-1]
	for _, tc := range []struct {
		name    string
		file    string
		secrets []string // values that must never be printed
		msg     string   // the loader's line, or "" when it must run
		want    []string // the command's environment beyond runEnv
	}{
		{"a builtin as the second word", token + "NOTE=see set\n", []string{"glpat-Zx9QvR2mK7", "see set"},
			"secret _env, line 2: unquoted space or tab in the value of NOTE: quote the value; one assignment per line (values are not shown)", nil},
		{"a command as the second word", token + "DESC=dev env\n", []string{"glpat-Zx9QvR2mK7", "dev env"},
			"secret _env, line 2: unquoted space or tab in the value of DESC: quote the value; one assignment per line (values are not shown)", nil},
		{"export as the second word", token + "X=a export\n", []string{"glpat-Zx9QvR2mK7", "a export"},
			"secret _env, line 2: unquoted space or tab in the value of X: quote the value; one assignment per line (values are not shown)", nil},
		{"a redirection", token + "DB_PASSWORD=aB3>kL9-s3cr3t\n", []string{"glpat-Zx9QvR2mK7", "aB3>kL9-s3cr3t"}, // the review's value, but "secret" is in every message
			"secret _env, line 2: an unquoted ; & | < > ( or ) in the value of DB_PASSWORD: quote the value (values are not shown)", nil},
		{"a background job", token + "P=aB3&cd\n", []string{"glpat-Zx9QvR2mK7", "aB3&cd"},
			"secret _env, line 2: an unquoted ; & | < > ( or ) in the value of P: quote the value (values are not shown)", nil},
		{"$$ in double quotes", token + "P=\"pa$$word\"\n", []string{"glpat-Zx9QvR2mK7", "pa$$word"},
			"secret _env, line 2: a special parameter ($ and a digit or one of @ * # ? - $ !) in the value of P: write \\$ for a literal $ (values are not shown)", nil},
		{"a heredoc", token + "cat <<EOF\nSECRET_BODY=zq8Jw4\nEOF\n", []string{"glpat-Zx9QvR2mK7", "zq8Jw4"},
			"secret _env, line 2: not an assignment: expected NAME=value, export NAME=value, a comment or a blank line (values are not shown)", nil},
		{"a value over 128 KiB", token + "BIG=" + big + "\n", []string{"glpat-Zx9QvR2mK7", big[:64]},
			"secret _env, line 2: the value of BIG is too long: Linux allows at most 131072 bytes for NAME=value in the environment (values are not shown)", nil},
		{"UTF-16", "\xff\xfeT\x00O\x00K\x00=\x00z\x00q\x008\x00J\x00w\x004\x00\n\x00", []string{"zq8Jw4", "z\x00q\x008\x00"},
			"secret _env, line 1: the file is UTF-16; save it as UTF-8 (values are not shown)", nil},
		{"quoted as they must be", token + "DB_PASSWORD='aB3>kL9-secret'\nP=\"aB3&cd\"\nQ='pa$$word'\nNOTE=\"see set\"\n", nil, "",
			[]string{"TOKEN=glpat-Zx9QvR2mK7", "DB_PASSWORD=aB3>kL9-secret", "P=aB3&cd", "Q=pa$$word", "NOTE=see set"}},
		{"a value just under the limit", "BIG=" + fits + "\n", nil, "", []string{"BIG=" + fits}},
		{"mixed line endings", "A=1\nB=2\r\nC='3\r\n4'\nD=\"5\"\r\n", nil, "", []string{"A=1", "B=2", "C=3\n4", "D=5"}},
		{"BOM", "\uFEFFA=1\r\nB=2\r\n", nil, "", []string{"A=1", "B=2"}},
		{"the platform's example", "PIP_INSTALL_ARG=\"--index-url https://__token__:glpat-Zx9QvR2mK7@gitlab.example.com/api/v4/groups/42/-/packages/pypi/simple\"\nOTHER_ENV_VAR=\"Something else\"\n", nil, "",
			[]string{"PIP_INSTALL_ARG=--index-url https://__token__:glpat-Zx9QvR2mK7@gitlab.example.com/api/v4/groups/42/-/packages/pypi/simple", "OTHER_ENV_VAR=Something else"}},
		{"the file wins, expansion of the image's", "FROM_IMAGE=file\nA=\"$HOME/x\"\n", nil, "",
			[]string{"FROM_IMAGE=file", "A=/root/x"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			r := runLoader(t, dir, []byte(tc.file), nil, env, "-0")
			if tc.msg != "" {
				if r.code != dotenv.ExitLoadFailed || r.stdout != "" || r.stderr != dotenv.MessagePrefix+tc.msg+"\n" {
					t.Errorf("exit %d, stdout %q, stderr %q; want 125 and %s", r.code, r.stdout, r.stderr, tc.msg)
				}
				if l := leak(r.stdout+r.stderr, tc.secrets...); l != "" {
					t.Errorf("the output shows %q of a value", l)
				}
				if entries, _ := os.ReadDir(dir); len(entries) != 1 {
					t.Errorf("the loader wrote into the working directory: %v", entries)
				}
				return
			}
			want := sorted(append(slices.Clone(tc.want), runEnvWithout(tc.want)...)...)
			if got := envOf(r.stdout); r.code != 0 || r.stderr != "" || !slices.Equal(got, want) {
				t.Errorf("exit %d, stderr %q\n got %q\nwant %q", r.code, r.stderr, got, want)
			}
		})
	}
}

// runEnvWithout: runEnv but the names vars sets.
func runEnvWithout(vars []string) []string {
	var out []string
	for _, kv := range runEnv {
		name, _, _ := strings.Cut(kv, "=")
		if !slices.ContainsFunc(vars, func(v string) bool { return strings.HasPrefix(v, name+"=") }) {
			out = append(out, kv)
		}
	}
	return out
}

// TestExecForm: the command runs as runc would run it without the loader.
func TestExecForm(t *testing.T) {
	env := envProgram(t)
	dir := t.TempDir()
	script := func(name, text string, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), mode); err != nil {
			t.Fatal(err)
		}
		return p
	}
	noShebang := script("tool", "echo ran as a script\n", 0o755)
	notExec := script("plain", "#!/bin/sh\necho ran\n", 0o644)
	script("rel", "#!/bin/sh\nprintf '%s' \"$0\"\n", 0o755)
	file := []byte("A=1\n")

	t.Run("no shebang is exec format error", func(t *testing.T) {
		r := runLoader(t, "", file, nil, noShebang)
		if r.code != 126 || r.stdout != "" || r.stderr != "dockerfile-dotenv: exec "+noShebang+": exec format error\n" {
			t.Errorf("%+v", r)
		}
	})
	t.Run("not executable", func(t *testing.T) {
		r := runLoader(t, "", file, nil, notExec)
		if r.code != 126 || r.stderr != "dockerfile-dotenv: exec: \""+notExec+"\": permission denied\n" {
			t.Errorf("%+v", r)
		}
	})
	t.Run("a directory", func(t *testing.T) {
		r := runLoader(t, "", file, nil, dir)
		if r.code != 126 || r.stderr != "dockerfile-dotenv: exec: \""+dir+"\": is a directory\n" {
			t.Errorf("%+v", r)
		}
	})
	t.Run("not found on PATH", func(t *testing.T) {
		r := runLoader(t, "", file, nil, "no-such-tool", "arg")
		if r.code != 127 || r.stderr != "dockerfile-dotenv: exec: \"no-such-tool\": executable file not found in $PATH\n" {
			t.Errorf("%+v", r)
		}
	})
	t.Run("no such file", func(t *testing.T) {
		r := runLoader(t, "", file, nil, "/no/such/tool")
		if r.code != 127 || r.stderr != "dockerfile-dotenv: exec: \"/no/such/tool\": stat /no/such/tool: no such file or directory\n" {
			t.Errorf("%+v", r)
		}
	})
	t.Run("nothing added to the environment", func(t *testing.T) {
		r := runArgs(t, dir, []string{"X=1"}, "--id=_env", "--file=/nonexistent/_env", "--", env, "-0")
		if r.code != 0 || r.stdout != "X=1\x00" {
			t.Errorf("%+v", r)
		}
	})
	t.Run("argv and exit status unchanged", func(t *testing.T) {
		r := runLoader(t, "", file, nil, "sh", "-c", `printf '[%s]' "$0" "$@" "$A"; exit 7`, "name", "a b", "*", "$A", "", "--", "--id=x")
		if r.code != 7 || r.stdout != "[name][a b][*][$A][][--][--id=x][1]" || r.stderr != "" {
			t.Errorf("%+v", r)
		}
	})
	t.Run("argv[0] as written", func(t *testing.T) {
		r := runLoader(t, "", file, nil, "cat", "/proc/self/cmdline")
		if r.code != 0 || r.stdout != "cat\x00/proc/self/cmdline\x00" {
			t.Errorf("%+v", r)
		}
	})
	t.Run("a signal is the command's", func(t *testing.T) {
		r := runLoader(t, "", file, nil, "sh", "-c", "kill -TERM $$")
		if r.signal != syscall.SIGTERM {
			t.Errorf("%+v", r)
		}
	})
	t.Run("PATH is the RUN's, not the file's", func(t *testing.T) {
		r := runLoader(t, "", []byte("PATH=/nonexistent\n"), nil, "env", "-0")
		if r.code != 0 || !slices.Contains(envOf(r.stdout), "PATH=/nonexistent") {
			t.Errorf("%+v", r)
		}
	})
	t.Run("an empty PATH entry is the working directory", func(t *testing.T) {
		r := runArgs(t, dir, []string{"PATH=/nonexistent:"}, "--id=_env", "--file=/nonexistent/_env", "--", "rel")
		if r.code != 0 || r.stdout != "rel" {
			t.Errorf("%+v", r)
		}
	})
	t.Run("no descriptor left open", func(t *testing.T) {
		r := runLoader(t, dir, file, nil, "sh", "-c", `for f in /proc/$$/fd/*; do readlink "$f"; done; true`)
		if r.code != 0 || strings.Contains(r.stdout, filepath.Join(dir, "_env")) {
			t.Errorf("%+v", r)
		}
	})
	t.Run("an environment too large for exec", func(t *testing.T) {
		var lim syscall.Rlimit
		if err := syscall.Getrlimit(syscall.RLIMIT_STACK, &lim); err != nil || lim.Cur/4 > 3<<20 {
			t.Skip("exec takes more than 3 MiB of environment here")
		}
		file := "A='" + strings.Repeat("x", 120000) + "'\n"
		for _, c := range "DEFGHIJKLMNOPQRSTUVWXYZ" {
			file += string(c) + "=$A\n"
		}
		r := runLoader(t, "", []byte(file), nil, env)
		if r.code != 126 || r.stderr != "dockerfile-dotenv: exec "+env+": argument list too long (with the variables of secret _env)\n" {
			t.Errorf("%d %q", r.code, r.stderr)
		}
	})
	t.Run("open files limit unchanged", func(t *testing.T) {
		direct, err := exec.Command("sh", "-c", "ulimit -Sn").Output()
		if err != nil {
			t.Fatal(err)
		}
		r := runLoader(t, "", file, nil, "sh", "-c", "ulimit -Sn")
		if r.stdout != string(direct) {
			t.Errorf("soft RLIMIT_NOFILE %q, without the loader %q", r.stdout, direct)
		}
	})
}

func TestSecretFile(t *testing.T) {
	env := envProgram(t)
	t.Run("missing: the command runs without it", func(t *testing.T) {
		r := runLoader(t, "", nil, nil, env, "-0")
		if r.code != 0 || !slices.Equal(envOf(r.stdout), sorted(runEnv...)) {
			t.Errorf("%+v", r)
		}
	})
	t.Run("missing under a file: the same", func(t *testing.T) {
		r := runArgs(t, t.TempDir(), runEnv, "--id=_env", "--file=/proc/self/cmdline/_env", "--", env, "-0")
		if r.code != 0 || !slices.Equal(envOf(r.stdout), sorted(runEnv...)) {
			t.Errorf("%+v", r)
		}
	})
	t.Run("missing and required", func(t *testing.T) {
		r := runLoader(t, "", nil, []string{"--required"}, env, "-0")
		if r.code != 125 || r.stdout != "" || r.stderr != "dockerfile-dotenv: secret _env is required: pass it with --secret id=_env,src=<dotenv file>\n" {
			t.Errorf("%+v", r)
		}
	})
	t.Run("present and required", func(t *testing.T) {
		r := runLoader(t, "", []byte("A=1"), []string{"--required"}, env, "-0")
		if r.code != 0 || !slices.Contains(envOf(r.stdout), "A=1") {
			t.Errorf("%+v", r)
		}
	})
	t.Run("unreadable", func(t *testing.T) {
		dir := t.TempDir()
		if err := os.Mkdir(filepath.Join(dir, "_env"), 0o755); err != nil {
			t.Fatal(err)
		}
		r := runLoader(t, dir, nil, nil, env, "-0")
		if r.code != 125 || r.stdout != "" || r.stderr != "dockerfile-dotenv: secret _env cannot be read: read "+filepath.Join(dir, "_env")+": is a directory\n" {
			t.Errorf("%+v", r)
		}
	})
	t.Run("too large", func(t *testing.T) {
		line := "A=" + strings.Repeat("x", 98) + "\n" // 101 bytes
		file := strings.Repeat(line, dotenv.MaxFileSize/len(line))
		file += "#" + strings.Repeat("x", dotenv.MaxFileSize-len(file)-2) + "\n"
		if r := runLoader(t, "", []byte(file), nil, env, "-0"); r.code != 0 {
			t.Errorf("a file of exactly %d bytes: %+v", len(file), r.stderr)
		}
		r := runLoader(t, "", []byte(file+"\n"), nil, env, "-0")
		if r.code != 125 || r.stderr != "dockerfile-dotenv: secret _env is larger than 512000 bytes, BuildKit's limit for a secret\n" {
			t.Errorf("%+v", r)
		}
	})
}

func TestFlags(t *testing.T) {
	const usage = "; usage: dotenv-loader --id=<id> --file=<path> [--required] [--mask] -- <command…>\n"
	for _, tc := range []struct {
		args []string
		msg  string
	}{
		{nil, "missing -- before the command"},
		{[]string{"--id=_env", "--file=/x", "true"}, "unknown or repeated flag \"true\""},
		{[]string{"--id=_env", "--file=/x"}, "missing -- before the command"},
		{[]string{"--id=_env", "--file=/x", "--"}, "no command after --"},
		{[]string{"--file=/x", "--", "true"}, "missing --id="},
		{[]string{"--id=_env", "--", "true"}, "missing --file="},
		{[]string{"--id=", "--file=/x", "--", "true"}, "--id= is not a secret id (letters, digits, '_', '.', '-')"},
		{[]string{"--id=a b", "--file=/x", "--", "true"}, "--id= is not a secret id (letters, digits, '_', '.', '-')"},
		{[]string{"--id=_env", "--file=x", "--", "true"}, "--file= is not an absolute path"},
		{[]string{"--id=_env", "--id=_env", "--file=/x", "--", "true"}, "unknown or repeated flag \"--id=_env\""},
		{[]string{"--id=_env", "--file=/x", "--required", "--required", "--", "true"}, "unknown or repeated flag \"--required\""},
		{[]string{"--id=_env", "--file=/x", "--verbose", "--", "true"}, "unknown or repeated flag \"--verbose\""},
		{[]string{"--ID=_env", "--file=/x", "--", "true"}, "unknown or repeated flag \"--ID=_env\""},
	} {
		r := runArgs(t, t.TempDir(), runEnv, tc.args...)
		if want := "dockerfile-dotenv: loader: " + tc.msg + usage; r.code != 125 || r.stderr != want {
			t.Errorf("%q: exit %d, stderr %q, want %q", tc.args, r.code, r.stderr, want)
		}
	}
	// Flags in any order.
	r := runArgs(t, t.TempDir(), runEnv, "--required", "--file=/proc/self/status", "--id=a.b-c_1", "--", "true")
	if r.code != 125 || !strings.HasPrefix(r.stderr, "dockerfile-dotenv: secret a.b-c_1, line 1: ") {
		t.Errorf("%+v", r)
	}
}

// TestReproducible: the loader's bytes depend on its source only: two
// copies in different directories, one built with the -X flags the
// frontend gets, give the same file.
func TestReproducible(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the loader twice")
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	var bins [2][]byte
	for i, extra := range [][]string{nil, {"-ldflags=-s -w -buildid= -X main.Version=1.2.3 -X main.Revision=0123abc"}} {
		src := filepath.Join(t.TempDir(), []string{"a", "other/place"}[i], "src")
		for _, f := range []string{"go.mod", "go.sum", "dotenv", "mask", "cmd/dotenv-loader"} {
			copyTree(t, filepath.Join(root, f), filepath.Join(src, f))
		}
		out := filepath.Join(t.TempDir(), "loader")
		if err := goBuild(filepath.Join(src, "cmd/dotenv-loader"), out, extra...); err != nil {
			t.Fatal(err)
		}
		if bins[i], err = os.ReadFile(out); err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(bins[0], bins[1]) {
		t.Errorf("two builds differ (%d and %d bytes)", len(bins[0]), len(bins[1]))
	}
	t.Logf("%d bytes", len(bins[0]))
}

func copyTree(t *testing.T, from, to string) {
	t.Helper()
	err := filepath.WalkDir(from, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, p)
		target := filepath.Join(to, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		if strings.HasSuffix(p, "_test.go") || strings.Contains(p, "testdata") {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
			return err
		}
		return os.WriteFile(target, b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}
