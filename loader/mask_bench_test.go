//go:build cgo

package loader

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dockerfile-dotenv/dockerfile-dotenv/mask"
)

// benchValues and benchText are mask's (bench_test.go), to measure mask.c
// on the same values and text as mask's BenchmarkWriter.

const alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

func token(rng *rand.Rand, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = alnum[rng.IntN(len(alnum))]
	}
	return string(b)
}

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
	ps := mask.Patterns(benchValues(100))
	text := benchText(4 << 20)
	withSecrets := append([]byte(nil), text...)
	for i := 0; i+200 < len(withSecrets); i += 4096 {
		copy(withSecrets[i:], ps[(i/4096)%len(ps)])
	}
	ps10k := mask.Patterns(benchValues(10000))
	ps10 := mask.Patterns(benchValues(10))
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
		vs := benchValues(n)
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
