//go:build linux

package loader

import (
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/dockerfile-dotenv/dockerfile-dotenv/dotenv"
)

// The loader program as the tests build it: as the image ships it (musl,
// static, stripped, with hack/cc.sh's compiler) and with AddressSanitizer
// and UndefinedBehaviorSanitizer (gcc, glibc), whose reports would show on
// stderr and fail the exact comparisons. Each test runs on both, and the
// black-box tests of the program's behaviour (TestHostileFiles,
// TestExecForm, TestSecretFile, TestFlags) on the Go loader
// (cmd/dotenv-loader, the reference) too: allLoaders. What only the C
// loader does (no /proc, out of memory, its errno texts) stays on loaders.
type build struct {
	name string
	bin  string
}

var (
	buildOnce sync.Once
	builds    []build
	goBin     string // the Go loader (cmd/dotenv-loader), the reference
	buildErr  error
	buildDir  string
)

// repoRoot is the repository, where hack/build-loader.sh runs.
func repoRoot(t testing.TB) string {
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// imageCC is the compiler the image's loader is built with, for this
// machine's platform: what hack/cc.sh prints (it installs what is missing).
func imageCC() (string, error) {
	root, err := filepath.Abs("..")
	if err != nil {
		return "", err
	}
	platform := "linux/" + runtime.GOARCH
	cmd := exec.Command("hack/cc.sh", platform)
	cmd.Dir = root
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", errors.New("hack/cc.sh " + platform + " (make tools prepares the loader's compilers): " + err.Error() + "\n" + stderr.String())
	}
	return strings.TrimSpace(string(out)), nil
}

// buildLoader runs hack/build-loader.sh in root: with imageCC's compiler,
// or gcc with SANITIZE=1. The compiler is set here, not taken from the
// environment.
func buildLoader(root, out string, sanitize bool) error {
	cmd := exec.Command("hack/build-loader.sh", out)
	cmd.Dir = root
	if sanitize {
		cmd.Env = append(os.Environ(), "CC=gcc", "SANITIZE=1")
	} else {
		cc, err := imageCC()
		if err != nil {
			return err
		}
		cmd.Env = append(os.Environ(), "CC="+cc, "SANITIZE=")
	}
	if b, err := cmd.CombinedOutput(); err != nil {
		hint := ""
		if _, lerr := exec.LookPath("gcc"); sanitize && lerr != nil {
			hint = " (gcc is missing: make tools installs it)"
		}
		return errors.New("hack/build-loader.sh" + hint + ": " + err.Error() + "\n" + string(b))
	}
	return nil
}

// loaders builds the C loader both ways, and the Go loader, once.
func loaders(t testing.TB) []build {
	t.Helper()
	buildOnce.Do(func() {
		root, err := filepath.Abs("..")
		if err != nil {
			buildErr = err
			return
		}
		if buildDir, buildErr = os.MkdirTemp("", "dotenv-loader-c"); buildErr != nil {
			return
		}
		for _, b := range []build{{"musl", "loader"}, {"sanitize", "loader-sanitize"}} {
			b.bin = filepath.Join(buildDir, b.bin)
			if buildErr = buildLoader(root, b.bin, b.name == "sanitize"); buildErr != nil {
				return
			}
			builds = append(builds, b)
		}
		goBin = filepath.Join(buildDir, "dotenv-loader-go")
		cmd := exec.Command("go", "build", "-trimpath", "-o", goBin, "./cmd/dotenv-loader")
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if b, err := cmd.CombinedOutput(); err != nil {
			buildErr = errors.New("go build ./cmd/dotenv-loader: " + err.Error() + "\n" + string(b))
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return builds
}

// goLoader is the Go loader, built with the C ones.
func goLoader(t testing.TB) string {
	loaders(t)
	return goBin
}

// allLoaders is loaders and the Go loader ("go"): the builds a test of
// what the reference does too runs on.
func allLoaders(t testing.TB) []build {
	t.Helper()
	return append(slices.Clone(loaders(t)), build{"go", goLoader(t)})
}

func TestMain(m *testing.M) {
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
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

// spawn runs bin with argv (argv[0] included; it may be empty, which Go's
// os/exec does not allow) and env exactly as given (os/exec would drop
// duplicate names), in dir, with stdin closed.
func spawn(t testing.TB, bin string, argv, env []string, dir string) result {
	t.Helper()
	return spawnFiles(t, bin, argv, env, dir, false)
}

// spawnFiles is spawn, with stdout closed too if closeStdout.
func spawnFiles(t testing.TB, bin string, argv, env []string, dir string, closeStdout bool) result {
	t.Helper()
	outR, outW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	errR, errW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	if env == nil {
		env = []string{}
	}
	files := []*os.File{nil, outW, errW}
	if closeStdout {
		files[1] = nil
	}
	p, err := os.StartProcess(bin, argv, &os.ProcAttr{Dir: dir, Env: env, Files: files})
	outW.Close()
	errW.Close()
	if err != nil {
		outR.Close()
		errR.Close()
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); io.Copy(&stdout, outR); outR.Close() }()
	go func() { defer wg.Done(); io.Copy(&stderr, errR); errR.Close() }()
	st, err := p.Wait()
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	ws := st.Sys().(syscall.WaitStatus)
	r := result{stdout: stdout.String(), stderr: stderr.String(), code: ws.ExitStatus()}
	if ws.Signaled() {
		r.signal = ws.Signal()
	}
	return r
}

// runArgs runs the loader bin with args, in env and dir.
func runArgs(t testing.TB, bin, dir string, env []string, args ...string) result {
	t.Helper()
	return spawn(t, bin, append([]string{bin}, args...), env, dir)
}

// runLoader runs bin with content as the secret file in dir (nil: no
// file; dir "": a new one) and flags, in front of argv.
func runLoader(t *testing.T, bin, dir string, content []byte, flags []string, argv ...string) result {
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
	return runArgs(t, bin, dir, runEnv, append(append(args, dotenv.FlagEnd), argv...)...)
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

func envProgram(t testing.TB) string {
	p, err := exec.LookPath("env")
	if err != nil {
		t.Skip("env(1) is not installed")
	}
	return p
}

// hostileCase: one of the review's files that made loader v1 print
// values, run commands, write files or corrupt values.
type hostileCase struct {
	name    string
	file    string
	secrets []string // values that must never be printed
	msg     string   // the loader's line, or "" when it must run
	want    []string // the command's environment beyond runEnv
}

func hostileCases() []hostileCase {
	const token = "TOKEN=glpat-Zx9QvR2mK7\n" // a secret before the bad line
	big := strings.Repeat("k9Qz", dotenv.MaxEnvString/4)
	fits := big[:dotenv.MaxEnvString-len("BIG=")-1]
	return []hostileCase{
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
	}
}

// TestHostileFiles: each file either fails with exit 125 and a message
// without any value, or gives exactly the right environment.
func TestHostileFiles(t *testing.T) {
	env := envProgram(t)
	for _, b := range allLoaders(t) {
		t.Run(b.name, func(t *testing.T) {
			for _, tc := range hostileCases() {
				t.Run(tc.name, func(t *testing.T) {
					dir := t.TempDir()
					r := runLoader(t, b.bin, dir, []byte(tc.file), nil, env, "-0")
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
	for _, b := range allLoaders(t) {
		t.Run(b.name, func(t *testing.T) { testExecForm(t, b.bin, env) })
	}
}

func testExecForm(t *testing.T, bin, env string) {
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
		r := runLoader(t, bin, "", file, nil, noShebang)
		if r.code != 126 || r.stdout != "" || r.stderr != "dockerfile-dotenv: exec "+noShebang+": exec format error\n" {
			t.Errorf("%+v", r)
		}
	})
	t.Run("not executable", func(t *testing.T) {
		r := runLoader(t, bin, "", file, nil, notExec)
		if r.code != 126 || r.stderr != "dockerfile-dotenv: exec: \""+notExec+"\": permission denied\n" {
			t.Errorf("%+v", r)
		}
	})
	t.Run("a directory", func(t *testing.T) {
		r := runLoader(t, bin, "", file, nil, dir)
		if r.code != 126 || r.stderr != "dockerfile-dotenv: exec: \""+dir+"\": is a directory\n" {
			t.Errorf("%+v", r)
		}
	})
	t.Run("not found on PATH", func(t *testing.T) {
		r := runLoader(t, bin, "", file, nil, "no-such-tool", "arg")
		if r.code != 127 || r.stderr != "dockerfile-dotenv: exec: \"no-such-tool\": executable file not found in $PATH\n" {
			t.Errorf("%+v", r)
		}
	})
	t.Run("no such file", func(t *testing.T) {
		r := runLoader(t, bin, "", file, nil, "/no/such/tool")
		if r.code != 127 || r.stderr != "dockerfile-dotenv: exec: \"/no/such/tool\": stat /no/such/tool: no such file or directory\n" {
			t.Errorf("%+v", r)
		}
	})
	t.Run("nothing added to the environment", func(t *testing.T) {
		r := runArgs(t, bin, dir, []string{"X=1"}, "--id=_env", "--file=/nonexistent/_env", "--", env, "-0")
		if r.code != 0 || r.stdout != "X=1\x00" {
			t.Errorf("%+v", r)
		}
	})
	t.Run("argv and exit status unchanged", func(t *testing.T) {
		r := runLoader(t, bin, "", file, nil, "sh", "-c", `printf '[%s]' "$0" "$@" "$A"; exit 7`, "name", "a b", "*", "$A", "", "--", "--id=x")
		if r.code != 7 || r.stdout != "[name][a b][*][$A][][--][--id=x][1]" || r.stderr != "" {
			t.Errorf("%+v", r)
		}
	})
	t.Run("argv[0] as written", func(t *testing.T) {
		r := runLoader(t, bin, "", file, nil, "cat", "/proc/self/cmdline")
		if r.code != 0 || r.stdout != "cat\x00/proc/self/cmdline\x00" {
			t.Errorf("%+v", r)
		}
	})
	t.Run("a signal is the command's", func(t *testing.T) {
		r := runLoader(t, bin, "", file, nil, "sh", "-c", "kill -TERM $$")
		if r.signal != syscall.SIGTERM {
			t.Errorf("%+v", r)
		}
	})
	t.Run("PATH is the RUN's, not the file's", func(t *testing.T) {
		r := runLoader(t, bin, "", []byte("PATH=/nonexistent\n"), nil, "env", "-0")
		if r.code != 0 || !slices.Contains(envOf(r.stdout), "PATH=/nonexistent") {
			t.Errorf("%+v", r)
		}
	})
	t.Run("an empty PATH entry is the working directory", func(t *testing.T) {
		r := runArgs(t, bin, dir, []string{"PATH=/nonexistent:"}, "--id=_env", "--file=/nonexistent/_env", "--", "rel")
		if r.code != 0 || r.stdout != "rel" {
			t.Errorf("%+v", r)
		}
	})
	t.Run("no descriptor left open", func(t *testing.T) {
		r := runLoader(t, bin, dir, file, nil, "sh", "-c", `for f in /proc/$$/fd/*; do readlink "$f"; done; true`)
		if r.code != 0 || strings.Contains(r.stdout, filepath.Join(dir, "_env")) {
			t.Errorf("%+v", r)
		}
	})
	t.Run("an environment too large for exec", func(t *testing.T) {
		var lim syscall.Rlimit
		if err := syscall.Getrlimit(syscall.RLIMIT_STACK, &lim); err != nil || lim.Cur/4 > 3<<20 {
			t.Skip("exec takes more than 3 MiB of environment here")
		}
		r := runLoader(t, bin, "", tooBigFile(), nil, env)
		if r.code != 126 || r.stderr != "dockerfile-dotenv: exec "+env+": argument list too long (with the variables of secret _env)\n" {
			t.Errorf("%d %q", r.code, r.stderr)
		}
	})
	t.Run("open files limit unchanged", func(t *testing.T) {
		direct, err := exec.Command("sh", "-c", "ulimit -Sn").Output()
		if err != nil {
			t.Fatal(err)
		}
		r := runLoader(t, bin, "", file, nil, "sh", "-c", "ulimit -Sn")
		if r.stdout != string(direct) {
			t.Errorf("soft RLIMIT_NOFILE %q, without the loader %q", r.stdout, direct)
		}
	})
}

// tooBigFile: 23 expansions of a 120,000-byte value, more than exec takes
// with the default stack limit.
func tooBigFile() []byte {
	file := "A='" + strings.Repeat("x", 120000) + "'\n"
	for _, c := range "DEFGHIJKLMNOPQRSTUVWXYZ" {
		file += string(c) + "=$A\n"
	}
	return []byte(file)
}

// largeFiles: a file of exactly MaxFileSize bytes, and one byte more.
func largeFiles() (fits, over []byte) {
	line := "A=" + strings.Repeat("x", 98) + "\n" // 101 bytes
	file := strings.Repeat(line, dotenv.MaxFileSize/len(line))
	file += "#" + strings.Repeat("x", dotenv.MaxFileSize-len(file)-2) + "\n"
	return []byte(file), []byte(file + "\n")
}

func TestSecretFile(t *testing.T) {
	env := envProgram(t)
	for _, b := range allLoaders(t) {
		bin := b.bin
		t.Run(b.name, func(t *testing.T) {
			t.Run("missing: the command runs without it", func(t *testing.T) {
				r := runLoader(t, bin, "", nil, nil, env, "-0")
				if r.code != 0 || !slices.Equal(envOf(r.stdout), sorted(runEnv...)) {
					t.Errorf("%+v", r)
				}
			})
			t.Run("missing under a file: the same", func(t *testing.T) {
				r := runArgs(t, bin, t.TempDir(), runEnv, "--id=_env", "--file=/proc/self/cmdline/_env", "--", env, "-0")
				if r.code != 0 || !slices.Equal(envOf(r.stdout), sorted(runEnv...)) {
					t.Errorf("%+v", r)
				}
			})
			t.Run("missing and required", func(t *testing.T) {
				r := runLoader(t, bin, "", nil, []string{"--required"}, env, "-0")
				if r.code != 125 || r.stdout != "" || r.stderr != "dockerfile-dotenv: secret _env is required: pass it with --secret id=_env,src=<dotenv file>\n" {
					t.Errorf("%+v", r)
				}
			})
			t.Run("present and required", func(t *testing.T) {
				r := runLoader(t, bin, "", []byte("A=1"), []string{"--required"}, env, "-0")
				if r.code != 0 || !slices.Contains(envOf(r.stdout), "A=1") {
					t.Errorf("%+v", r)
				}
			})
			t.Run("unreadable", func(t *testing.T) {
				dir := t.TempDir()
				if err := os.Mkdir(filepath.Join(dir, "_env"), 0o755); err != nil {
					t.Fatal(err)
				}
				r := runLoader(t, bin, dir, nil, nil, env, "-0")
				if r.code != 125 || r.stdout != "" || r.stderr != "dockerfile-dotenv: secret _env cannot be read: read "+filepath.Join(dir, "_env")+": is a directory\n" {
					t.Errorf("%+v", r)
				}
			})
			t.Run("too large", func(t *testing.T) {
				fits, over := largeFiles()
				if r := runLoader(t, bin, "", fits, nil, env, "-0"); r.code != 0 {
					t.Errorf("a file of exactly %d bytes: %+v", len(fits), r.stderr)
				}
				r := runLoader(t, bin, "", over, nil, env, "-0")
				if r.code != 125 || r.stderr != "dockerfile-dotenv: secret _env is larger than 512000 bytes, BuildKit's limit for a secret\n" {
					t.Errorf("%+v", r)
				}
			})
			// A file whose size is not known before it is read (the C
			// loader sizes its buffer by fstat, then grows it).
			t.Run("too large, from a pipe", func(t *testing.T) {
				fits, over := largeFiles()
				fits = append([]byte("B=2\n#"), fits[5:]...) // the same size
				for _, content := range [][]byte{fits, over} {
					dir := t.TempDir()
					fifo := filepath.Join(dir, "_env")
					if err := syscall.Mkfifo(fifo, 0o600); err != nil {
						t.Fatal(err)
					}
					go func() {
						if f, err := os.OpenFile(fifo, os.O_WRONLY, 0); err == nil {
							f.Write(content) // EPIPE once the loader stops reading
							f.Close()
						}
					}()
					r := runLoader(t, bin, dir, nil, nil, env, "-0")
					switch {
					case len(content) <= dotenv.MaxFileSize && (r.code != 0 || !slices.Contains(envOf(r.stdout), "B=2")):
						t.Errorf("%d bytes: %+v", len(content), r.stderr)
					case len(content) > dotenv.MaxFileSize && (r.code != 125 ||
						r.stderr != "dockerfile-dotenv: secret _env is larger than 512000 bytes, BuildKit's limit for a secret\n"):
						t.Errorf("%d bytes: %+v", len(content), r.stderr)
					}
				}
			})
		})
	}
}

// flagCases: wrong command lines and the loader's message for each.
var flagCases = []struct {
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
	// Quoted as strconv.Quote does: escapes, invalid UTF-8, printable
	// and unprintable runes.
	{[]string{"--id=_env", "--file=/x", "a\tb\"c\\d\x01\x7f\xff\u00e9\u00ad\u200b\U0001F600\U000E0001", "--", "true"}, "unknown or repeated flag \"a\\tb\\\"c\\\\d\\x01\\x7f\\xffé\\u00ad\\u200b😀\\U000e0001\""},
}

func TestFlags(t *testing.T) {
	const usage = "; usage: dotenv-loader --id=<id> --file=<path> [--required] [--mask] -- <command…>\n"
	for _, b := range allLoaders(t) {
		t.Run(b.name, func(t *testing.T) {
			for _, tc := range flagCases {
				r := runArgs(t, b.bin, t.TempDir(), runEnv, tc.args...)
				if want := "dockerfile-dotenv: loader: " + tc.msg + usage; r.code != 125 || r.stderr != want {
					t.Errorf("%q: exit %d, stderr %q, want %q", tc.args, r.code, r.stderr, want)
				}
			}
			// Flags in any order.
			r := runArgs(t, b.bin, t.TempDir(), runEnv, "--required", "--file=/proc/self/status", "--id=a.b-c_1", "--", "true")
			if r.code != 125 || !strings.HasPrefix(r.stderr, "dockerfile-dotenv: secret a.b-c_1, line 1: ") {
				t.Errorf("%+v", r)
			}
			// The kernel gives an empty argv as one empty argument (Linux
			// 5.18 on); either way there are no flags.
			r = spawn(t, b.bin, []string{}, runEnv, t.TempDir())
			if want := "dockerfile-dotenv: loader: missing -- before the command" + usage; r.code != 125 || r.stderr != want {
				t.Errorf("empty argv: %+v", r)
			}
		})
	}
}

// TestReproducible: the loader's bytes depend on its source only: two
// copies in different directories give the same file, the one the other
// tests run.
func TestReproducible(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the loader twice more")
	}
	root := repoRoot(t)
	want, err := os.ReadFile(loaders(t)[0].bin)
	if err != nil {
		t.Fatal(err)
	}
	srcs, err := filepath.Glob(filepath.Join(root, "loader", "*.[ch]"))
	if err != nil {
		t.Fatal(err)
	}
	srcs = append(srcs, filepath.Join(root, "hack", "build-loader.sh"))
	for _, place := range []string{"a", "other/place/further"} {
		copyRoot := filepath.Join(t.TempDir(), place, "src")
		for _, src := range srcs {
			rel, err := filepath.Rel(root, src)
			if err != nil {
				t.Fatal(err)
			}
			copyFile(t, src, filepath.Join(copyRoot, rel))
		}
		out := filepath.Join(t.TempDir(), "loader")
		if err := buildLoader(copyRoot, out, false); err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("built in %s: %d bytes, differs from the build in the repository (%d bytes)", place, len(got), len(want))
		}
	}
	t.Logf("%d bytes", len(want))
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, info.Mode().Perm()); err != nil {
		t.Fatal(err)
	}
}
