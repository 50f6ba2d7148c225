package mask

import (
	"fmt"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/dockerfile-dotenv/dockerfile-dotenv/internal/testgen"
)

// cpu reports the process's CPU time per op and, with bytes, MB per CPU
// second: the machine is shared, so wall time overstates the cost.
type cpu struct{ start time.Duration }

func cpuNow() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func startCPU() cpu { return cpu{cpuNow()} }

// laps keeps the time of each repetition of a short piece of work: on a
// shared machine the fastest (and the median) of many short laps tell
// the cost better than the total, which counts the time others ran.
type laps []time.Duration

func (l laps) report(b *testing.B, unit string, bytes int) {
	slices.Sort(l)
	best, median := l[0], l[len(l)/2]
	if bytes == 0 {
		b.ReportMetric(float64(best.Nanoseconds()), "best-ns/"+unit)
		b.ReportMetric(float64(median.Nanoseconds()), "median-ns/"+unit)
		return
	}
	b.ReportMetric(float64(bytes)/best.Seconds()/1e6, "best-MB/s")
	b.ReportMetric(float64(bytes)/median.Seconds()/1e6, "median-MB/s")
}

func (c cpu) report(b *testing.B, bytes int) {
	d := cpuNow() - c.start
	b.ReportMetric(float64(d.Nanoseconds())/float64(b.N), "cpu-ns/op")
	if bytes > 0 {
		b.ReportMetric(float64(bytes)*float64(b.N)/d.Seconds()/1e6, "cpu-MB/s")
	}
}

func BenchmarkWriter(b *testing.B) {
	ps := Patterns(testgen.Values(100))
	text := testgen.Text(4 << 20)
	withSecrets := append([]byte(nil), text...)
	for i := 0; i+200 < len(withSecrets); i += 4096 {
		copy(withSecrets[i:], ps[(i/4096)%len(ps)])
	}
	ps10k := Patterns(testgen.Values(10000))
	for _, c := range []struct {
		name string
		text []byte
		size int
		ps   [][]byte
	}{
		{"nomatch", text, 32 << 10, ps},
		{"matches", withSecrets, 32 << 10, ps},
		{"lines", text, 80, ps},
		{"nomatch-10000values", text, 32 << 10, ps10k},
	} {
		b.Run(c.name, func(b *testing.B) {
			w := NewWriter(discard{}, c.ps)
			b.SetBytes(int64(len(c.text)))
			// A lap is 32 KiB: one Write, or 32 KiB of lines.
			var l laps
			c0 := startCPU()
			for b.Loop() {
				for p := c.text; len(p) >= 32<<10; p = p[32<<10:] {
					t0 := time.Now()
					for q := p[:32<<10]; len(q) > 0; {
						n := min(len(q), c.size)
						w.Write(q[:n])
						q = q[n:]
					}
					l = append(l, time.Since(t0))
				}
			}
			c0.report(b, len(c.text))
			l.report(b, "", 32<<10)
		})
	}
}

// BenchmarkBuild measures what runs once per RUN: Patterns, then the
// matcher (NewWriter's cost, without its 32 KiB buffer).
func BenchmarkBuild(b *testing.B) {
	for _, n := range []int{100, 10000} {
		vs := testgen.Values(n)
		size := 0
		for _, v := range vs {
			size += len(v) + 10
		}
		ps := Patterns(vs)
		total := 0
		for _, p := range ps {
			total += len(p)
		}
		for _, step := range []string{"patterns", "matcher"} {
			b.Run(fmt.Sprintf("values=%d/%s", n, step), func(b *testing.B) {
				b.ReportAllocs()
				var l laps
				c0 := startCPU()
				for b.Loop() {
					t0 := time.Now()
					if step == "patterns" {
						Patterns(vs)
					} else {
						newMatcher(ps)
					}
					l = append(l, time.Since(t0))
				}
				c0.report(b, 0)
				l.report(b, "op", 0)
				b.ReportMetric(float64(len(ps)), "patterns")
				b.ReportMetric(float64(total), "pattern-bytes")
				b.ReportMetric(float64(size), "dotenv-bytes")
			})
		}
	}
}
