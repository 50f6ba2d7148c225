//go:build e2e

// Package e2e builds through the real stack of `make up`: buildkitd with the
// OCI worker and runc, a loopback registry serving the frontend image and a
// stand-in base image, and real clients (docker buildx, buildctl). The tests
// skip under -short and fail, saying so, when the stack is not up.
package e2e

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"text/template"
)

// stack is what `. .local/env` exports.
type stack struct {
	BuildkitHost string // BUILDKIT_HOST
	Frontend     string // FRONTEND_IMAGE, ours, in the loopback registry
	Base         string // BASE_IMAGE, the busybox stand-in (linux/amd64, linux/386)
	Builder      string // BUILDX_BUILDER
	DockerConfig string // DOCKER_CONFIG, with the buildx plugin

	// Upstream is upstream's frontend image of the same BuildKit version,
	// built as published: make up pushes it as docker/dockerfile:1 to the
	// registry that mirrors docker.io.
	Upstream string
}

func getStack(t *testing.T) *stack {
	t.Helper()
	if testing.Short() {
		t.Skip("end-to-end: needs `make up`")
	}
	s := &stack{
		BuildkitHost: os.Getenv("BUILDKIT_HOST"),
		Frontend:     os.Getenv("FRONTEND_IMAGE"),
		Base:         os.Getenv("BASE_IMAGE"),
		Builder:      os.Getenv("BUILDX_BUILDER"),
		DockerConfig: os.Getenv("DOCKER_CONFIG"),
	}
	if s.BuildkitHost == "" || s.Frontend == "" || s.Base == "" || s.Builder == "" {
		t.Fatal("the stack is not up: run `make up` and `. .local/env` (or `make e2e`), or test with -short")
	}
	s.Upstream = registryOf(s.Base) + "/docker/dockerfile:1"
	return s
}

// project is a build context in a temp dir. Files are templates: {{.Frontend}}
// and {{.Base}} stand for the stack's images.
type project struct {
	t   *testing.T
	s   *stack
	dir string
}

func (s *stack) project(t *testing.T, files map[string]string) *project {
	t.Helper()
	p := &project{t: t, s: s, dir: t.TempDir()}
	for name, content := range files {
		p.write(name, content)
	}
	return p
}

func (p *project) write(name, content string) {
	p.t.Helper()
	tmpl, err := template.New(name).Option("missingkey=error").Parse(content)
	if err != nil {
		p.t.Fatal(err)
	}
	var b bytes.Buffer
	if err := tmpl.Execute(&b, p.s); err != nil {
		p.t.Fatal(err)
	}
	path := filepath.Join(p.dir, name)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		p.t.Fatal(err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		p.t.Fatal(err)
	}
}

func (p *project) path(name string) string { return filepath.Join(p.dir, name) }

// run runs a client command in the project dir with the stack's environment
// and returns its combined output.
func (p *project) run(name string, args ...string) (string, error) {
	p.t.Helper()
	cmd := exec.CommandContext(p.t.Context(), name, args...)
	cmd.Dir = p.dir
	cmd.Env = p.env()
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func (p *project) env() []string {
	return append(os.Environ(),
		"BUILDKIT_HOST="+p.s.BuildkitHost,
		"BUILDX_BUILDER="+p.s.Builder,
		"DOCKER_CONFIG="+p.s.DockerConfig,
		"BUILDX_NO_DEFAULT_ATTESTATIONS=1",
	)
}

// build runs `docker buildx build` and fails the test when it fails.
func (p *project) build(args ...string) string {
	p.t.Helper()
	out, err := p.buildErr(args...)
	if err != nil {
		p.t.Fatalf("docker buildx build %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// buildErr runs `docker buildx build ARGS .` and returns its output and error.
func (p *project) buildErr(args ...string) (string, error) {
	p.t.Helper()
	return p.run("docker", append(append([]string{"buildx", "build", "--progress=plain"}, args...), ".")...)
}

// call runs `docker buildx build --call CALL ARGS .` and returns its output
// without progress.
func (p *project) call(call string, args ...string) string {
	p.t.Helper()
	args = append(append([]string{"buildx", "build", "--progress=quiet", "--call", call}, args...), ".")
	cmd := exec.CommandContext(p.t.Context(), "docker", args...)
	cmd.Dir = p.dir
	cmd.Env = p.env()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil && !strings.HasPrefix(call, "check") { // a check with warnings exits 1
		p.t.Fatalf("--call %s: %v\n%s%s", call, err, stdout.String(), stderr.String())
	}
	return stdout.String() + stderr.String()
}

// exported builds with `--output type=local` and returns the output dir.
func (p *project) exported(args ...string) string {
	p.t.Helper()
	dest := filepath.Join(p.t.TempDir(), "out")
	p.build(append([]string{"--output", "type=local,dest=" + dest}, args...)...)
	return dest
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	dt, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(dt)
}
