package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The image's frontend labels are upstream's: ./Dockerfile carries the only
// copy (make up's docker/dockerfile stand-in reads upstream's file, the dev
// image reads ./Dockerfile), checked here against upstream's Dockerfile of the
// BuildKit version we build from.
func TestImageLabels(t *testing.T) {
	upstream := upstreamFile(t, "frontend/dockerfile/cmd/dockerfile-frontend/Dockerfile")
	ours := readRepoFile(t, "Dockerfile")
	for _, name := range []string{"moby.buildkit.frontend.network.none", "moby.buildkit.frontend.caps"} {
		want := dockerfileLabel(t, upstream, name)
		if got := dockerfileLabel(t, ours, name); got != want {
			t.Errorf("./Dockerfile: LABEL %s=%q, upstream's image has %q", name, got, want)
		}
	}
	for _, name := range []string{"org.opencontainers.image.version", "org.opencontainers.image.revision", "org.opencontainers.image.source"} {
		if !strings.Contains(ours, name+"=") {
			t.Errorf("./Dockerfile has no label %s", name)
		}
	}
}

// make release publishes every platform upstream's docker/dockerfile image is
// published for: BuildKit's docker-bake.hcl, target frontend-image-cross.
func TestReleasePlatforms(t *testing.T) {
	bake := upstreamFile(t, "docker-bake.hcl")
	m := regexp.MustCompile(`(?s)target "frontend-image-cross" \{.*?platforms = \[(.*?)\]`).FindStringSubmatch(bake)
	if m == nil {
		t.Fatal("docker-bake.hcl has no frontend-image-cross platforms")
	}
	var want []string
	for _, p := range regexp.MustCompile(`"([^"]+)"`).FindAllStringSubmatch(m[1], -1) {
		want = append(want, p[1])
	}
	script := readRepoFile(t, "hack/release.sh")
	got := regexp.MustCompile(`(?m)^PLATFORMS=(.*)$`).FindStringSubmatch(script)
	if got == nil {
		t.Fatal("hack/release.sh has no PLATFORMS= line")
	}
	if got[1] != strings.Join(want, ",") {
		t.Errorf("hack/release.sh: PLATFORMS=%s\nupstream's frontend-image-cross: %s", got[1], strings.Join(want, ","))
	}
}

// dockerfileLabel is the value of LABEL name="value" on a line of its own.
func dockerfileLabel(t *testing.T, dockerfile, name string) string {
	t.Helper()
	m := regexp.MustCompile(`(?m)^LABEL ` + regexp.QuoteMeta(name) + `="([^"]*)"$`).FindStringSubmatch(dockerfile)
	if m == nil {
		t.Fatalf("no LABEL %s=\"…\" line", name)
	}
	return m[1]
}

func upstreamFile(t *testing.T, name string) string {
	t.Helper()
	dir, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", buildkitModule).Output()
	if err != nil {
		t.Fatal(err)
	}
	dt, err := os.ReadFile(filepath.Join(strings.TrimSpace(string(dir)), name))
	if err != nil {
		t.Fatal(err)
	}
	return string(dt)
}

func readRepoFile(t *testing.T, name string) string {
	t.Helper()
	dt, err := os.ReadFile(filepath.Join("..", "..", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(dt)
}
