//go:build e2e

package e2e

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The Docker Engine of hack/engine.sh (make e2e-engine): Debian's docker.io,
// Engine 20.10 with its embedded BuildKit 0.8, on its own socket, driven the
// ways users drive it: its own docker CLI (`DOCKER_BUILDKIT=1 docker build`,
// the classic CLI builder, as the platform's page says) and docker buildx with
// the docker driver. Its builds pull our image by `# syntax=` from the
// stack's loopback registry.

// engine is the Engine of .local/engine.env next to the stack.
type engine struct {
	*stack
	Host   string // ENGINE_HOST: unix socket, for DOCKER_HOST
	Docker string // ENGINE_DOCKER: the Engine's own docker CLI
}

func getEngine(t *testing.T) *engine {
	t.Helper()
	s := getStack(t)
	e := &engine{stack: s, Host: os.Getenv("ENGINE_HOST"), Docker: os.Getenv("ENGINE_DOCKER")}
	if e.Host == "" || e.Docker == "" {
		notUp(t, "the Docker Engine is not up: make e2e-engine")
	}
	return e
}

// engineEnv is the environment of a client of the Engine: DOCKER_HOST set,
// the stack's builder and buildkitd out of the way.
func (e *engine) env(dockerConfig string) []string {
	var env []string
	for _, kv := range os.Environ() {
		switch k, _, _ := strings.Cut(kv, "="); k {
		case "DOCKER_HOST", "DOCKER_CONTEXT", "DOCKER_CONFIG", "BUILDX_BUILDER", "BUILDKIT_HOST", "DOCKER_BUILDKIT", "BUILDKIT_PROGRESS":
		default:
			env = append(env, kv)
		}
	}
	return append(env, "DOCKER_HOST="+e.Host, "DOCKER_CONFIG="+dockerConfig, "BUILDX_NO_DEFAULT_ATTESTATIONS=1")
}

// classic runs the Engine's own CLI in the project dir, `DOCKER_BUILDKIT=1
// docker ARGS`. With Debian's 20.10 CLI, `docker build` is the classic CLI's
// own BuildKit client (the stack's config dir has the buildx plugin but no
// alias to it); a current CLI hands `docker build` to buildx.
func (e *engine) classic(p *project, args ...string) (string, error) {
	p.t.Helper()
	cmd := exec.CommandContext(p.t.Context(), e.Docker, args...)
	cmd.Dir = p.dir
	cmd.Env = append(e.env(e.DockerConfig), "DOCKER_BUILDKIT=1", "BUILDX_BUILDER=default")
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// classicBuild runs `DOCKER_BUILDKIT=1 docker build --network host ARGS .`
// with the Engine's own CLI. --network host: the Engine runs without a
// bridge here (it may create no network device), and its BuildKit puts RUNs
// on the bridge by default ("network bridge not found" without it).
func (e *engine) classicBuild(p *project, args ...string) (string, error) {
	p.t.Helper()
	return e.classic(p, append(append([]string{"build", "--network", "host"}, args...), ".")...)
}

// buildxBuild runs `docker buildx build --progress=plain --network host ARGS .`
// on the Engine's default builder (the docker driver).
func (e *engine) buildxBuild(p *project, args ...string) (string, error) {
	p.t.Helper()
	return e.buildx(p, append(append([]string{"build", "--progress=plain", "--network", "host"}, args...), ".")...)
}

// buildx runs `docker buildx ARGS` on the Engine's default builder (the
// docker driver) in the project dir.
func (e *engine) buildx(p *project, args ...string) (string, error) {
	p.t.Helper()
	cmd := exec.CommandContext(p.t.Context(), "docker", append([]string{"buildx"}, args...)...)
	cmd.Dir = p.dir
	cmd.Env = append(e.env(e.DockerConfig), "BUILDX_BUILDER=default")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	return stdout.String() + stderr.String(), err
}

// must fails the test when a client command failed.
func must(t *testing.T, what string) func(string, error) string {
	return func(out string, err error) string {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v\n%s", what, err, out)
		}
		return out
	}
}

// engineDockerfile checks the variables in RUNs of every form; it fails
// when one is missing. nonce keeps its RUNs out of an earlier run's cache
// (BuildKit does not key them by the secret).
func engineDockerfile(nonce string) string {
	return header + `FROM {{.Base}}
RUN echo ` + nonce + ` && test "$PIP_INSTALL_ARG" = "--index-url https://__token__:tok-123@gitlab.example.com/api/v4/groups/42/-/packages/pypi/simple"
RUN ["/bin/sh", "-c", "test \"$OTHER_ENV_VAR\" = \"Something else\""]
RUN <<EOT
test "$OTHER_ENV_VAR" = "Something else"
EOT
USER 1000
RUN test "$(id -u) $OTHER_ENV_VAR" = "1000 Something else"
`
}

// TestEngineClassicBuild: the platform page's command,
// `DOCKER_BUILDKIT=1 docker build --secret id=_env,src=<file> .` (plus
// --network host, see classicBuild), with the Engine's own CLI: our frontend runs (pulled by # syntax= from the
// registry) and every RUN sees the variables. The control, the same
// Dockerfile without --secret, fails in the first RUN that checks them.
func TestEngineClassicBuild(t *testing.T) {
	e := getEngine(t)
	p := e.project(t, map[string]string{".env": seedEnv, "Dockerfile": engineDockerfile(newCanary(t))})
	out := must(t, "docker build")(e.classicBuild(p, "--secret", "id=_env,src="+p.path(".env")))
	if !regexp.MustCompile(`resolve image config for (docker-image://)?` + regexp.QuoteMeta(e.Frontend)).MatchString(out) {
		t.Errorf("the build did not use our frontend %s:\n%s", e.Frontend, out)
	}
	t.Logf("docker build with the Engine's CLI:\n%s", out)

	out, err := e.classicBuild(p, "--no-cache")
	if err == nil {
		t.Fatalf("without --secret the checks passed:\n%s", out)
	}
	if !strings.Contains(out, `test "$PIP_INSTALL_ARG" = `) || !strings.Contains(out, "exit code: 1") {
		t.Errorf("without --secret: the error does not name the first check and its exit code:\n%s", out)
	}
}

// TestEngineBuildxDockerDriver: docker buildx build on the Engine's builder
// (the docker driver): the variables arrive in every RUN form and in
// every stage, exported with --output type=local.
func TestEngineBuildxDockerDriver(t *testing.T) {
	e := getEngine(t)
	p := e.project(t, map[string]string{".env": seedEnv, "Dockerfile": header + `FROM {{.Base}} AS build
RUN echo "$OTHER_ENV_VAR" > /shell.txt
RUN ["/bin/sh", "-c", "echo \"$OTHER_ENV_VAR\" > /exec.txt"]
RUN <<EOT
echo "$OTHER_ENV_VAR" > /heredoc.txt
EOT
USER 1000
RUN echo "$(id -u) $OTHER_ENV_VAR" > /tmp/user.txt
FROM {{.Base}} AS other
RUN echo "$OTHER_ENV_VAR" > /other.txt
FROM scratch
COPY --from=build /shell.txt /exec.txt /heredoc.txt /tmp/user.txt /
COPY --from=other /other.txt /
`})
	inspect := must(t, "buildx inspect")(e.buildx(p, "inspect"))
	if !regexp.MustCompile(`(?m)^Driver:\s+docker$`).MatchString(inspect) {
		t.Fatalf("the Engine's default builder is not the docker driver:\n%s", inspect)
	}
	t.Logf("builder:\n%s", inspect)
	dest := filepath.Join(t.TempDir(), "out")
	must(t, "buildx build")(e.buildxBuild(p, "--no-cache", "--secret", "id=_env,src=.env",
		"--output", "type=local,dest="+dest))
	expectFiles(t, dest, map[string]string{
		"shell.txt":   "Something else\n",
		"exec.txt":    "Something else\n",
		"heredoc.txt": "Something else\n",
		"user.txt":    "1000 Something else\n",
		"other.txt":   "Something else\n",
	})
}

// TestEngineFailingRun: on the Engine, a failing RUN's error names the
// user's command and its exit code, not the loader, with both clients.
func TestEngineFailingRun(t *testing.T) {
	e := getEngine(t)
	p := e.project(t, map[string]string{".env": seedEnv, "Dockerfile": header + `FROM {{.Base}}
RUN echo fine
RUN echo "failing on purpose ` + newCanary(t) + `"; exit 3
`})
	for name, run := range map[string]func() (string, error){
		"docker build": func() (string, error) { return e.classicBuild(p, "--secret", "id=_env,src=.env") },
		"docker buildx build": func() (string, error) {
			return e.buildxBuild(p, "--secret", "id=_env,src=.env")
		},
	} {
		out, err := run()
		if err == nil {
			t.Fatalf("%s: the build succeeded:\n%s", name, out)
		}
		final := finalError(out)
		if !regexp.MustCompile(`/bin/sh -c echo \\?"failing on purpose canary-[0-9a-f]+\\?"; exit 3.*exit code: 3`).MatchString(final) {
			t.Errorf("%s: final error %q does not name the command and exit code 3", name, final)
		}
		if strings.Contains(final, "dockerfile-dotenv") || strings.Contains(final, "if [ -r") {
			t.Errorf("%s: final error shows the loader: %q", name, final)
		}
		t.Logf("%s: %s", name, final)
	}
}

// finalError is the last line of a client's output that reports the
// failure: `ERROR: …` (buildx) or `error: …`/`failed to solve: …` (the
// classic CLI).
func finalError(out string) string {
	lines := strings.Split(strings.TrimSpace(out), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		l := lines[i]
		if strings.HasPrefix(l, "ERROR: ") || strings.HasPrefix(l, "error: ") || strings.HasPrefix(l, "failed to solve") {
			return l
		}
	}
	return ""
}

// TestEngineRequiredSecret: with `# dotenv=required`, a build without the
// secret fails naming the id and how to pass it; with it, it builds.
func TestEngineRequiredSecret(t *testing.T) {
	e := getEngine(t)
	p := e.project(t, map[string]string{".env": seedEnv, "Dockerfile": header + `# dotenv=required
FROM {{.Base}}
RUN echo ` + newCanary(t) + ` && test -n "$OTHER_ENV_VAR"
`})
	want := "secret _env is required: pass it with --secret id=_env,src="
	out, err := e.classicBuild(p)
	if err == nil || !strings.Contains(out, want) {
		t.Errorf("docker build without the secret: err %v, output lacks %q:\n%s", err, want, out)
	}
	out, err = e.buildxBuild(p)
	if err == nil || !strings.Contains(out, want) {
		t.Errorf("docker buildx build without the secret: err %v, output lacks %q:\n%s", err, want, out)
	}
	must(t, "docker build with the secret")(e.classicBuild(p, "--secret", "id=_env,src=.env"))
}

// TestEngineKeyedCache: with `# dotenv=cache=secret` on the Engine, the same
// secret is served from cache and a different one re-runs the RUNs and
// exports its own value (the classic CLI: the page's path). Each run's
// tokens are new, so no earlier run's cache can serve it.
func TestEngineKeyedCache(t *testing.T) {
	e := getEngine(t)
	first, second := newCanary(t), newCanary(t)
	p := e.project(t, map[string]string{".env": "TOKEN=" + first + "\n", "Dockerfile": header + `# dotenv=cache=secret
FROM {{.Base}} AS build
RUN echo "$TOKEN" > /one.txt
RUN echo "$TOKEN" > /two.txt
FROM scratch
COPY --from=build /one.txt /two.txt /
`})
	runs := []string{`RUN echo "$TOKEN" > /one.txt`, `RUN echo "$TOKEN" > /two.txt`}
	build := func(dest string) string {
		t.Helper()
		return must(t, "docker build")(e.classicBuild(p, "--progress=plain",
			"--secret", "id=_env,src=.env", "--output", "type=local,dest="+dest))
	}
	build(filepath.Join(t.TempDir(), "out"))
	dest := filepath.Join(t.TempDir(), "out")
	same := build(dest)
	for _, r := range runs {
		if !stepCached(same, r) {
			t.Errorf("same secret: %s was not CACHED:\n%s", r, same)
		}
	}
	expectFiles(t, dest, map[string]string{"one.txt": first + "\n", "two.txt": first + "\n"})

	if err := os.WriteFile(p.path(".env"), []byte("TOKEN="+second+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	dest = filepath.Join(t.TempDir(), "out")
	changed := build(dest)
	for _, r := range runs {
		if stepCached(changed, r) {
			t.Errorf("other secret: %s was CACHED:\n%s", r, changed)
		}
	}
	expectFiles(t, dest, map[string]string{"one.txt": second + "\n", "two.txt": second + "\n"})
}

// TestEngineLeaks: the image the Engine stores after the page's command,
// with a canary token in _env used by RUNs without printing it: neither
// the canary nor its base64 is in any blob of `docker save`, in `docker
// history --no-trunc` or in `docker inspect`; history shows the user's RUN
// text, not the loader. The control: a RUN that writes the token into the
// image is found by the same scan.
func TestEngineLeaks(t *testing.T) {
	e := getEngine(t)
	canary := newCanary(t)
	env := "TOKEN=\"" + canary + "\"\nPIP_INSTALL_ARG=\"--index-url https://__token__:" + canary + "@gitlab.example.com/simple\"\n"
	tag := "e2e/engine-leak:" + canary[7:19]
	p := e.project(t, map[string]string{".env": env, "Dockerfile": leakDockerfile})
	must(t, "docker build")(e.classicBuild(p, "--secret", "id=_env,src=.env", "--no-cache", "-t", tag))
	t.Cleanup(func() { e.classic(p, "rmi", "-f", tag) })

	scan := func(tag string) (found []string) {
		t.Helper()
		needles := leakNeedles(canary)
		check := func(place string, dt []byte) {
			for _, n := range needles {
				if bytes.Contains(dt, []byte(n)) {
					found = append(found, place+" contains "+n)
				}
			}
		}
		tarball := filepath.Join(t.TempDir(), "image.tar")
		must(t, "docker save")(e.classic(p, "save", "-o", tarball, tag))
		files := 0
		scanTar(t, tarball, func(name string, dt []byte) {
			files++
			check("docker save: "+name, dt)
			// each layer is a tar of its own: scan its files too
			if strings.HasSuffix(name, ".tar") {
				scanTarBytes(t, dt, func(inner string, dt []byte) { check("docker save: "+name+": "+inner, dt) })
			}
		})
		history := must(t, "docker history")(e.classic(p, "history", "--no-trunc", tag))
		check("docker history --no-trunc", []byte(history))
		inspect := must(t, "docker inspect")(e.classic(p, "inspect", tag))
		check("docker inspect", []byte(inspect))
		t.Logf("%s: scanned %d files of docker save, docker history, docker inspect", tag, files)
		if !strings.Contains(history, `test "${#TOKEN}" -gt 10`) {
			t.Errorf("docker history lacks the user's RUN text:\n%s", history)
		}
		if strings.Contains(history, "dockerfile-dotenv") || strings.Contains(history, "if [ -r") {
			t.Errorf("docker history shows the loader:\n%s", history)
		}
		return found
	}
	for _, f := range scan(tag) {
		t.Error(f)
	}

	// The control: the scan finds a token a RUN wrote, base64-encoded.
	leaked := "e2e/engine-leak-control:" + canary[7:19]
	q := e.project(t, map[string]string{".env": env, "Dockerfile": header + `FROM {{.Base}}
RUN test "${#TOKEN}" -gt 10 && echo "$TOKEN" | base64 > /leaked-on-purpose.txt
`})
	must(t, "docker build")(e.classicBuild(q, "--no-cache", "--secret", "id=_env,src=.env", "-t", leaked))
	t.Cleanup(func() { e.classic(q, "rmi", "-f", leaked) })
	if len(scan(leaked)) == 0 {
		t.Error("the scan misses a base64 token that a RUN wrote into a layer")
	}
}

// scanTarBytes calls fn with every file of an (uncompressed or gzip) tar.
func scanTarBytes(t *testing.T, dt []byte, fn func(name string, dt []byte)) {
	t.Helper()
	f := filepath.Join(t.TempDir(), "layer.tar")
	if err := os.WriteFile(f, dt, 0o644); err != nil {
		t.Fatal(err)
	}
	scanTar(t, f, fn)
}

// TestEngineSubrequests: on the Engine's BuildKit 0.8, through buildx's
// docker driver, --call outline (but for its _env) and targets answer as
// upstream's frontend image does on the same Engine, --check finds the same
// lint warning, and
// convertllb shows the wrapped RUN. (The Engine's own 20.10 CLI has no
// --call or --check.)
func TestEngineSubrequests(t *testing.T) {
	e := getEngine(t)
	df := `FROM {{.Base}} as deps
# GREETING is the greeting to print.
ARG GREETING=hello
RUN echo "$GREETING"

# app is the app.
FROM deps AS app
`
	p := e.project(t, map[string]string{"Dockerfile": header + df})
	upstream := e.project(t, map[string]string{"Dockerfile": "# syntax={{.Upstream}}\n" + df})
	call := func(p *project, call string) string {
		t.Helper()
		out, err := e.buildx(p, "build", "--progress=quiet", "--call", call, ".")
		if err != nil && call != "check" {
			t.Fatalf("--call %s: %v\n%s", call, err, out)
		}
		return out
	}
	for _, c := range []string{"outline", "targets", "check"} {
		// check quotes the Dockerfile: the syntax lines differ
		got, want := call(p, c), strings.ReplaceAll(call(upstream, c), e.Upstream, e.Frontend)
		if c == "outline" {
			got = withoutEnvRow(t, got) // the RUN is wrapped: ours lists _env
		}
		if got != want {
			t.Errorf("--call %s differs from upstream's:\n%s\nupstream:\n%s", c, got, want)
		}
		if !strings.Contains(got, map[string]string{"outline": "GREETING", "targets": "app", "check": "FromAsCasing"}[c]) {
			t.Errorf("--call %s:\n%s", c, got)
		}
	}
	if got := call(p, "convertllb,format=json"); !strings.Contains(got, `"/run/dockerfile-dotenv/loader"`) || !strings.Contains(got, `"_env"`) {
		t.Errorf("convertllb does not show the wrapped RUN:\n%s", got)
	}
}

// notUp skips a test whose part of the stack is not up, unless its make
// target runs it (E2E_REQUIRED=1): a skip there would pass for a success.
func notUp(t *testing.T, why string) {
	t.Helper()
	if os.Getenv("E2E_REQUIRED") != "" {
		t.Fatal(why)
	}
	t.Skip(why)
}
