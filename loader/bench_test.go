//go:build linux

package loader

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// BenchmarkLoader: the CPU (user and system) of one RUN's process with
// the C loader, and with the Go loader, in front of /bin/true, against
// /bin/true alone, run in turn so that all see the same machine. The
// loader execs /bin/true in its own process: over-ms/run is its cost.
//
//	go test -run='^$' -bench=Loader -benchtime=1000x ./loader/
func BenchmarkLoader(b *testing.B) {
	bin := loaders(b)[0].bin
	goBin := goLoader(b)
	dir := b.TempDir()
	small := filepath.Join(dir, "small")
	big := filepath.Join(dir, "big")
	var sb strings.Builder
	for i := 0; sb.Len() < 500000; i++ {
		n := strconv.Itoa(100000 + i)
		sb.WriteString("KEY_" + n + "=\"https://__token__:glpat-" + n + "0000000@x.example/s\"\n")
	}
	if err := os.WriteFile(small, []byte("PIP_INSTALL_ARG=\"--index-url https://__token__:glpat-x@gitlab.example.com/simple\"\nOTHER=1\n"), 0o444); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(big, []byte(sb.String()), 0o444); err != nil {
		b.Fatal(err)
	}
	env := []string{"PATH=/usr/local/bin:/usr/bin:/bin", "HOME=/root"}
	for _, l := range []struct{ name, bin string }{{"C", bin}, {"Go", goBin}} {
		for _, tc := range []struct{ name, file string }{
			{"no file", filepath.Join(dir, "missing")},
			{"small file", small},
			{"500 KiB, 10,000 keys", big},
		} {
			b.Run(l.name+"/"+tc.name, func(b *testing.B) {
				var withLoader, alone time.Duration
				for b.Loop() {
					withLoader += cpuOf(b, env, l.bin, "--id=_env", "--file="+tc.file, "--", "/bin/true")
					alone += cpuOf(b, env, "/bin/true")
				}
				n := float64(b.N) * float64(time.Millisecond)
				b.ReportMetric(float64(withLoader)/n, "cpu-ms/run")
				b.ReportMetric(float64(alone)/n, "true-cpu-ms/run")
				b.ReportMetric(float64(withLoader-alone)/n, "over-ms/run")
			})
		}
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
