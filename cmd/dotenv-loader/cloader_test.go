//go:build linux

package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
)

// The C loader (loader/*.c), which the masking tests (mask_test.go) run:
// as the image ships it (musl-gcc, static) and with AddressSanitizer and
// UndefinedBehaviorSanitizer (gcc), both built by hack/build-loader.sh.
// Until loader/main.c exists, mask.c and parent.c are built with the
// stand-in of testdata/cloader instead (see its README).

type cBuild struct {
	name string
	cc   string
	env  []string // hack/build-loader.sh's
	// flags are the script's, for the stand-in build.
	flags []string
}

var warnFlags = []string{"-std=c11", "-D_GNU_SOURCE", "-Wall", "-Wextra", "-Wshadow", "-Wstrict-prototypes", "-Wvla", "-Werror"}

var cBuilds = []cBuild{
	{"musl", "musl-gcc", []string{"CC=musl-gcc"}, []string{"-O2", "-static", "-fstack-protector-strong"}},
	{"sanitized", "gcc", []string{"SANITIZE=1", "CC=gcc"},
		[]string{"-O1", "-g", "-fno-omit-frame-pointer", "-fsanitize=address,undefined", "-fno-sanitize-recover=all"}},
}

var (
	cOnce sync.Once
	cDir  string
	cBins []cBin
	cErr  error
)

type cBin struct{ name, path string }

// cLoaders builds the C loaders once for the package's tests; a build
// whose compiler is not installed is left out (musl-gcc: apt-get install
// musl-tools), and the test skipped if none is left.
func cLoaders(t testing.TB) []cBin {
	t.Helper()
	cOnce.Do(func() {
		cDir, cErr = os.MkdirTemp("", "dotenv-loader-c")
		if cErr != nil {
			return
		}
		root, err := filepath.Abs("../..")
		if err != nil {
			cErr = err
			return
		}
		_, err = os.Stat(filepath.Join(root, "loader", "main.c"))
		standIn := errors.Is(err, os.ErrNotExist)
		for _, b := range cBuilds {
			if _, err := exec.LookPath(b.cc); err != nil {
				continue
			}
			out := filepath.Join(cDir, b.name)
			var cmd *exec.Cmd
			if standIn {
				args := append(append(append([]string{}, warnFlags...), b.flags...),
					"-I", "loader", "-o", out, "loader/mask.c", "loader/parent.c",
					"cmd/dotenv-loader/testdata/cloader/standin.c")
				cmd = exec.Command(b.cc, args...)
			} else {
				cmd = exec.Command("hack/build-loader.sh", out)
				cmd.Env = append(os.Environ(), b.env...)
			}
			cmd.Dir = root
			if msg, err := cmd.CombinedOutput(); err != nil {
				cErr = errors.New(b.name + " build: " + err.Error() + "\n" + string(msg))
				return
			}
			cBins = append(cBins, cBin{b.name, out})
		}
	})
	if cErr != nil {
		t.Fatal(cErr)
	}
	if len(cBins) == 0 {
		t.Skip("neither musl-gcc nor gcc is installed")
	}
	return cBins
}

func removeCLoaders() {
	if cDir != "" {
		os.RemoveAll(cDir)
	}
}

// forEachC runs f as a subtest for each C loader.
func forEachC(t *testing.T, f func(t *testing.T, bin string)) {
	for _, b := range cLoaders(t) {
		t.Run(b.name, func(t *testing.T) { f(t, b.path) })
	}
}

// runC is runLoader with the loader bin.
func runC(t *testing.T, bin, dir string, content []byte, flags []string, argv ...string) result {
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
	args := append([]string{"--id=_env", "--file=" + file}, flags...)
	cmd := exec.Command(bin, append(append(args, "--"), argv...)...)
	cmd.Dir, cmd.Env = dir, runEnv
	return resultOf(t, cmd)
}

// resultOf runs cmd and returns its output and how it ended.
func resultOf(t *testing.T, cmd *exec.Cmd) result {
	t.Helper()
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
