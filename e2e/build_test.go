//go:build e2e

package e2e

import (
	"encoding/json"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// seedEnv is the dotenv file of the platform's page (../shared/seed/).
const seedEnv = `PIP_INSTALL_ARG="--index-url https://__token__:tok-123@gitlab.example.com/api/v4/groups/42/-/packages/pypi/simple"
OTHER_ENV_VAR="Something else"
`

const header = "# syntax={{.Frontend}}\n"

// expectFiles checks exported files by name and exact content.
func expectFiles(t *testing.T, dir string, want map[string]string) {
	t.Helper()
	for name, content := range want {
		if got := readFile(t, filepath.Join(dir, name)); got != content {
			t.Errorf("%s: got %q, want %q", name, got, content)
		}
	}
}

// TestVariablesArrive: shell form, exec form, heredocs with and without a
// shebang all see the variables, exactly as the dotenv file wrote them.
func TestVariablesArrive(t *testing.T) {
	s := getStack(t)
	p := s.project(t, map[string]string{".env": seedEnv, "Dockerfile": header + `FROM {{.Base}} AS build
ENV FROM_ENV=image
RUN echo "$OTHER_ENV_VAR" > /shell.txt
RUN ["/bin/sh", "-c", "echo \"$OTHER_ENV_VAR\" > /exec.txt"]
RUN <<EOT
echo "$OTHER_ENV_VAR" > /heredoc.txt
EOT
RUN <<EOT
#!/bin/sh
echo "$OTHER_ENV_VAR" > /shebang.txt
EOT
RUN test "$PIP_INSTALL_ARG" = "--index-url https://__token__:tok-123@gitlab.example.com/api/v4/groups/42/-/packages/pypi/simple" && echo match > /pip.txt
RUN echo "$FROM_ENV" > /env.txt
FROM scratch
COPY --from=build /*.txt /
`})
	out := p.exported("--secret", "id=_env,src=.env")
	expectFiles(t, out, map[string]string{
		"shell.txt":   "Something else\n",
		"exec.txt":    "Something else\n",
		"heredoc.txt": "Something else\n",
		"shebang.txt": "Something else\n",
		"pip.txt":     "match\n",
		"env.txt":     "image\n",
	})
}

// TestWithoutSecret: no --secret, the build works and the variables are
// unset; with required it fails, naming the id and how to pass it.
func TestWithoutSecret(t *testing.T) {
	s := getStack(t)
	df := `FROM {{.Base}} AS build
RUN echo "${OTHER_ENV_VAR-unset}" > /out.txt
FROM scratch
COPY --from=build /out.txt /
`
	p := s.project(t, map[string]string{"Dockerfile": header + df})
	expectFiles(t, p.exported(), map[string]string{"out.txt": "unset\n"})

	p = s.project(t, map[string]string{"Dockerfile": header + "# dotenv=required\n" + df})
	out, err := p.buildErr()
	if err == nil {
		t.Fatalf("required secret missing, yet the build succeeded:\n%s", out)
	}
	if want := "secret _env is required: pass it with --secret id=_env,src="; !strings.Contains(out, want) {
		t.Errorf("output lacks %q:\n%s", want, out)
	}
}

// TestUserAndShell: a non-root USER reads the variables; a SHELL
// instruction is still the shell that runs the command.
func TestUserAndShell(t *testing.T) {
	s := getStack(t)
	p := s.project(t, map[string]string{".env": seedEnv, "Dockerfile": header + `FROM {{.Base}} AS build
RUN printf '#!/bin/sh\necho via-myshell >> /tmp/myshell.log\nexec /bin/sh "$@"\n' > /myshell && chmod 755 /myshell \
    && chmod 1777 /tmp && touch /tmp/myshell.log && chmod 666 /tmp/myshell.log
SHELL ["/myshell", "-c"]
RUN echo "$OTHER_ENV_VAR" > /tmp/shell.txt
USER 1000
RUN echo "$(id -u) $OTHER_ENV_VAR" > /tmp/user.txt
FROM scratch
COPY --from=build /tmp/*.txt /tmp/*.log /
`})
	expectFiles(t, p.exported("--secret", "id=_env,src=.env"), map[string]string{
		"shell.txt":   "Something else\n",
		"user.txt":    "1000 Something else\n",
		"myshell.log": "via-myshell\nvia-myshell\n",
	})
}

// TestStageWithoutBinSh: in a stage without /bin/sh (distroless :debug
// ships /busybox/sh), RUNs that name their shell, by SHELL or in exec form,
// build as with upstream and see the variables: the loader runs under that
// shell. A failing one's error names the user's command.
func TestStageWithoutBinSh(t *testing.T) {
	s := getStack(t)
	p := s.project(t, map[string]string{".env": seedEnv, "Dockerfile": header + `FROM {{.Base}} AS busybox
FROM scratch AS build
COPY --from=busybox /bin/busybox /busybox/sh
SHELL ["/busybox/sh", "-c"]
RUN echo "$OTHER_ENV_VAR" > /shell.txt
RUN ["/busybox/sh", "-c", "echo \"$OTHER_ENV_VAR\" > /exec.txt"]
ARG FAIL
RUN test -z "$FAIL" || exit 4
FROM scratch
COPY --from=build /*.txt /
`})
	expectFiles(t, p.exported("--secret", "id=_env,src=.env"), map[string]string{
		"shell.txt": "Something else\n",
		"exec.txt":  "Something else\n",
	})
	out, err := p.buildErr("--secret", "id=_env,src=.env", "--build-arg", "FAIL=1")
	if err == nil {
		t.Fatalf("the build succeeded:\n%s", out)
	}
	if final, want := lastErrorLine(out), `process "/busybox/sh -c test -z \"$FAIL\" || exit 4" did not complete successfully: exit code: 4`; !strings.Contains(final, want) {
		t.Errorf("final error %q lacks %q", final, want)
	}
}

// TestFailingRun: the exit code is kept and the error names the user's
// command and its Dockerfile line, not the loader.
func TestFailingRun(t *testing.T) {
	s := getStack(t)
	p := s.project(t, map[string]string{".env": seedEnv, "Dockerfile": header + `FROM {{.Base}}
RUN echo fine
RUN echo "failing on purpose"; exit 3
`})
	out, err := p.buildErr("--secret", "id=_env,src=.env")
	if err == nil {
		t.Fatalf("the build succeeded:\n%s", out)
	}
	final := lastErrorLine(out)
	if want := `process "/bin/sh -c echo \"failing on purpose\"; exit 3" did not complete successfully: exit code: 3`; !strings.Contains(final, want) {
		t.Errorf("final error %q lacks %q", final, want)
	}
	if strings.Contains(final, "dockerfile-dotenv") {
		t.Errorf("final error shows the loader: %q", final)
	}
	if !regexp.MustCompile(`(?m)^Dockerfile:4$`).MatchString(out) || !strings.Contains(out, `>>> RUN echo "failing on purpose"; exit 3`) {
		t.Errorf("output does not point at Dockerfile line 4:\n%s", out)
	}
}

func lastErrorLine(out string) string {
	lines := strings.Split(strings.TrimSpace(out), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if strings.HasPrefix(lines[i], "ERROR: ") {
			return lines[i]
		}
	}
	return ""
}

// TestBoilerplateOptOutStages: the seed's boilerplate Dockerfile builds
// unchanged; a `# dotenv=off` RUN and RUNs of stages outside stage= run
// without the variables.
func TestBoilerplateOptOutStages(t *testing.T) {
	s := getStack(t)
	p := s.project(t, map[string]string{".env": seedEnv, "Dockerfile": header + `# dotenv=stage=build
FROM {{.Base}} AS build
RUN --mount=type=secret,id=_env,dst=/etc/secrets/.env . /etc/secrets/.env \
    && echo "$OTHER_ENV_VAR" > /boilerplate.txt
RUN echo "${OTHER_ENV_VAR-unset}" > /wrapped.txt
# dotenv=off
RUN echo "${OTHER_ENV_VAR-unset}" > /opted-out.txt

FROM {{.Base}} AS other
RUN echo "${OTHER_ENV_VAR-unset}" > /other-stage.txt

FROM scratch
COPY --from=build /*.txt /
COPY --from=other /other-stage.txt /
`})
	expectFiles(t, p.exported("--secret", "id=_env,src=.env"), map[string]string{
		"boilerplate.txt": "Something else\n",
		"wrapped.txt":     "Something else\n",
		"opted-out.txt":   "unset\n",
		"other-stage.txt": "unset\n",
	})
}

// TestMultiStageTargetArgsContexts: COPY --from, --target, build-args and a
// named --build-context (which needs the contexts cap label on the image).
func TestMultiStageTargetArgsContexts(t *testing.T) {
	s := getStack(t)
	p := s.project(t, map[string]string{".env": seedEnv, "extra/extra.txt": "from the named context\n", "Dockerfile": header + `FROM {{.Base}} AS deps
ARG GREETING=hello
RUN echo "$GREETING, $OTHER_ENV_VAR" > /deps.txt

FROM {{.Base}} AS app
COPY --from=deps /deps.txt /
COPY --from=extra /extra.txt /
RUN cat /deps.txt /extra.txt > /app.txt

FROM scratch AS final
COPY --from=app /app.txt /

FROM {{.Base}} AS never
RUN exit 1
`})
	out := p.exported("--secret", "id=_env,src=.env", "--target", "final", "--build-arg", "GREETING=hi",
		"--build-context", "extra="+p.path("extra"))
	expectFiles(t, out, map[string]string{"app.txt": "hi, Something else\nfrom the named context\n"})
}

// TestMultiPlatform: both platforms get the variables, each RUN from the
// loader of its platform (linux/386 runs under qemu-user where the kernel
// lacks i386 support: make tools sets it up).
func TestMultiPlatform(t *testing.T) {
	s := getStack(t)
	p := s.project(t, map[string]string{".env": seedEnv, "Dockerfile": header + `FROM {{.Base}} AS build
ARG TARGETARCH
RUN echo "$TARGETARCH $OTHER_ENV_VAR" > /platform.txt
FROM scratch
COPY --from=build /platform.txt /
`})
	if emulated386(t) {
		t.Log("linux/386 runs under qemu-i386 here")
	}
	out := p.exported("--secret", "id=_env,src=.env", "--platform", "linux/amd64,linux/386")
	expectFiles(t, out, map[string]string{
		"linux_amd64/platform.txt": "amd64 Something else\n",
		"linux_386/platform.txt":   "386 Something else\n",
	})
}

// TestSubrequests: outline, targets and lint answer exactly as upstream's
// frontend image of the same version does, but for the outline's _env
// (TestOutlineSecret); convertllb shows the wrapped RUNs.
func TestSubrequests(t *testing.T) {
	s := getStack(t)
	df := `FROM {{.Base}} AS deps
# GREETING is the greeting to print.
ARG GREETING=hello
RUN echo "$GREETING"

# app is the app.
FROM deps AS app
`
	p := s.project(t, map[string]string{"Dockerfile": header + df})
	upstream := s.project(t, map[string]string{"Dockerfile": "# syntax={{.Upstream}}\n" + df})
	for _, call := range []string{"outline", "targets", "outline,format=json", "targets,format=json"} {
		got, want := p.call(call), upstream.call(call)
		switch call {
		case "outline":
			got = withoutEnvRow(t, got)
		case "outline,format=json":
			_, got = secretEntry(t, got, "_env")
			_, want = secretEntry(t, want, "_env")
		case "targets,format=json":
			got, want = withoutSources(t, got), withoutSources(t, want)
		}
		if got != want {
			t.Errorf("--call %s differs from upstream's:\n%s\nupstream:\n%s", call, got, want)
		}
		if !strings.Contains(got, "app") {
			t.Errorf("--call %s lacks the target:\n%s", call, got)
		}
	}
	if got := p.call("check"); !strings.Contains(got, "no warnings found") {
		t.Errorf("--check:\n%s", got)
	}
	if got := p.call("convertllb,format=json"); !strings.Contains(got, `"/run/dockerfile-dotenv/loader"`) || !strings.Contains(got, `"_env"`) {
		t.Errorf("convertllb does not show the wrapped RUN:\n%s", got)
	}
}

// withoutEnvRow drops the secrets table of a `--call outline` text when
// _env is all it lists, as here (upstream's then has no table).
func withoutEnvRow(t *testing.T, text string) string {
	t.Helper()
	table := regexp.MustCompile(`(?m)^SECRET +REQUIRED\n_env +\n\n`)
	if !table.MatchString(text) {
		t.Errorf("--call outline lists no _env:\n%s", text)
	}
	return table.ReplaceAllString(text, "")
}

// withoutSources drops the Dockerfile text from a JSON answer: it differs
// by the syntax line.
func withoutSources(t *testing.T, answer string) string {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal([]byte(answer), &v); err != nil {
		t.Fatalf("%v:\n%s", err, answer)
	}
	delete(v, "sources")
	dt, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(dt)
}

// TestBuildctlAndBake: the other clients, buildctl through gateway.v0 and
// buildx bake, pass the secret the normal way.
func TestBuildctlAndBake(t *testing.T) {
	s := getStack(t)
	df := `FROM {{.Base}} AS build
RUN echo "$OTHER_ENV_VAR" > /out.txt
FROM scratch
COPY --from=build /out.txt /
`
	p := s.project(t, map[string]string{".env": seedEnv, "Dockerfile": df, "docker-bake.hcl": `target "default" {
  secret = ["id=_env,src=.env"]
  args = { BUILDKIT_SYNTAX = "{{.Frontend}}" }
  output = ["type=local,dest=bake-out"]
}
`})
	dest := filepath.Join(t.TempDir(), "out")
	if out, err := p.run("buildctl", "build", "--frontend", "gateway.v0", "--opt", "source="+s.Frontend,
		"--local", "context=.", "--local", "dockerfile=.", "--secret", "id=_env,src=.env",
		"--output", "type=local,dest="+dest); err != nil {
		t.Fatalf("buildctl: %v\n%s", err, out)
	}
	expectFiles(t, dest, map[string]string{"out.txt": "Something else\n"})

	if out, err := p.run("docker", "buildx", "bake", "--progress=plain"); err != nil {
		t.Fatalf("bake: %v\n%s", err, out)
	}
	expectFiles(t, p.path("bake-out"), map[string]string{"out.txt": "Something else\n"})
}

// TestCache: a changed _env does not rebuild (BuildKit keeps secrets out of
// cache keys), and the same Dockerfile gives the same LLB digests.
func TestCache(t *testing.T) {
	s := getStack(t)
	p := s.project(t, map[string]string{".env": seedEnv, "Dockerfile": header + `FROM {{.Base}} AS build
RUN echo "$OTHER_ENV_VAR" > /one.txt
RUN echo "$OTHER_ENV_VAR" > /two.txt
FROM scratch
COPY --from=build /*.txt /
`})
	p.build("--secret", "id=_env,src=.env")
	if err := os.WriteFile(p.path(".env"), []byte("OTHER_ENV_VAR=rotated\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := p.build("--secret", "id=_env,src=.env")
	for _, run := range []string{"RUN echo \"$OTHER_ENV_VAR\" > /one.txt", "RUN echo \"$OTHER_ENV_VAR\" > /two.txt"} {
		if !stepCached(out, run) {
			t.Errorf("%s was not CACHED after the secret changed:\n%s", run, out)
		}
	}

	first, second := opDigests(t, p.call("convertllb,format=json")), opDigests(t, p.call("convertllb,format=json"))
	if len(first) == 0 || !slices.Equal(first, second) {
		t.Errorf("two conversions of the same Dockerfile differ:\n%v\n%v", first, second)
	}
}

// opDigests returns the sorted op digests of a convertllb answer.
func opDigests(t *testing.T, out string) []string {
	t.Helper()
	var res struct {
		Def map[string]json.RawMessage `json:"def"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("convertllb answer: %v\n%s", err, out)
	}
	return slices.Sorted(maps.Keys(res.Def))
}

// stepCached tells whether the plain progress shows the step named run as CACHED.
func stepCached(out, run string) bool {
	re := regexp.MustCompile(`(?m)^#(\d+) \[[^\]]*\] ` + regexp.QuoteMeta(run) + `$`)
	for _, m := range re.FindAllStringSubmatch(out, -1) {
		if strings.Contains(out, "#"+m[1]+" CACHED\n") {
			return true
		}
	}
	return false
}

// emulated386 tells whether linux/386 binaries run under qemu-user here.
func emulated386(t *testing.T) bool {
	dt, err := os.ReadFile("/proc/sys/fs/binfmt_misc/qemu-i386")
	if errors.Is(err, os.ErrNotExist) {
		return false
	} else if err != nil {
		t.Fatal(err)
	}
	return strings.HasPrefix(string(dt), "enabled\n")
}
