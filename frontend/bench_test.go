package frontend

import (
	"fmt"
	"strings"
	"testing"
)

// benchDockerfile has n RUNs in one stage, as a long Dockerfile would.
func benchDockerfile(n int) []byte {
	var b strings.Builder
	b.WriteString("FROM scratch\nENV PATH=/usr/bin:/bin\n")
	for i := range n {
		fmt.Fprintf(&b, "RUN echo step %d $PIP_INSTALL_ARG\n", i)
	}
	return []byte(b.String())
}

var benchSizes = []int{10, 100, 1000, 5000}

// BenchmarkConvert compares upstream's conversion alone with conversion plus
// the pass (reading the Dockerfile's plan included), as the frontend does per
// solve. make bench prints the ratio.
func BenchmarkConvert(b *testing.B) {
	for _, n := range benchSizes {
		dt := benchDockerfile(n)
		opt := readOpts(&testing.T{}, "none")
		b.Run(fmt.Sprintf("runs=%d/upstream", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := upstreamLLB(b.Context(), dt, opt); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("runs=%d/dotenv", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, _, err := Convert(b.Context(), dt, opt, testCacheKey); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkPass measures the pass alone on an already converted definition,
// with a fresh rewriter each time so that the Dockerfile is read again.
func BenchmarkPass(b *testing.B) {
	for _, n := range benchSizes {
		def, err := upstreamLLB(b.Context(), benchDockerfile(n), readOpts(&testing.T{}, "none"))
		if err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("runs=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, _, err := NewRewriter(nil, Options{}).Wrap(def); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
