package frontend

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dockerfile-dotenv/dockerfile-dotenv/config"
	"github.com/dockerfile-dotenv/dockerfile-dotenv/llb"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/buildkit/solver/errdefs"
	"github.com/pkg/errors"
)

// FuzzConvert feeds Dockerfile text through upstream's conversion and the
// pass: whatever upstream accepts, the pass must not panic, and the
// invariants of the golden cases hold. Seeds: the golden Dockerfiles.
func FuzzConvert(f *testing.F) {
	seeds, err := filepath.Glob("../testdata/*/Dockerfile")
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range seeds {
		dt, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(dt, "")
	}
	f.Add([]byte("FROM scratch\nRUN a\n"), "required,stage=x")
	f.Fuzz(func(t *testing.T, dt []byte, buildArg string) {
		opt := readOpts(t, "none")
		if buildArg != "" {
			opt.BuildArgs[config.BuildArg] = buildArg
		}
		before, err := upstreamLLB(t.Context(), dt, opt)
		if err != nil {
			return // upstream rejects it: so does the frontend, before the pass
		}
		after, report, err := Convert(t.Context(), dt, opt, testFacts)
		if err != nil {
			// Only our own settings may fail where upstream did not, and
			// then with a message about them.
			var el *parser.LocationError
			if buildArg == "" && !errors.As(err, &el) && len(errdefs.Sources(err)) == 0 {
				t.Fatalf("conversion failed where upstream's did not, without a Dockerfile line: %v", err)
			}
			return
		}
		checkInvariants(t, before, after, report, buildArg)
		checkEveryRun(t, dt, report)
	})
}

// FuzzConfig: the setting parser never panics, and what it accepts is safe
// to put in the loader (an id and a path that need no quoting).
func FuzzConfig(f *testing.F) {
	for _, s := range []string{"required", "id=x,target=/a/b", "stage=a,stage=b,off=false", "off", "target=/", "id=$(x)"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := config.Default().Apply(s)
		if err != nil {
			return
		}
		for _, v := range []string{c.ID, c.MountTarget()} {
			for _, r := range v {
				if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '.' || r == '-' || r == '/' || r == '@' || r == '+') {
					t.Fatalf("%q accepted with %q in %q", s, r, v)
				}
			}
		}
	})
}

// checkEveryRun: every RUN instruction of the last stage (always built
// without a target), in any case and with any blank after it, is in the
// report with a decision.
func checkEveryRun(t *testing.T, dt []byte, report *llb.Report) {
	t.Helper()
	res, err := parser.Parse(bytes.NewReader(dt))
	if err != nil {
		return
	}
	var last []int
	for _, n := range res.AST.Children {
		switch {
		case strings.EqualFold(n.Value, "from"):
			last = nil
		case strings.EqualFold(n.Value, "run"):
			last = append(last, n.StartLine)
		}
	}
	decided := map[int]bool{}
	for _, s := range report.Steps {
		for _, l := range s.Lines {
			decided[l] = s.Wrapped || s.Reason != ""
		}
	}
	for _, l := range last {
		if !decided[l] {
			t.Errorf("the RUN on line %d is not in the report with a decision", l)
		}
	}
}
