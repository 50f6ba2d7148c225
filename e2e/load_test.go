//go:build e2e

package e2e

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dockerfile-dotenv/dockerfile-dotenv/internal/peakrss"
)

// TestIsolationUnderLoad: 8 concurrent builds on one buildkitd, each with
// its own _env canary and its own build-arg used by its RUNs, 5 rounds: each
// build sees only its own values, none fails.
func TestIsolationUnderLoad(t *testing.T) {
	s := getStack(t)
	const builds, rounds = 8, 5
	df := header + `FROM {{.Base}} AS build
ARG OWNER
RUN echo "$OWNER $TOKEN" > /one.txt
RUN <<EOT
echo "$OWNER $TOKEN" > /two.txt
EOT
FROM scratch
COPY --from=build /one.txt /two.txt /
`
	for round := range rounds {
		var wg sync.WaitGroup
		for i := range builds {
			canary := newCanary(t)
			// Unique per run: an earlier run's results are in the cache.
			owner := fmt.Sprintf("build-%d-%d-%s", round, i, canary[7:15])
			p := s.project(t, map[string]string{".env": "TOKEN=" + canary + "\n", "Dockerfile": df})
			dest := filepath.Join(t.TempDir(), "out")
			wg.Go(func() {
				out, err := p.buildErr("--secret", "id=_env,src=.env", "--build-arg", "OWNER="+owner, "--output", "type=local,dest="+dest)
				if err != nil {
					t.Errorf("%s failed: %v\n%s", owner, err, out)
					return
				}
				for _, f := range []string{"one.txt", "two.txt"} {
					got, err := os.ReadFile(filepath.Join(dest, f))
					if err != nil || string(got) != owner+" "+canary+"\n" {
						t.Errorf("%s: %s is %q, want its own values (%v)", owner, f, got, err)
					}
				}
			})
		}
		wg.Wait()
	}
}

// TestBounds: a Dockerfile with BOUNDS_RUNS RUNs (40 by default, make
// bounds runs 5,000) and a 500 KB _env, BuildKit's secret size cap, converts
// and builds; every RUN sees the last variable of the file. It logs the
// frontend's peak memory.
//
// The RUNs are spread over stages of at most runsPerStage: on the overlayfs
// snapshotter a chain of about 490 layers is BuildKit's own limit, whatever
// the frontend (upstream's fails there with "mount options is too long").
func TestBounds(t *testing.T) {
	s := getStack(t)
	const runsPerStage = 250
	runs := 40
	if v := os.Getenv("BOUNDS_RUNS"); v != "" {
		var err error
		if runs, err = strconv.Atoi(v); err != nil {
			t.Fatal(err)
		}
	}
	var env strings.Builder
	for i := 0; env.Len() < 500*1024-200; i++ {
		fmt.Fprintf(&env, "VAR_%05d=\"%s\"\n", i, strings.Repeat("v", 40))
	}
	env.WriteString("LAST=the-end\n")
	var df, final strings.Builder
	df.WriteString(header)
	final.WriteString("FROM scratch\n")
	stages := 0
	for i := range runs {
		if i%runsPerStage == 0 {
			fmt.Fprintf(&df, "FROM {{.Base}} AS s%d\n", stages)
			fmt.Fprintf(&final, "COPY --from=s%d /seen.txt /seen-%d.txt\n", stages, stages)
			stages++
		}
		fmt.Fprintf(&df, "RUN echo \"%d $LAST\" >> /seen.txt\n", i)
	}
	df.WriteString(final.String())
	p := s.project(t, map[string]string{".env": env.String(), "Dockerfile": df.String()})

	// The frontend runs as a container process of buildkitd on this machine.
	rss := peakrss.Watch("dockerfile-dotenv", "", 50*time.Millisecond)
	start := time.Now()
	// --no-cache: an earlier run's RUNs would prove nothing about this _env.
	out := p.exported("--no-cache", "--secret", "id=_env,src=.env")
	t.Logf("%d RUNs in %d stages with a %d-byte _env built in %s; frontend peak RSS %d KiB",
		runs, stages, env.Len(), time.Since(start).Round(time.Second), rss.Stop())

	n := 0
	for stage := range stages {
		f, err := os.Open(filepath.Join(out, fmt.Sprintf("seen-%d.txt", stage)))
		if err != nil {
			t.Fatal(err)
		}
		for sc := bufio.NewScanner(f); sc.Scan(); n++ {
			if want := fmt.Sprintf("%d the-end", n); sc.Text() != want {
				t.Fatalf("stage %d: %q, want %q", stage, sc.Text(), want)
			}
		}
		f.Close()
	}
	if n != runs {
		t.Errorf("%d RUNs saw the variables, want %d", n, runs)
	}
}
