package e2e

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestNoLeak: with a canary token in _env and RUNs that use it without
// printing it, neither the canary nor its base64 appears in any blob of the
// exported OCI image (layers uncompressed, config and history, manifests,
// mode=max provenance), nor in the progress log.
func TestNoLeak(t *testing.T) {
	s := getStack(t)
	canary := newCanary(t)
	p := s.project(t, map[string]string{".env": "TOKEN=\"" + canary + "\"\nPIP_INSTALL_ARG=\"--index-url https://__token__:" + canary + "@gitlab.example.com/simple\"\n",
		"Dockerfile": header + `FROM {{.Base}}
ARG VERSION=1
RUN test "${#TOKEN}" -gt 10 && echo used > /used.txt
RUN <<EOT
case "$PIP_INSTALL_ARG" in *__token__*) echo "index configured" > /index.txt;; esac
EOT
RUN ["/bin/sh", "-c", "test -n \"$TOKEN\""]
`})
	tarball := filepath.Join(t.TempDir(), "image.tar")
	out := p.build("--secret", "id=_env,src=.env", "--provenance", "mode=max", "--output", "type=oci,dest="+tarball)

	needles := leakNeedles(canary)
	checked := scanTar(t, tarball, func(name string, dt []byte) {
		for _, n := range needles {
			if bytes.Contains(dt, []byte(n)) {
				t.Errorf("blob %s contains %q", name, n)
			}
		}
	})
	if checked < 5 { // index, manifest, config, layer, provenance at least
		t.Errorf("only %d blobs checked", checked)
	}
	for _, n := range needles {
		if strings.Contains(out, n) {
			t.Errorf("progress log contains %q", n)
		}
	}
	// The RUNs did see the token: the layer has their files.
	if !strings.Contains(out, "exporting layers") {
		t.Errorf("no image exported:\n%s", out)
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

// scanTar calls fn with every file of an OCI tarball, gunzipped when it is
// gzip, and returns how many it saw.
func scanTar(t *testing.T, path string, fn func(name string, dt []byte)) int {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	n := 0
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		dt, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.HasPrefix(dt, []byte{0x1f, 0x8b}) {
			zr, err := gzip.NewReader(bytes.NewReader(dt))
			if err != nil {
				t.Fatal(err)
			}
			if dt, err = io.ReadAll(zr); err != nil {
				t.Fatal(err)
			}
		}
		fn(h.Name, dt)
		n++
	}
	return n
}
