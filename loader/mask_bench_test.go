//go:build cgo

package loader

import (
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/dockerfile-dotenv/dockerfile-dotenv/internal/testgen"
	"github.com/dockerfile-dotenv/dockerfile-dotenv/mask"
)

func cpuNow() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

// BenchmarkWriter runs mask's BenchmarkWriter cases through mask.c (the
// writes made in C, so no cgo call is counted) and through mask.Writer, in
// the same run. cpu-MB/s is the bytes over the process's CPU time (the
// machine is shared: wall time overstates the cost).
func BenchmarkWriter(b *testing.B) {
	ps := mask.Patterns(testgen.Values(100))
	text := testgen.Text(4 << 20)
	withSecrets := append([]byte(nil), text...)
	for i := 0; i+200 < len(withSecrets); i += 4096 {
		copy(withSecrets[i:], ps[(i/4096)%len(ps)])
	}
	ps10k := mask.Patterns(testgen.Values(10000))
	ps10 := mask.Patterns(testgen.Values(10))
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
		{"nomatch-10values", text, 32 << 10, ps10},
	} {
		for _, impl := range []string{"c", "go"} {
			b.Run(c.name+"/"+impl, func(b *testing.B) {
				cw, err := newCWriter(c.ps)
				if err != nil {
					b.Fatal(err)
				}
				defer cw.close()
				gw := mask.NewWriter(discard{}, c.ps)
				b.SetBytes(int64(len(c.text)))
				c0 := cpuNow()
				for b.Loop() {
					if impl == "c" {
						if err := cw.run(c.text, c.size); err != nil {
							b.Fatal(err)
						}
						continue
					}
					for p := c.text; len(p) > 0; {
						n := min(len(p), c.size)
						gw.Write(p[:n])
						p = p[n:]
					}
				}
				d := cpuNow() - c0
				b.ReportMetric(float64(len(c.text))*float64(b.N)/d.Seconds()/1e6, "cpu-MB/s")
			})
		}
	}
}

// BenchmarkPatterns: what runs once per RUN, the patterns and their
// matcher, for the benchmark's 100 and 10,000 values.
func BenchmarkPatterns(b *testing.B) {
	for _, n := range []int{100, 10000} {
		vs := testgen.Values(n)
		b.Run(fmt.Sprintf("values=%d/c", n), func(b *testing.B) {
			c := newCValues(vs)
			defer c.free()
			for b.Loop() {
				if _, err := c.derive(); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("values=%d/go", n), func(b *testing.B) {
			for b.Loop() {
				mask.NewWriter(discard{}, mask.Patterns(vs))
			}
		})
	}
}
