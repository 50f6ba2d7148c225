//go:build linux

package loader

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dockerfile-dotenv/dockerfile-dotenv/mask"
)

// The loader with --mask (parent.c, mask.c), run as a program: each build
// of loaders(t). Package mask is the reference for what the output must
// be, the Go loader (TestMaskSameAsGo) for everything else.

// canary is a value that must never reach the output.
const canary = "dd-canary-Zx9QvR2mK7pL"

var canaryFile = []byte("CANARY=" + canary + "\n" +
	"PIP_INSTALL_ARG=\"--index-url https://__token__:" + canary + "@gitlab.example.com/simple\"\n" +
	"SHORT=abc\n")

// canaryForms are the ways a command prints the canary that must not show.
var canaryForms = []string{canary, "Wng5UXZSMm1LN3BM", "dd-canary-Zx9Q", "vR2mK7pL"}

// masked is what the output must be: the unmasked output, masked.
func masked(t *testing.T, s string) string {
	t.Helper()
	var b bytes.Buffer
	w := mask.NewWriter(&b, mask.Patterns([]string{canary, "--index-url https://__token__:" + canary + "@gitlab.example.com/simple", "abc"}))
	if _, err := w.Write([]byte(s)); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func shows(out string) string {
	for _, f := range canaryForms {
		if strings.Contains(out, f) {
			return f
		}
	}
	return ""
}

// TestMaskOutput: the command prints the canary every way a tool does; none
// shows, and the rest of the output (order, \r, binary) is what it prints
// without the loader masking.
func TestMaskOutput(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "bin")
	var all []byte
	for i := 0; i < 4096; i++ {
		all = append(all, byte(i), byte(i>>3))
	}
	all = append(append(all, canary...), 0, 0xff)
	if err := os.WriteFile(bin, all, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, script string }{
		{"plain", `echo "token: $CANARY."`},
		{"in a URL", `echo "cloning https://oauth2:$CANARY@git.example.com/x.git failed" >&2`},
		{"the whole value", `echo "pip install $PIP_INSTALL_ARG ridl"`},
		{"base64", `printf %s "$CANARY" | base64; echo "$CANARY" | base64; printf 'Authorization: Basic %s\n' "$(printf 'user:%s' "$CANARY" | base64)"`},
		{"split across writes", `printf 'a dd-canary-Zx9Q'; sleep 0.2; printf 'vR2mK7pL b\n'`},
		{"no newline at the end", `printf 'last %s' "$CANARY"`},
		{"progress with \\r", `for p in 10 50 90; do printf '\r%s%% %s' $p "$CANARY"; sleep 0.05; done; printf '\rdone\n'`},
		{"interleaved streams", `echo "out 1 $CANARY"; echo "err 1 $CANARY" >&2; echo "out 2"; echo err 2 >&2`},
		{"after exec 1>&2", `echo before; exec 1>&2; echo "after $CANARY"`},
		{"a background process", `(echo "bg $CANARY"; echo "bg err $CANARY" >&2) & wait; echo main`},
		{"short values pass", `echo abc "$SHORT"`},
		{"binary", `cat ` + bin},
		{"set -x", `set -x; true "$CANARY"`},
		{"env", `env | grep CANARY`},
		{"much output", `seq 1 300000 | sed "s/7$/ $CANARY/"; seq 1 100000 | sed "s/3$/ $CANARY/" >&2`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			forEachLoader(t, func(t *testing.T, bin string) {
				plain := runLoader(t, bin, "", canaryFile, nil, "sh", "-c", tc.script)
				r := runLoader(t, bin, "", canaryFile, []string{"--mask"}, "sh", "-c", tc.script)
				if f := shows(r.stdout + r.stderr); f != "" {
					t.Errorf("the output shows %q: stdout %q stderr %q", f, r.stdout, r.stderr)
				}
				if want := masked(t, plain.stdout); r.stdout != want {
					t.Errorf("stdout %q, want %q", r.stdout, want)
				}
				if want := masked(t, plain.stderr); r.stderr != want {
					t.Errorf("stderr %q, want %q", r.stderr, want)
				}
				if r.code != 0 || plain.code != 0 {
					t.Errorf("exit %d, without masking %d", r.code, plain.code)
				}
			})
		})
	}
}

// TestMaskOutlivingChild: a child that outlives the command does not keep
// the loader (the RUN) alive, and what it prints later is not shown.
func TestMaskOutlivingChild(t *testing.T) { forEachLoader(t, testMaskOutlivingChild) }

func testMaskOutlivingChild(t *testing.T, bin string) {
	start := time.Now()
	r := runLoader(t, bin, "", canaryFile, []string{"--mask"}, "sh", "-c",
		`(sleep 1; echo "late $CANARY"; echo "late $CANARY" >&2) & echo "main $CANARY"; exit 4`)
	if d := time.Since(start); d > 900*time.Millisecond {
		t.Errorf("the loader waited %v for a background process", d)
	}
	if r.code != 4 || r.stdout != "main ***\n" || r.stderr != "" {
		t.Errorf("%+v", r)
	}
	time.Sleep(1200 * time.Millisecond) // the late writes hit a closed pipe
}

func TestMaskExitStatus(t *testing.T) { forEachLoader(t, testMaskExitStatus) }

func testMaskExitStatus(t *testing.T, bin string) {
	for _, code := range []int{0, 1, 3, 125, 255} {
		r := runLoader(t, bin, "", canaryFile, []string{"--mask"}, "sh", "-c", "echo $CANARY; exit "+strconv.Itoa(code))
		if r.code != code || r.signal != 0 || r.stdout != "***\n" {
			t.Errorf("exit %d: %+v", code, r)
		}
	}
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGKILL, syscall.SIGINT, syscall.SIGUSR1, syscall.SIGSEGV} {
		r := runLoader(t, bin, "", canaryFile, []string{"--mask"}, "sh", "-c", "echo $CANARY; kill -"+strconv.Itoa(int(sig))+" $$")
		if r.signal != sig || r.stdout != "***\n" {
			t.Errorf("%v: %+v", sig, r)
		}
	}
	t.Run("not started", func(t *testing.T) {
		r := runLoader(t, bin, "", canaryFile, []string{"--mask"}, "no-such-tool")
		if r.code != 127 || r.stderr != "dockerfile-dotenv: exec: \"no-such-tool\": executable file not found in $PATH\n" {
			t.Errorf("%+v", r)
		}
		r = runLoader(t, bin, "", canaryFile, []string{"--mask"}, "/proc/self/cmdline")
		if r.code != 126 || r.stderr != "dockerfile-dotenv: exec: \"/proc/self/cmdline\": permission denied\n" {
			t.Errorf("%+v", r)
		}
		script := filepath.Join(t.TempDir(), "no-shebang")
		if err := os.WriteFile(script, []byte("echo hi\n"), 0o755); err != nil {
			t.Fatal(err)
		}
		r = runLoader(t, bin, "", canaryFile, []string{"--mask"}, script)
		if r.code != 126 || r.stderr != "dockerfile-dotenv: exec "+script+": exec format error\n" {
			t.Errorf("%+v", r)
		}
	})
}

// TestMaskOnlyWhenNeeded: without a value to mask the loader execs the
// command (same pid); with one it is the command's parent.
func TestMaskOnlyWhenNeeded(t *testing.T) { forEachLoader(t, testMaskOnlyWhenNeeded) }

func testMaskOnlyWhenNeeded(t *testing.T, bin string) {
	for _, tc := range []struct {
		file   []byte
		flags  []string
		parent bool
	}{
		{nil, []string{"--mask"}, false},
		{[]byte("SHORT=abc\n"), []string{"--mask"}, false},
		{canaryFile, nil, false},
		{canaryFile, []string{"--mask"}, true},
	} {
		dir := t.TempDir()
		file := filepath.Join(dir, "_env")
		if tc.file != nil {
			if err := os.WriteFile(file, tc.file, 0o444); err != nil {
				t.Fatal(err)
			}
		}
		args := append([]string{"--id=_env", "--file=" + file}, tc.flags...)
		cmd := exec.Command(bin, append(args, "--", "sh", "-c", "echo $$")...)
		cmd.Env = runEnv
		out, err := cmd.Output()
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.TrimSpace(string(out)) != strconv.Itoa(cmd.Process.Pid); got != tc.parent {
			t.Errorf("%s %q: the loader is the parent: %v, want %v", tc.file, tc.flags, got, tc.parent)
		}
	}
}

func TestMaskStdin(t *testing.T) { forEachLoader(t, testMaskStdin) }

func testMaskStdin(t *testing.T, bin string) {
	cmd := exec.Command(bin, "--id=_env", "--file="+writeFile(t, canaryFile), "--mask", "--", "sh", "-c", "cat; read -r x < /dev/null; echo end")
	cmd.Env = runEnv
	cmd.Stdin = strings.NewReader("line 1\nline 2 " + canary + "\n")
	out, err := cmd.Output()
	if err != nil || string(out) != "line 1\nline 2 ***\nend\n" {
		t.Errorf("%q, %v", out, err)
	}
}

func writeFile(t testing.TB, content []byte) string {
	t.Helper()
	file := filepath.Join(t.TempDir(), "_env")
	if err := os.WriteFile(file, content, 0o444); err != nil {
		t.Fatal(err)
	}
	return file
}

// TestMaskForwardsSignals: a signal sent to the loader reaches the command,
// whose handler runs; its output is still masked.
func TestMaskForwardsSignals(t *testing.T) { forEachLoader(t, testMaskForwardsSignals) }

func testMaskForwardsSignals(t *testing.T, bin string) {
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP, syscall.SIGUSR1, syscall.SIGUSR2, syscall.SIGQUIT, syscall.SIGWINCH} {
		t.Run(sig.String(), func(t *testing.T) {
			name := strings.TrimPrefix(unixName(sig), "SIG")
			script := `trap 'echo "got ` + name + ` $CANARY"; exit 7' ` + name + `; echo ready; while :; do sleep 0.05; done`
			cmd := exec.Command(bin, "--id=_env", "--file="+writeFile(t, canaryFile), "--mask", "--", "sh", "-c", script)
			cmd.Env = runEnv
			stdout, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			lines := bufio.NewReader(stdout)
			if l, err := lines.ReadString('\n'); l != "ready\n" {
				t.Fatalf("%q %v", l, err)
			}
			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			rest, _ := lines.ReadString(0)
			err = cmd.Wait()
			if rest != "got "+name+" ***\n" || cmd.ProcessState.ExitCode() != 7 {
				t.Errorf("%q, %v", rest, err)
			}
		})
	}
}

func unixName(sig syscall.Signal) string {
	return map[syscall.Signal]string{syscall.SIGTERM: "TERM", syscall.SIGINT: "INT", syscall.SIGHUP: "HUP",
		syscall.SIGUSR1: "USR1", syscall.SIGUSR2: "USR2", syscall.SIGQUIT: "QUIT", syscall.SIGWINCH: "WINCH"}[sig]
}

func TestMaskAsPID1(t *testing.T) { forEachLoader(t, testMaskAsPID1) }

func testMaskAsPID1(t *testing.T, bin string) {
	t.Run("orphans are reaped", func(t *testing.T) {
		r := runUnshare(t, bin, `(sleep 0.1 &); (sleep 0.1 &); (sh -c 'exit 3' &); sleep 0.8
			echo "parent $PPID $CANARY"; grep -l '^State:.*Z' /proc/[0-9]*/status; true`)
		if r.code != 0 || r.stdout != "parent 1 ***\n" {
			t.Errorf("zombies left, or the loader is not PID 1: %+v", r)
		}
	})
	for _, tc := range []struct {
		sig  string
		code int
	}{{"TERM", 143}, {"KILL", 137}, {"INT", 130}} {
		t.Run("killed by SIG"+tc.sig, func(t *testing.T) {
			r := runUnshare(t, bin, `echo $CANARY; kill -`+tc.sig+` $$; echo not reached`)
			if r.code != tc.code || r.signal != 0 || r.stdout != "***\n" {
				t.Errorf("%+v, want exit %d as runc reports it", r, tc.code)
			}
		})
	}
	t.Run("exit code", func(t *testing.T) {
		if r := runUnshare(t, bin, `exit 255`); r.code != 255 {
			t.Errorf("%+v", r)
		}
	})
}

// runUnshare runs the loader with --mask in front of sh -c script as PID 1
// of a new PID namespace, with its own /proc: as BuildKit runs a RUN.
func runUnshare(t *testing.T, bin, script string) result {
	t.Helper()
	if os.Getuid() != 0 {
		t.Skip("a PID namespace needs root")
	}
	unshare, err := exec.LookPath("unshare")
	if err != nil {
		t.Skip("unshare(1) is not installed")
	}
	if err := exec.Command(unshare, "--pid", "--fork", "--mount-proc", "true").Run(); err != nil {
		t.Skip("unshare --pid does not work here: ", err)
	}
	return spawn(t, unshare, []string{unshare, "--pid", "--fork", "--mount-proc", bin,
		"--id=_env", "--file=" + writeFile(t, canaryFile), "--mask", "--", "sh", "-c", script}, runEnv, "")
}

// TestMaskClosedStdio: the loader started with 0, 1 or 2 closed, as the Go
// loader: the command gets /dev/null for a closed stdin (main.c opens it,
// as Go's runtime did) and its pipes for 1 and 2; what it writes to a
// closed output of the loader's goes nowhere, the other one is still
// masked.
func TestMaskClosedStdio(t *testing.T) {
	file := writeFile(t, canaryFile)
	script := `echo "stdin $(readlink /proc/$$/fd/0 || echo closed) $CANARY"; echo "err $CANARY" >&2`
	run := func(t *testing.T, bin, closed string) result {
		return spawn(t, "/bin/sh", []string{"sh", "-c", `exec "$@" ` + closed, "sh", bin, "--id=_env", "--file=" + file, "--mask", "--", "sh", "-c", script}, runEnv, "")
	}
	// spawn starts sh with stdin closed: /dev/null where it is to be open.
	for _, tc := range []struct{ name, closed string }{
		{"stdin", "0<&-"}, {"stdout", "</dev/null 1>&-"}, {"stderr", "</dev/null 2>&-"}, {"all", "0<&- 1>&- 2>&-"},
	} {
		closed := tc.closed
		t.Run(tc.name, func(t *testing.T) {
			want := run(t, goLoader(t), closed)
			if f := shows(want.stdout + want.stderr); f != "" || want.code != 0 {
				t.Fatalf("the Go loader: %+v", want)
			}
			forEachLoader(t, func(t *testing.T, bin string) {
				if got := run(t, bin, closed); got != want {
					t.Errorf("C loader: %+v\nGo loader: %+v", got, want)
				}
			})
		})
	}
}

// TestMaskIgnoredSignals: a signal ignored when the loader starts is not
// forwarded, and stays ignored for the command, as without the loader.
// (The Go loader kept SIGHUP and SIGINT so; its runtime caught the others.)
func TestMaskIgnoredSignals(t *testing.T) { forEachLoader(t, testMaskIgnoredSignals) }

func testMaskIgnoredSignals(t *testing.T, bin string) {
	script := `kill -USR1 $PPID; kill -HUP $PPID; kill -TERM $PPID; kill -USR1 $$; kill -HUP $$; kill -TERM $$; sleep 0.1; echo "alive $CANARY"`
	r := spawn(t, "/bin/sh", []string{"sh", "-c", `trap '' USR1 HUP TERM; exec "$@"`, "sh", bin, "--id=_env", "--file=" + writeFile(t, canaryFile), "--mask", "--", "sh", "-c", script}, runEnv, "")
	if r.code != 0 || r.signal != 0 || r.stdout != "alive ***\n" {
		t.Errorf("%+v", r)
	}
}

// TestMaskDrainBound: background processes that write without end when the
// command exits do not keep the loader alive (it passes on at most drainMax
// more of each pipe; what they wrote while the command ran passed too).
func TestMaskDrainBound(t *testing.T) { forEachLoader(t, testMaskDrainBound) }

// drainMax is parent.c's DRAIN_MAX.
const drainMax = 1 << 20

func testMaskDrainBound(t *testing.T, bin string) {
	start := time.Now()
	r := runLoader(t, bin, "", canaryFile, []string{"--mask"}, "sh", "-c",
		`(yes "$CANARY" &); (yes "err $CANARY" >&2 &); sleep 0.2; exit 5`)
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("the loader took %v", d)
	}
	if f := shows(r.stdout + r.stderr); f != "" || r.code != 5 {
		t.Errorf("exit %d, the output shows %q", r.code, f)
	}
	for _, out := range []string{r.stdout, r.stderr} {
		if lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n"); len(out) == 0 || len(out) > 20*drainMax ||
			strings.Trim(lines[0], "er *") != "" {
			t.Errorf("%d bytes: %.40q…", len(out), out)
		}
	}
}

// TestMaskSameAsGo: the C loader and the Go loader (the reference) give the
// same bytes out and end the same way, with --mask, whatever the command.
func TestMaskSameAsGo(t *testing.T) {
	noShebang := filepath.Join(t.TempDir(), "no-shebang")
	if err := os.WriteFile(noShebang, []byte("echo hi\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, argv := range [][]string{
		{"sh", "-c", `echo "token: $CANARY."; echo "err $CANARY" >&2; printf 'a dd-canary-Zx9Q'; sleep 0.1; printf 'vR2mK7pL b'`},
		{"sh", "-c", `printf '%s' "$CANARY" | base64; echo "$PIP_INSTALL_ARG" | od -c | head -3; env | grep -c CANARY`},
		{"sh", "-c", `for p in 10 50 90; do printf '\r%s%% %s' $p "$CANARY"; done; printf '\rdone\n'; exit 3`},
		{"sh", "-c", `seq 1 100000 | sed "s/9$/ $CANARY/"`},
		{"sh", "-c", `echo abc "$SHORT"; printf 'last dd-canary-Zx9QvR2'`},
		{"sh", "-c", `echo $CANARY; kill -TERM $$`},
		{"sh", "-c", `echo $CANARY; kill -USR2 $$`},
		{"sh", "-c", `echo $CANARY >&2; kill -KILL $$`},
		{"sh", "-c", `exit 255`},
		{"no-such-tool"},
		{"/proc/self/cmdline"},
		{"/no/such/dir/tool"},
		{noShebang},
		{"/"},
	} {
		t.Run(strings.Join(argv, " "), func(t *testing.T) {
			want := runLoader(t, goLoader(t), "", canaryFile, []string{"--mask"}, argv...)
			forEachLoader(t, func(t *testing.T, bin string) {
				if got := runLoader(t, bin, "", canaryFile, []string{"--mask"}, argv...); got != want {
					t.Errorf("C loader: %+v\nGo loader: %+v", got, want)
				}
			})
		})
	}
}

// forEachLoader runs f as a subtest for each build of the C loader.
func forEachLoader(t *testing.T, f func(t *testing.T, bin string)) {
	for _, b := range loaders(t) {
		t.Run(b.name, func(t *testing.T) { f(t, b.bin) })
	}
}
