package frontend

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/dockerfile-dotenv/dockerfile-dotenv/config"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
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
		after, report, err := Convert(t.Context(), dt, opt, testCacheKey)
		if err != nil {
			// Only our own settings may fail where upstream did not, and
			// then with a message about them.
			var el *parser.LocationError
			if buildArg == "" && !errors.As(err, &el) {
				t.Fatalf("conversion failed where upstream's did not, without a Dockerfile line: %v", err)
			}
			return
		}
		checkInvariants(t, before, after, report, buildArg)
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
