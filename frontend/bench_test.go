package frontend

import (
	"fmt"
	"strings"
	"testing"

	"github.com/dockerfile-dotenv/dockerfile-dotenv/llb"
	"github.com/dockerfile-dotenv/dockerfile-dotenv/plan"
	"github.com/moby/buildkit/solver/pb"
	digest "github.com/opencontainers/go-digest"
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
		opt := readOpts(b, "none")
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
				if _, _, err := Convert(b.Context(), dt, opt, testFacts); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkPass measures the pass alone on an already converted definition,
// with a fresh rewriter each time so that the Dockerfile is read again.
func BenchmarkPass(b *testing.B) {
	benchDefinitions(b, func(def *pb.Definition) error {
		_, _, err := NewRewriter(nil, plan.NewPolicy(testFacts).Decide).Wrap(def)
		return err
	})
}

// BenchmarkRecode is the floor under any pass that changes a RUN at the root
// of a chain: each op after it changes digest, so each must be decoded,
// encoded and hashed (its old digest too, to find it), and Metadata and
// Source.Locations re-keyed. It changes nothing and decides nothing.
func BenchmarkRecode(b *testing.B) {
	benchDefinitions(b, func(def *pb.Definition) error {
		_, err := recode(def)
		return err
	})
}

// benchDefinitions measures f on the converted benchDockerfile of each size
// (converted only when its size runs).
func benchDefinitions(b *testing.B, f func(*pb.Definition) error) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("runs=%d", n), func(b *testing.B) {
			def := benchDefinition(b, n)
			b.ReportAllocs()
			for b.Loop() {
				if err := f(def); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func benchDefinition(b *testing.B, n int) *pb.Definition {
	def, err := upstreamLLB(b.Context(), benchDockerfile(n), readOpts(b, "none"))
	if err != nil {
		b.Fatal(err)
	}
	return def
}

func recode(def *pb.Definition) (*pb.Definition, error) {
	out := &pb.Definition{
		Def:      make([][]byte, len(def.Def)),
		Metadata: make(map[string]*pb.OpMetadata, len(def.Metadata)),
		Source:   &pb.Source{Infos: def.Source.Infos, Locations: make(map[string]*pb.Locations, len(def.Source.Locations))},
	}
	renamed := make(map[digest.Digest]digest.Digest, len(def.Def))
	for i, dt := range def.Def {
		var op pb.Op
		if err := op.Unmarshal(dt); err != nil {
			return nil, err
		}
		nt, err := op.Marshal()
		if err != nil {
			return nil, err
		}
		out.Def[i] = nt
		renamed[llb.Digest(dt)] = llb.Digest(nt)
	}
	for d, md := range def.Metadata {
		out.Metadata[string(renamed[digest.Digest(d)])] = md
	}
	for d, l := range def.Source.Locations {
		out.Source.Locations[string(renamed[digest.Digest(d)])] = l
	}
	return out, nil
}
