//go:build e2e

package e2e

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dockerfile-dotenv/dockerfile-dotenv/cachekey"
)

const keyedDockerfile = header + `# dotenv=cache=secret
FROM {{.Base}} AS build
RUN echo "$TOKEN" > /one.txt
RUN echo "$TOKEN" > /two.txt
FROM scratch
COPY --from=build /one.txt /two.txt /
`

// TestKeyedCacheIsolation: with cache=secret, 6 concurrent builds of the
// same Dockerfile and args, each with its own _env, each export their own
// value: no RUN is shared between builds with different secrets.
func TestKeyedCacheIsolation(t *testing.T) {
	s := getStack(t)
	var wg sync.WaitGroup
	for i := range 6 {
		canary := newCanary(t)
		p := s.project(t, map[string]string{".env": "TOKEN=" + canary + "\n", "Dockerfile": keyedDockerfile})
		dest := filepath.Join(t.TempDir(), "out")
		wg.Go(func() {
			out, err := p.buildErr("--secret", "id=_env,src=.env", "--output", "type=local,dest="+dest)
			if err != nil {
				t.Errorf("build %d: %v\n%s", i, err, out)
				return
			}
			for _, f := range []string{"one.txt", "two.txt"} {
				if got, err := os.ReadFile(filepath.Join(dest, f)); err != nil || string(got) != canary+"\n" {
					t.Errorf("build %d: %s is %q, want its own token (%v)", i, f, got, err)
				}
			}
		})
	}
	wg.Wait()
}

// TestKeyedCacheRebuilds: with cache=secret, a changed _env re-runs the
// RUNs, the same _env is served from cache; the value leaks into no export.
// It logs the cost of the key step against the same build without it.
func TestKeyedCacheRebuilds(t *testing.T) {
	s := getStack(t)
	canary := newCanary(t)
	p := s.project(t, map[string]string{".env": "TOKEN=" + canary + "\n", "Dockerfile": keyedDockerfile})
	runs := []string{`RUN echo "$TOKEN" > /one.txt`, `RUN echo "$TOKEN" > /two.txt`}
	secret := []string{"--secret", "id=_env,src=.env"}

	p.build(secret...)
	same := p.build(secret...)
	for _, r := range runs {
		if !stepCached(same, r) {
			t.Errorf("same secret: %s was not CACHED:\n%s", r, same)
		}
	}

	rotated := newCanary(t)
	if err := os.WriteFile(p.path(".env"), []byte("TOKEN="+rotated+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	dest := filepath.Join(t.TempDir(), "out")
	changed := p.build(append(secret, "--output", "type=local,dest="+dest)...)
	for _, r := range runs {
		if stepCached(changed, r) {
			t.Errorf("rotated secret: %s was CACHED:\n%s", r, changed)
		}
	}
	expectFiles(t, dest, map[string]string{"one.txt": rotated + "\n", "two.txt": rotated + "\n"})

	// Neither the value nor the key's input (the dotenv file) reaches the
	// image, its provenance or a mode=max cache export, with RUNs that use
	// the value without printing it. The key itself may: a mode=max export
	// carries the keyer's result; the README's threat model says why that is
	// acceptable. The test logs where it is.
	env := "TOKEN=" + rotated + "\n"
	quiet := s.project(t, map[string]string{".env": env, "Dockerfile": header + `# dotenv=cache=secret
FROM {{.Base}}
RUN test -n "$TOKEN" && echo used > /used.txt
`})
	tarball := filepath.Join(t.TempDir(), "image.tar")
	cacheDir := filepath.Join(t.TempDir(), "cache")
	quiet.build(append(secret, "--provenance", "mode=max", "--output", "type=oci,dest="+tarball,
		"--cache-to", "type=local,mode=max,dest="+cacheDir)...)
	needles := append(leakNeedles(rotated), env)
	key := strings.TrimPrefix(cachekey.Key([]byte(env)), "v1:")
	check := func(name string, dt []byte) {
		for _, n := range needles {
			if bytes.Contains(dt, []byte(n)) {
				t.Errorf("%s contains %q", name, n)
			}
		}
		if bytes.Contains(dt, []byte(key)) {
			t.Logf("the key is in %s", name)
		}
	}
	scanTar(t, tarball, check)
	walkFiles(t, cacheDir, check)

	// Cost: the same Dockerfile without cache=secret, and with it, uncached.
	plain := s.project(t, map[string]string{".env": "TOKEN=" + rotated + "\n", "Dockerfile": strings.Replace(keyedDockerfile, "# dotenv=cache=secret\n", "", 1)})
	costs := map[string]time.Duration{}
	for name, q := range map[string]*project{"cache=shared": plain, "cache=secret": p} {
		start := time.Now()
		q.build(append(secret, "--no-cache")...)
		costs[name] = time.Since(start)
	}
	t.Logf("uncached build: cache=shared %s, cache=secret %s", costs["cache=shared"].Round(time.Millisecond), costs["cache=secret"].Round(time.Millisecond))
}
