//go:build e2e

package e2e

import (
	"archive/tar"
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// canary is a token-like value that must never appear in any output.
const canary = "cAnArY-7f3d9e1b2a"

// TestLoaderReadsNeverRuns: the review's hostile dotenv files (items 1-5 of
// ../shared/research/review-2026-12.md), each in a real build. Loader v1
// evaluated the file as shell; v2 reads it as data: what sh would run is
// refused with the line and the reason, and no value is printed.
func TestLoaderReadsNeverRuns(t *testing.T) {
	s := getStack(t)
	df := header + `FROM {{.Base}} AS build
RUN printf '[%s]' "$TOKEN" "$DB_PASSWORD" "$A" > /out.txt; ls -a > /ls.txt
FROM scratch
COPY --from=build /*.txt /
`
	refused := []struct{ name, env, line, reason string }{
		{"a builtin after a space prints every variable (v1)", "TOKEN=" + canary + "\nNOTE=see set\n", "line 2", "unquoted space or tab in the value of NOTE"},
		{"export prints what is exported (v1)", "TOKEN=" + canary + "\nX=a export\n", "line 2", "unquoted space or tab in the value of X"},
		{"a redirection writes a piece of the value into the layer (v1)", "DB_PASSWORD=aB3>" + canary + "\n", "line 1", "an unquoted ; & | < > ( or ) in the value of DB_PASSWORD"},
		{"& changes the directory the RUN runs in (v1)", "DB_PASSWORD=aB3&cd /tmp" + canary + "\n", "line 1", "in the value of DB_PASSWORD"},
		{"$$ is the shell's pid (v1 corrupted the token)", "TOKEN=\"pa$$" + canary + "\"\n", "line 1", "a special parameter"},
		{"a heredoc prints the rest of the file (v1)", "cat <<EOF\nTOKEN=" + canary + "\nEOF\n", "line 1", "not an assignment"},
		{"UTF-16 (PowerShell 5)", "\xff\xfeT\x00=\x00x\x00\n\x00", "line 1", "the file is UTF-16; save it as UTF-8"},
		{"a value over Linux's 128 KiB per variable (v1 broke every RUN)", "TOKEN=" + strings.Repeat("x", 128*1024) + canary + "\n", "line 1", "TOKEN"},
	}
	for _, tc := range refused {
		t.Run(tc.name, func(t *testing.T) {
			p := s.project(t, map[string]string{".env": tc.env, "Dockerfile": df})
			// --no-cache: BuildKit keeps secrets out of cache keys.
			out, err := p.buildErr("--no-cache", "--secret", "id=_env,src=.env")
			if err == nil {
				t.Fatalf("the build succeeded:\n%s", out)
			}
			if want := "dockerfile-dotenv: secret _env, " + tc.line + ": "; !strings.Contains(out, want) || !strings.Contains(out, tc.reason) {
				t.Errorf("the step's log lacks %q and %q:\n%s", want, tc.reason, out)
			}
			if final := lastErrorLine(out); !strings.Contains(final, "exit code: 125") || !strings.Contains(final, "loader failing to load secret _env") {
				t.Errorf("the final error does not say the loader failed: %q", final)
			}
			if strings.Contains(out, canary) || strings.Contains(out, "aB3") {
				t.Errorf("the output shows part of a value:\n%s", out)
			}
		})
	}

	// What v1 corrupted, v2 gives exactly as written.
	p := s.project(t, map[string]string{"Dockerfile": df, ".env": "\ufeffTOKEN='pa$$word\\n'\r\n" +
		"DB_PASSWORD=\"aB3>kL9&x;y|z\"\n" + // quoted: data, not a redirection
		"A=\"one\r\ntwo\"\r\n"}) // mixed line endings: no \r left in a value
	out := p.exported("--no-cache", "--secret", "id=_env,src=.env")
	expectFiles(t, out, map[string]string{"out.txt": "[pa$$word\\n][aB3>kL9&x;y|z][one\ntwo]"})
	if ls := readFile(t, filepath.Join(out, "ls.txt")); strings.Contains(ls, "kL9") {
		t.Errorf("a file named after a piece of the value was written: %q", ls)
	}
}

// TestShellLessStages: loader v2 needs no shell in the stage. A FROM scratch
// stage with only a static binary, and a distroless-like one, RUN it in exec
// form and it sees the variables; its environment is upstream's plus the
// file's, nothing else (no PWD, no SHLVL).
func TestShellLessStages(t *testing.T) {
	s := getStack(t)
	files := map[string]string{".env": "OTHER_ENV_VAR=\"Something else\"\n", "Dockerfile": `# syntax={{.Frontend}}
FROM {{.Base}} AS busybox
FROM scratch AS static
# busybox's cp, a static binary, copies its own environment into the layer.
COPY --from=busybox /bin/busybox /bin/cp
RUN ["/bin/cp", "/proc/self/environ", "/environ"]
FROM scratch AS distroless
COPY --from=busybox /bin/busybox /usr/bin/cp
ENV PATH=/usr/bin
RUN ["cp", "/proc/self/environ", "/environ"]
FROM scratch
COPY --from=static /environ /static.environ
COPY --from=distroless /environ /distroless.environ
`}
	p := s.project(t, files)
	out := p.exported("--no-cache", "--secret", "id=_env,src=.env")
	upstream := s.project(t, files)
	upstream.write("Dockerfile", strings.Replace(files["Dockerfile"], "{{.Frontend}}", "{{.Upstream}}", 1))
	base := upstream.exported("--no-cache")
	// environ lists a process environment; TRACEPARENT is BuildKit's, new
	// in every build.
	environ := func(file string) []string {
		var env []string
		for _, kv := range strings.Split(strings.TrimRight(readFile(t, file), "\x00"), "\x00") {
			if !strings.HasPrefix(kv, "TRACEPARENT=") {
				env = append(env, kv)
			}
		}
		return env
	}
	for _, name := range []string{"static.environ", "distroless.environ"} {
		got := environ(filepath.Join(out, name))
		want := append(environ(filepath.Join(base, name)), "OTHER_ENV_VAR=Something else")
		if strings.Join(got, "|") != strings.Join(want, "|") {
			t.Errorf("%s: environment %q, want upstream's plus the file's: %q", name, got, want)
		}
	}
}

// TestExecSemantics: exec form means what it means upstream: a file
// without a shebang is not run as a script, and the exit code is the
// command's.
func TestExecSemantics(t *testing.T) {
	s := getStack(t)
	p := s.project(t, map[string]string{".env": seedEnv, "script": "echo ran-as-a-script > /ran\n", "Dockerfile": header + `FROM {{.Base}}
COPY --chmod=755 script /script
RUN ["/script"]
`})
	out, err := p.buildErr("--no-cache", "--secret", "id=_env,src=.env")
	if err == nil {
		t.Fatalf("a shebang-less file ran:\n%s", out)
	}
	if !strings.Contains(out, "exec format error") || !strings.Contains(lastErrorLine(out), `process "/script" did not complete successfully`) {
		t.Errorf("no exec format error naming the user's argv:\n%s", out)
	}
}

// TestLoaderShell: loader=shell keeps loader v1 (the stage's /bin/sh sources
// the file) for those who need it.
func TestLoaderShell(t *testing.T) {
	s := getStack(t)
	p := s.project(t, map[string]string{".env": seedEnv, "Dockerfile": header + `# dotenv=loader=shell
FROM {{.Base}} AS build
RUN echo "$OTHER_ENV_VAR" > /out.txt
FROM scratch
COPY --from=build /out.txt /
`})
	expectFiles(t, p.exported("--secret", "id=_env,src=.env"), map[string]string{"out.txt": "Something else\n"})
}

// TestUpgradeKeepsCache: BuildKit keys a wrapped RUN by the loader's bytes,
// not by the frontend image: another image of the frontend (a new release:
// other layers, another digest) that carries the same loader finds every
// wrapped RUN in the cache. The control: another loader misses it.
func TestUpgradeKeepsCache(t *testing.T) {
	s := getStack(t)
	df := `# syntax={{.Frontend}}
FROM {{.Base}} AS build
RUN echo "$OTHER_ENV_VAR $(cat /proc/sys/kernel/random/uuid)" > /run.txt
FROM scratch
COPY --from=build /run.txt /
`
	p := s.project(t, map[string]string{".env": seedEnv, "Dockerfile": df})
	first := readFile(t, filepath.Join(p.exported("--secret", "id=_env,src=.env"), "run.txt"))

	// A release of the frontend with the same loader: a layer more, so
	// another image digest.
	upgraded := registryOf(s.Frontend) + "/e2e/dockerfile-dotenv:upgraded"
	release := filepath.Join(t.TempDir(), "release.tar")
	writeTarBytes(t, release, "etc/release", []byte("another release\n"), 0o644)
	if out, err := p.run("crane", "append", "--platform", "linux/amd64", "-b", s.Frontend, "-f", release, "-t", upgraded); err != nil {
		t.Fatalf("crane append: %v\n%s", err, out)
	}
	p.write("Dockerfile", strings.Replace(df, "{{.Frontend}}", upgraded, 1))
	out := p.build("--secret", "id=_env,src=.env", "--output", "type=local,dest="+filepath.Join(t.TempDir(), "up"))
	if !stepCached(out, `RUN echo "$OTHER_ENV_VAR $(cat /proc/sys/kernel/random/uuid)" > /run.txt`) {
		t.Errorf("the wrapped RUN was not CACHED with another frontend image and the same loader:\n%s", out)
	}
	if !strings.Contains(out, upgraded) {
		t.Errorf("the build did not use the upgraded image:\n%s", out)
	}

	// Another loader (here: a byte more) is another cache key.
	other := registryOf(s.Frontend) + "/e2e/dockerfile-dotenv:other-loader"
	loader := filepath.Join(t.TempDir(), "loader.tar")
	if out, err := p.run("sh", "-c", `crane export --platform linux/amd64 "$0" - | tar -xO bin/dotenv-loader > "$1.bin" && printf '\0' >> "$1.bin"`, s.Frontend, loader); err != nil {
		t.Fatalf("extracting the loader: %v\n%s", err, out)
	}
	bin, err := os.ReadFile(loader + ".bin")
	if err != nil {
		t.Fatal(err)
	}
	writeTarBytes(t, loader, "bin/dotenv-loader", bin, 0o755)
	if out, err := p.run("crane", "append", "--platform", "linux/amd64", "-b", s.Frontend, "-f", loader, "-t", other); err != nil {
		t.Fatalf("crane append: %v\n%s", err, out)
	}
	p.write("Dockerfile", strings.Replace(df, "{{.Frontend}}", other, 1))
	second := readFile(t, filepath.Join(p.exported("--secret", "id=_env,src=.env"), "run.txt"))
	if second == first {
		t.Errorf("the RUN came from the cache with another loader: %q", second)
	}
}

// writeTarBytes writes a tarball of one file.
func writeTarBytes(t *testing.T, file, name string, dt []byte, mode int64) {
	t.Helper()
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	if err := tw.WriteHeader(&tar.Header{Name: name, Mode: mode, Size: int64(len(dt))}); err != nil {
		t.Fatal(err)
	}
	if _, err := tw.Write(dt); err != nil {
		t.Fatal(err)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}
