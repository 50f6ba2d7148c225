//go:build linux

package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// BenchmarkLoader: the CPU (user and system) of one RUN's process with the
// loader in front of /bin/true, against /bin/true alone, run alternately so
// that both see the same machine. over-ms/run is the loader's cost.
func BenchmarkLoader(b *testing.B) {
	bin := loader(b)
	dir := b.TempDir()
	small := filepath.Join(dir, "small")
	big := filepath.Join(dir, "big")
	var sb strings.Builder
	for i := 0; sb.Len() < 500000; i++ {
		fmt.Fprintf(&sb, "KEY_%05d=\"https://__token__:glpat-%012d@x.example/s\"\n", i, i)
	}
	if err := os.WriteFile(small, []byte("PIP_INSTALL_ARG=\"--index-url https://__token__:glpat-x@gitlab.example.com/simple\"\nOTHER=1\n"), 0o444); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(big, []byte(sb.String()), 0o444); err != nil {
		b.Fatal(err)
	}
	env := []string{"PATH=/usr/local/bin:/usr/bin:/bin", "HOME=/root"}
	for _, tc := range []struct{ name, file string }{
		{"no file", filepath.Join(dir, "missing")},
		{"small file", small},
		{"500 KiB, 10,000 keys", big},
	} {
		b.Run(tc.name, func(b *testing.B) {
			var withLoader, alone time.Duration
			for b.Loop() {
				withLoader += cpuOf(b, env, bin, "--id=_env", "--file="+tc.file, "--", "/bin/true")
				alone += cpuOf(b, env, "/bin/true")
			}
			n := float64(b.N) * float64(time.Millisecond)
			b.ReportMetric(float64(withLoader)/n, "cpu-ms/run")
			b.ReportMetric(float64(alone)/n, "true-cpu-ms/run")
			b.ReportMetric(float64(withLoader-alone)/n, "over-ms/run")
		})
	}
}

// cpuOf runs argv and returns its CPU time.
func cpuOf(b *testing.B, env []string, argv ...string) time.Duration {
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = env
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("%v: %s", err, out)
	}
	return cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
}
