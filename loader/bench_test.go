//go:build linux

package loader

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// BenchmarkLoader: the CPU (user and system) of one RUN's process with
// the C loader, and with the Go loader, in front of /bin/true, against
// /bin/true alone, run in turn so that all see the same machine. The
// loader execs /bin/true in its own process (with --mask it stays the
// parent: patterns, pipes, fork, reaping): over-ms/run is its cost.
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
		for _, tc := range []struct {
			name, file string
			mask       bool
		}{
			{"no file", filepath.Join(dir, "missing"), false},
			{"small file", small, false},
			{"500 KiB, 10,000 keys", big, false},
			{"small file, --mask", small, true},
			{"500 KiB, 10,000 keys, --mask", big, true},
		} {
			b.Run(l.name+"/"+tc.name, func(b *testing.B) {
				args := []string{l.bin, "--id=_env", "--file=" + tc.file, "--", "/bin/true"}
				if tc.mask {
					args = slices.Insert(args, 3, "--mask")
				}
				var withLoader, alone time.Duration
				for b.Loop() {
					withLoader += cpuOf(b, env, args...)
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

// BenchmarkMaskThroughput: 100 MB of text output, with a value in it now
// and then, through the loader (C, and Go) with --mask, against the same
// command through the loader without masking (it execs). The loader's
// output goes to /dev/null, as cheap a reader as there is. masking-MB/s is
// the bytes over the CPU that masking adds (the loader's, with the pipe
// copy).
//
//	go test -run='^$' -bench=MaskThroughput ./loader/
func BenchmarkMaskThroughput(b *testing.B) {
	bin := loaders(b)[0].bin
	goBin := goLoader(b)
	dir := b.TempDir()
	var sb strings.Builder
	for i := 0; sb.Len() < 1<<20; i++ {
		fmt.Fprintf(&sb, "%06d Collecting ridl==1.2.%d from https://gitlab.example.com/api/v4/groups/42/-/packages/pypi/simple\r", i, i)
		if i%1000 == 0 {
			sb.WriteString("token " + canary + "\n")
		}
	}
	text := filepath.Join(dir, "text")
	if err := os.WriteFile(text, []byte(sb.String()), 0o644); err != nil {
		b.Fatal(err)
	}
	const total = 100 << 20
	rounds := total / sb.Len()
	// One cat of the file, rounds times: no shell loop in the measure.
	argv := []string{"cat"}
	for range rounds {
		argv = append(argv, text)
	}
	file := filepath.Join(dir, "_env")
	if err := os.WriteFile(file, canaryFile, 0o444); err != nil {
		b.Fatal(err)
	}
	null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		b.Fatal(err)
	}
	defer null.Close()
	env := []string{"PATH=/usr/local/bin:/usr/bin:/bin"}
	for _, l := range []struct{ name, bin string }{{"C", bin}, {"Go", goBin}} {
		b.Run(l.name, func(b *testing.B) {
			run := func(mask bool) (wall, cpu time.Duration) {
				args := append([]string{"--id=_env", "--file=" + file, "--"}, argv...)
				if mask {
					args = slices.Insert(args, 2, "--mask")
				}
				cmd := exec.Command(l.bin, args...)
				var stderr strings.Builder
				cmd.Env, cmd.Stdout, cmd.Stderr = env, null, &stderr
				start := time.Now()
				if err := cmd.Run(); err != nil {
					b.Fatalf("%v: %s", err, stderr.String())
				}
				return time.Since(start), cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
			}
			var maskWall, maskCPU, plainWall, plainCPU time.Duration
			for b.Loop() {
				w, c := run(true)
				maskWall, maskCPU = maskWall+w, maskCPU+c
				w, c = run(false)
				plainWall, plainCPU = plainWall+w, plainCPU+c
			}
			mb := float64(rounds*sb.Len()) * float64(b.N) / 1e6
			b.ReportMetric(mb/maskWall.Seconds(), "masked-MB/s")
			b.ReportMetric(mb/plainWall.Seconds(), "unmasked-MB/s")
			b.ReportMetric(mb/(maskCPU-plainCPU).Seconds(), "masking-MB/s")
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

// BenchmarkMaskLatency: how much later a line reaches the log through the
// masking loader (issue 12: ≤ 10 ms). A command echoes each line it reads;
// the benchmark writes a line and times until it comes back, with the
// command run through the C loader with --mask (values to mask in the
// file) and alone, in turn. added-ms/line is the difference of the medians.
//
//	go test -run='^$' -bench=MaskLatency -benchtime=2000x ./loader/
func BenchmarkMaskLatency(b *testing.B) {
	dir := b.TempDir()
	file := filepath.Join(dir, "_env")
	if err := os.WriteFile(file, []byte("TOKEN=\"glpat-0123456789abcdef\"\n"), 0o444); err != nil {
		b.Fatal(err)
	}
	echo := []string{"/bin/sh", "-c", `while IFS= read -r l; do printf '%s\n' "$l"; done`}
	withLoader := append([]string{loaders(b)[0].bin, "--id=_env", "--file=" + file, "--mask", "--"}, echo...)
	through := newEcho(b, withLoader)
	alone := newEcho(b, echo)
	var masked, plain []time.Duration
	for b.Loop() {
		masked = append(masked, through.roundTrip(b))
		plain = append(plain, alone.roundTrip(b))
	}
	through.close(b)
	alone.close(b)
	slices.Sort(masked)
	slices.Sort(plain)
	m, p := masked[len(masked)/2], plain[len(plain)/2]
	b.ReportMetric(float64(m)/1e6, "masked-ms/line")
	b.ReportMetric(float64(p)/1e6, "alone-ms/line")
	b.ReportMetric(float64(m-p)/1e6, "added-ms/line")
	b.ReportMetric(float64(masked[len(masked)*99/100])/1e6, "masked-p99-ms/line")
}

type echoCmd struct {
	cmd *exec.Cmd
	in  io.WriteCloser
	out *bufio.Reader
}

func newEcho(b *testing.B, argv []string) *echoCmd {
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = []string{"PATH=/usr/bin:/bin"}
	in, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	return &echoCmd{cmd: cmd, in: in, out: bufio.NewReader(out)}
}

// roundTrip writes a line and returns how long it took to come back.
func (e *echoCmd) roundTrip(b *testing.B) time.Duration {
	const line = "a line of build output\n"
	start := time.Now()
	if _, err := io.WriteString(e.in, line); err != nil {
		b.Fatal(err)
	}
	got, err := e.out.ReadString('\n')
	if err != nil || got != line {
		b.Fatalf("read %q, %v", got, err)
	}
	return time.Since(start)
}

func (e *echoCmd) close(b *testing.B) {
	e.in.Close()
	if err := e.cmd.Wait(); err != nil {
		b.Fatal(err)
	}
}
