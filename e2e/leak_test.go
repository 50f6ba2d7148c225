//go:build e2e

package e2e

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// leakDockerfile uses the canary's variables the normal way, without
// printing them. Its stages are all exported; it fails only with FAIL=1.
const leakDockerfile = header + `FROM {{.Base}}
ARG FAIL=0
RUN test "${#TOKEN}" -gt 10 && echo used > /used.txt
RUN <<EOT
case "$PIP_INSTALL_ARG" in *__token__*) echo "index configured" > /index.txt;; esac
EOT
RUN ["/bin/sh", "-c", "test -n \"$TOKEN\" && test \"$FAIL\" = 0"]
`

// TestLeakMatrix: with a canary token in _env, neither the canary nor its
// base64 appears in any place a build leaves behind, with each loader. Each
// place is listed in the test log.
func TestLeakMatrix(t *testing.T) {
	for _, loader := range []string{"program", "shell"} {
		t.Run("loader="+loader, func(t *testing.T) { leakMatrix(t, loader) })
	}
}

func leakMatrix(t *testing.T, loader string) {
	s := getStack(t)
	canary := newCanary(t)
	env := "TOKEN=\"" + canary + "\"\nPIP_INSTALL_ARG=\"--index-url https://__token__:" + canary + "@gitlab.example.com/simple\"\n"
	p := s.project(t, map[string]string{".env": env, "Dockerfile": leakDockerfile})
	needles := leakNeedles(canary)
	var logs strings.Builder
	check := func(place, name string, dt []byte) {
		t.Helper()
		for _, n := range needles {
			if bytes.Contains(dt, []byte(n)) {
				t.Errorf("%s: %s contains %q", place, name, n)
			}
		}
	}
	places := map[string]int{}
	count := func(place string) func(string, []byte) {
		return func(name string, dt []byte) {
			places[place]++
			check(place, name, dt)
		}
	}
	secret := []string{"--secret", "id=_env,src=.env", "--build-arg", "BUILDKIT_DOTENV=loader=" + loader}
	reg := registryOf(s.Base)
	scanner := pushScanner(t, p, reg)

	// The image with provenance (mode=max) and an SBOM by the stand-in
	// scanner, which copies the whole scanned filesystem into the SBOM.
	tarball := filepath.Join(t.TempDir(), "image.tar")
	logs.WriteString(p.build(append(secret, "--provenance", "mode=max", "--sbom", "generator="+scanner,
		"--output", "type=oci,dest="+tarball)...))
	scanTar(t, tarball, count("OCI image (layers, config, history, manifests, provenance, SBOM)"))
	if !tarHasSBOM(t, tarball) {
		t.Error("the OCI export has no SBOM of the stand-in scanner: the SBOM place was not checked")
	}

	// The image's filesystem: the secret's mount point leaves nothing.
	root := p.exported(secret...)
	filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		places["image filesystem"]++
		if strings.Contains(rel, "secrets") || strings.Contains(rel, "_env") {
			t.Errorf("image filesystem: %s left behind", rel)
		}
		if !d.IsDir() {
			dt, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			check("image filesystem", rel, dt)
		}
		return nil
	})

	// Cache exports: local and registry (mode=max), and the inline cache of
	// an image pushed to the registry.
	cacheDir := filepath.Join(t.TempDir(), "cache")
	logs.WriteString(p.build(append(secret, "--no-cache", "--cache-to", "type=local,mode=max,dest="+cacheDir)...))
	walkFiles(t, cacheDir, count("local cache export"))
	cacheRef := reg + "/e2e/leak-cache:" + canary[7:15]
	logs.WriteString(p.build(append(secret, "--cache-to", "type=registry,mode=max,ref="+cacheRef)...))
	registryBlobs(t, p, cacheRef, count("registry cache export"))
	imageRef := reg + "/e2e/leak-image:" + canary[7:15]
	logs.WriteString(p.build(append(secret, "--cache-to", "type=inline", "--output", "type=image,name="+imageRef+",push=true")...))
	registryBlobs(t, p, imageRef, count("image with inline cache in the registry"))

	// Subrequests and the error of a failing RUN.
	check("--call outline", "output", []byte(p.call("outline")))
	check("--call convertllb", "output", []byte(p.call("convertllb,format=json")))
	places["--call outline"], places["--call convertllb"] = 1, 1
	out, err := p.buildErr(append(secret, "--build-arg", "FAIL=1")...)
	if err == nil {
		t.Fatal("the failing build succeeded")
	}
	check("failing RUN's error and log", "output", []byte(out))
	places["failing RUN's error and log"] = 1

	// Every progress log, and buildkitd's log, which holds what the frontend
	// prints on its stdout and stderr.
	check("progress logs", "output", []byte(logs.String()))
	places["progress logs"] = 1
	if log := os.Getenv("BUILDKITD_LOG"); log != "" {
		dt, err := os.ReadFile(log)
		if err != nil {
			t.Fatal(err)
		}
		check("buildkitd and frontend log", log, dt)
		places["buildkitd and frontend log"] = 1
	}
	for place, n := range places {
		t.Logf("checked %-70s %d file(s)", place, n)
	}
}

// TestLeakScanFinds is the control of TestLeakMatrix: when a RUN itself
// writes the token into the image, the same scan finds it.
func TestLeakScanFinds(t *testing.T) {
	s := getStack(t)
	canary := newCanary(t)
	p := s.project(t, map[string]string{".env": "TOKEN=" + canary + "\n", "Dockerfile": header + `FROM {{.Base}}
RUN echo "$TOKEN" | base64 > /leaked-on-purpose.txt
`})
	tarball := filepath.Join(t.TempDir(), "image.tar")
	p.build("--no-cache", "--secret", "id=_env,src=.env", "--output", "type=oci,dest="+tarball)
	found := false
	scanTar(t, tarball, func(_ string, dt []byte) {
		for _, n := range leakNeedles(canary)[1:] {
			found = found || bytes.Contains(dt, []byte(n))
		}
	})
	if !found {
		t.Error("the scan misses a base64 token that a RUN wrote into a layer")
	}
}

func newCanary(t *testing.T) string {
	b := make([]byte, 12)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return "canary-" + hex.EncodeToString(b)
}

// leakNeedles are the canary and the parts of its base64 that stay the same
// whatever the offset it is encoded at.
func leakNeedles(canary string) []string {
	needles := []string{canary}
	for pad := range 3 {
		enc := base64.StdEncoding.EncodeToString([]byte(strings.Repeat("x", pad) + canary))
		needles = append(needles, enc[4:len(enc)-4])
	}
	return needles
}

// gunzip returns dt uncompressed when it is gzip.
func gunzip(t *testing.T, dt []byte) []byte {
	t.Helper()
	if !bytes.HasPrefix(dt, []byte{0x1f, 0x8b}) {
		return dt
	}
	zr, err := gzip.NewReader(bytes.NewReader(dt))
	if err != nil {
		t.Fatal(err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// scanTar calls fn with every file of an OCI tarball, uncompressed.
func scanTar(t *testing.T, path string, fn func(name string, dt []byte)) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return
		} else if err != nil {
			t.Fatal(err)
		}
		dt, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		fn(h.Name, gunzip(t, dt))
	}
}

func tarHasSBOM(t *testing.T, path string) bool {
	found := false
	scanTar(t, path, func(_ string, dt []byte) {
		found = found || bytes.Contains(dt, []byte("stand-in-scanner"))
	})
	return found
}

func walkFiles(t *testing.T, dir string, fn func(name string, dt []byte)) {
	t.Helper()
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		dt, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		fn(path, gunzip(t, dt))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func registryOf(ref string) string {
	host, _, _ := strings.Cut(ref, "/")
	return host
}

// registryBlobs calls fn with every manifest and blob reachable from ref.
func registryBlobs(t *testing.T, p *project, ref string, fn func(name string, dt []byte)) {
	t.Helper()
	repo := ref[:strings.LastIndex(ref, ":")] // ref is host:port/name:tag
	seen := map[string]bool{}
	var walk func(ref string, isManifest bool)
	walk = func(ref string, isManifest bool) {
		if seen[ref] {
			return
		}
		seen[ref] = true
		verb := "blob"
		if isManifest {
			verb = "manifest"
		}
		cmd := exec.CommandContext(t.Context(), "crane", verb, ref)
		dt, err := cmd.Output()
		if err != nil {
			t.Fatalf("crane %s %s: %v", verb, ref, err)
		}
		fn(ref, gunzip(t, dt))
		if !isManifest {
			return
		}
		var m struct {
			Manifests []struct{ Digest string } `json:"manifests"`
			Layers    []struct{ Digest string } `json:"layers"`
			Config    struct{ Digest string }   `json:"config"`
		}
		if err := json.Unmarshal(dt, &m); err != nil {
			t.Fatalf("%s: %v", ref, err)
		}
		for _, d := range m.Manifests {
			walk(repo+"@"+d.Digest, true)
		}
		for _, d := range append(m.Layers, m.Config) {
			if d.Digest != "" {
				walk(repo+"@"+d.Digest, false)
			}
		}
	}
	walk(ref, true)
}

// scannerScript is a stand-in SBOM scanner: its SBOM holds every file name
// and, base64-encoded, the whole scanned filesystem, so that a secret left
// in the image would show up in the SBOM too.
const scannerScript = `#!/bin/sh
set -e
cd "$BUILDKIT_SCAN_SOURCE"
files=$(find . -type f | tr '\n' ' ')
fs=$(tar -cf - . | base64 | tr -d '\n')
printf '{"_type":"https://in-toto.io/Statement/v0.1","predicateType":"https://spdx.dev/Document","subject":[],"predicate":{"spdxVersion":"SPDX-2.3","name":"stand-in-scanner","comment":"%s","filesystem":"%s"}}' "$files" "$fs" > "$BUILDKIT_SCAN_DESTINATION/stand-in.spdx.json"
`

// pushScanner pushes the stand-in scanner image (busybox plus the script).
func pushScanner(t *testing.T, p *project, reg string) string {
	t.Helper()
	ref := reg + "/e2e/sbom-scanner:latest"
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	if err := tw.WriteHeader(&tar.Header{Name: "scan", Mode: 0o755, Size: int64(len(scannerScript))}); err != nil {
		t.Fatal(err)
	}
	if _, err := tw.Write([]byte(scannerScript)); err != nil {
		t.Fatal(err)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	layer := filepath.Join(t.TempDir(), "scanner.tar")
	if err := os.WriteFile(layer, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"append", "--platform", "linux/amd64", "-b", p.s.Base, "-f", layer, "-t", ref},
		{"mutate", ref, "--entrypoint", "/scan"},
	} {
		if out, err := exec.CommandContext(t.Context(), "crane", args...).CombinedOutput(); err != nil {
			t.Fatalf("crane %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	return ref
}
