package main

import (
	"bytes"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/dockerfile-dotenv/dockerfile-dotenv/llb"
)

const buildkitModule = "github.com/moby/buildkit"

// The version --version names is the one go.mod requires.
func TestBuildKitVersion(t *testing.T) {
	if got, want := buildkitVersion, goModVersion(t, buildkitModule); got != want {
		t.Errorf("version.go: buildkitVersion = %q, go.mod requires %s %s: update it", got, buildkitModule, want)
	}
}

func goModVersion(t *testing.T, module string) string {
	t.Helper()
	v, err := exec.Command("go", "list", "-m", "-f", "{{.Version}}", module).Output()
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(v))
}

// --version of a binary linked as the Dockerfile links it.
func TestVersion(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "dockerfile-dotenv")
	build := exec.Command("go", "build", "-ldflags", "-X main.Version=1.2.3 -X main.Revision=abc123", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	out, err := exec.Command(bin, "--version").Output()
	if err != nil {
		t.Fatal(err)
	}
	want := "dockerfile-dotenv 1.2.3\ncommit: abc123\nbuildkit: " + goModVersion(t, buildkitModule) +
		"\nloader: v" + strconv.Itoa(llb.LoaderVersion) + "\n"
	if string(out) != want {
		t.Errorf("--version:\n%s\nwant:\n%s", out, want)
	}
}

func TestVersionUnlinked(t *testing.T) {
	var b bytes.Buffer
	printVersion(&b, "x")
	if !strings.HasPrefix(b.String(), "x 0.0.0+unknown\ncommit: unknown\n") {
		t.Errorf("got %q", b.String())
	}
}
