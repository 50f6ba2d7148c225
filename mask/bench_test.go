package mask

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
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

const alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

func token(rng *rand.Rand, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = alnum[rng.IntN(len(alnum))]
	}
	return string(b)
}

// benchValues returns n values as a build platform's dotenv holds them:
// tokens, index URLs with a token (all on one host), short flags, prose.
func benchValues(n int) []string {
	rng := rand.New(rand.NewPCG(5, 6))
	prefixes := []string{"ghp_", "glpat-", "sk-", "xoxb-", ""}
	var vs []string
	for i := range n {
		tok := prefixes[i%len(prefixes)] + token(rng, 20+rng.IntN(21))
		switch i % 10 {
		case 0, 1, 2, 3:
			vs = append(vs, tok)
		case 4:
			vs = append(vs, fmt.Sprintf("https://__token__:%s@gitlab.example.com/api/v4/groups/%d/-/packages/pypi/simple", tok, i))
		case 5:
			vs = append(vs, fmt.Sprintf("--index-url https://__token__:%s@gitlab.example.com/api/v4/projects/%d/packages/pypi/simple", tok, i))
		case 6:
			vs = append(vs, []string{"true", "1", "main", "production"}[i%4])
		case 7:
			vs = append(vs, "Something else "+token(rng, 6))
		case 8:
			vs = append(vs, `{"user":"ci","password":"`+tok+`"}`)
		case 9:
			vs = append(vs, token(rng, 64))
		}
	}
	return vs
}

// benchText returns about n bytes of build output: pip, apt and compiler
// lines, URLs, progress bars.
func benchText(n int) []byte {
	rng := rand.New(rand.NewPCG(7, 8))
	words := strings.Fields("the of and to in is for on with that this from by are be as at or an it not install package build error warning info debug using version update setup running collecting downloading processing requirement already satisfied")
	var b strings.Builder
	for b.Len() < n {
		switch rng.IntN(6) {
		case 0:
			fmt.Fprintf(&b, "Collecting package-%d==1.%d.%d\n", rng.IntN(1000), rng.IntN(30), rng.IntN(10))
		case 1:
			fmt.Fprintf(&b, "  Downloading https://files.pythonhosted.org/packages/%02x/%02x/pkg_%d-1.%d-py3-none-any.whl (%d kB)\n",
				rng.IntN(256), rng.IntN(256), rng.IntN(1000), rng.IntN(30), rng.IntN(5000))
		case 2:
			fmt.Fprintf(&b, "Get:%d http://deb.debian.org/debian bookworm/main amd64 libfoo%d amd64 %d.%d-%d [%d kB]\n",
				rng.IntN(200), rng.IntN(100), rng.IntN(10), rng.IntN(20), rng.IntN(5), rng.IntN(3000))
		case 3:
			for p := 0; p <= 100; p += 25 {
				fmt.Fprintf(&b, "\r%3d%% |%-20s| %d/%d", p, strings.Repeat("#", p/5), p*37, 3700)
			}
			b.WriteString("\n")
		case 4:
			fmt.Fprintf(&b, "gcc -O2 -Wall -c src/module%d.c -o build/module%d.o -I/usr/include/python3.12\n", rng.IntN(100), rng.IntN(100))
		default:
			for range 8 + rng.IntN(8) {
				b.WriteString(words[rng.IntN(len(words))])
				b.WriteByte(' ')
			}
			b.WriteString("\n")
		}
	}
	return []byte(b.String()[:n])
}

func BenchmarkWriter(b *testing.B) {
	ps := Patterns(benchValues(100))
	text := benchText(4 << 20)
	withSecrets := append([]byte(nil), text...)
	for i := 0; i+200 < len(withSecrets); i += 4096 {
		copy(withSecrets[i:], ps[(i/4096)%len(ps)])
	}
	ps10k := Patterns(benchValues(10000))
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
		vs := benchValues(n)
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
