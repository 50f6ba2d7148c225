//go:build e2e

package e2e

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/dockerfile-dotenv/dockerfile-dotenv/dotenv"
	"github.com/dockerfile-dotenv/dockerfile-dotenv/mask"
	"github.com/moby/buildkit/client"
	digest "github.com/opencontainers/go-digest"
)

// maskDockerfile prints the canary every way issue #12 lists, each line
// marked so that the rest of the output can be compared.
const maskDockerfile = header + `FROM {{.Base}}
RUN echo "plain: $TOKEN."
RUN echo "url: https://oauth2:$TOKEN@git.example.com/x.git" >&2
RUN echo "index: $PIP_INSTALL_ARG"
RUN printf 'b64: %s\n' "$(printf %s "$TOKEN" | base64)"
RUN printf 'split: %s' "${TOKEN%???????}"; sleep 1; printf '%s end\n' "${TOKEN#??????????}"
RUN for p in 10 50 90; do printf '\rprogress %s%% %s' $p "$TOKEN"; sleep 0.1; done; printf '\rdone\n'
RUN (echo "background: $TOKEN") & wait; echo "main done"
RUN echo before; exec 1>&2; echo "after exec: $TOKEN"
RUN (sleep 2; echo "outlived: $TOKEN") & echo "parent exits"
RUN set -x; true "$TOKEN"
`

const maskEnv = "TOKEN=" + canary + "\n" +
	"PIP_INSTALL_ARG=\"--index-url https://__token__:" + canary + "@gitlab.example.com/simple\"\n"

// maskNeedles are the forms of the canary that must be in no log.
func maskNeedles() []string {
	return []string{canary, base64.StdEncoding.EncodeToString([]byte(canary))[:16], "cAnArY-7f3d9e1b2a", "d9e1b2a"}
}

// TestMaskedLogs: the RUNs print the canary; it is in no progress log
// (plain and rawjson, which carries the raw bytes), masked as ***, and
// the rest of each line is as the RUN printed it.
func TestMaskedLogs(t *testing.T) {
	s := getStack(t)
	p := s.project(t, map[string]string{".env": maskEnv, "Dockerfile": maskDockerfile})
	for _, progress := range []string{"plain", "rawjson"} {
		out, err := p.run("docker", "buildx", "build", "--progress="+progress, "--no-cache", "--secret", "id=_env,src=.env", ".")
		if err != nil {
			t.Fatalf("%s: %v\n%s", progress, err, out)
		}
		for _, n := range maskNeedles() {
			if strings.Contains(out, n) {
				t.Errorf("%s: the log shows %q:\n%s", progress, n, out)
			}
		}
		if progress != "plain" {
			continue
		}
		for _, want := range []string{"plain: ***.", "url: https://oauth2:***@git.example.com/x.git", "index: ***",
			"b64: ***", "split: *** end", "background: ***", "main done", "after exec: ***", "parent exits", "done"} {
			if !strings.Contains(out, want) {
				t.Errorf("the log lacks %q:\n%s", want, out)
			}
		}
	}
}

// TestMaskOff: mask=false, and loader=shell (which cannot mask), print the
// values as upstream does: what TestMaskedLogs finds masked is there.
func TestMaskOff(t *testing.T) {
	s := getStack(t)
	p := s.project(t, map[string]string{".env": maskEnv, "Dockerfile": maskDockerfile})
	for _, setting := range []string{"mask=false", "loader=shell"} {
		out := p.build("--no-cache", "--secret", "id=_env,src=.env", "--build-arg", "BUILDKIT_DOTENV="+setting)
		if !strings.Contains(out, "plain: "+canary+".") || strings.Contains(out, "plain: ***") {
			t.Errorf("%s: the value is not printed as is:\n%s", setting, out)
		}
	}
}

// TestMaskedExitStatus: a failing RUN fails with its own code, its error
// shows no value; a RUN killed by a signal reports 128+signal, as runc
// reports a killed PID 1.
func TestMaskedExitStatus(t *testing.T) {
	s := getStack(t)
	for _, tc := range []struct{ run, want string }{
		{`echo "$TOKEN"; exit 3`, "exit code: 3"},
		{`echo "$TOKEN"; exit 255`, "exit code: 255"},
		// Without masking the RUN's shell is PID 1, which the kernel
		// does not let its own SIGTERM kill: upstream, this RUN goes on.
		// With masking the shell is the loader's child and dies of it.
		{`echo "$TOKEN"; kill -TERM $$; sleep 1`, "exit code: 143"},
		{`echo "$TOKEN"; kill -KILL $$; sleep 1`, "exit code: 137"},
	} {
		t.Run(tc.want, func(t *testing.T) {
			p := s.project(t, map[string]string{".env": maskEnv, "Dockerfile": header + "FROM {{.Base}}\nRUN " + tc.run + "\n"})
			out, err := p.buildErr("--no-cache", "--secret", "id=_env,src=.env")
			if err == nil {
				t.Fatalf("the build succeeded:\n%s", out)
			}
			if final := lastErrorLine(out); !strings.Contains(final, tc.want) || strings.Contains(final, "dockerfile-dotenv") {
				t.Errorf("final error %q, want %q", final, tc.want)
			}
			if strings.Contains(out, canary) {
				t.Errorf("the log shows the value:\n%s", out)
			}
			if !regexp.MustCompile(`(?m)^#\d+ [0-9.]+ \*\*\*$`).MatchString(out) {
				t.Errorf("the RUN's output is not in the log, masked:\n%s", out)
			}
		})
	}
}

// TestMaskedEverywhere: where a RUN's output goes besides the progress
// stream (issue #12): the build record's logs (`docker buildx history
// logs`), buildkitd's log, the exporter's metadata, the image and the cache
// export: the canary that every RUN of maskDockerfile prints is in none.
func TestMaskedEverywhere(t *testing.T) {
	s := getStack(t)
	p := s.project(t, map[string]string{".env": maskEnv, "Dockerfile": maskDockerfile})
	dir := t.TempDir()
	metadata, image, cache := filepath.Join(dir, "metadata.json"), filepath.Join(dir, "image.tar"), filepath.Join(dir, "cache")
	out := p.build("--no-cache", "--secret", "id=_env,src=.env", "--metadata-file", metadata,
		"--output", "type=oci,dest="+image, "--cache-to", "type=local,mode=max,dest="+cache)
	check := func(place string, dt []byte) {
		t.Helper()
		for _, n := range maskNeedles() {
			if bytes.Contains(dt, []byte(n)) {
				t.Errorf("%s shows %q", place, n)
			}
		}
	}
	check("the progress log", []byte(out))
	md := readFile(t, metadata)
	check("the exporter's metadata", []byte(md))
	var meta struct {
		Ref string `json:"buildx.build.ref"`
	}
	if err := json.Unmarshal([]byte(md), &meta); err != nil || meta.Ref == "" {
		t.Fatalf("no buildx.build.ref in the metadata (%v):\n%s", err, md)
	}
	// The record's id is the last part of builder/node/ref.
	logs, err := p.run("docker", "buildx", "history", "logs", meta.Ref[strings.LastIndex(meta.Ref, "/")+1:])
	if err != nil {
		t.Fatalf("docker buildx history logs: %v\n%s", err, logs)
	}
	check("the build record's logs", []byte(logs))
	if !strings.Contains(logs, "plain: ***.") {
		t.Errorf("the build record's logs lack the masked RUN's output:\n%s", logs)
	}
	scanTar(t, image, func(name string, dt []byte) { check("the image: "+name, dt) })
	walkFiles(t, cache, func(name string, dt []byte) { check("the cache export: "+name, dt) })
	if log := os.Getenv("BUILDKITD_LOG"); log != "" {
		check("buildkitd's log", []byte(readFile(t, log)))
	}
}

// TestMaskChangesOnlyValues: what each RUN writes to stdout and to stderr
// with masking is what it writes without it (mask=false, as upstream prints
// it) with the values replaced by ***, as the reference masker (package
// mask) replaces them: byte for byte, stream by stream, nothing else
// changed, lost or reordered. Streams, not the merged plain log: BuildKit
// orders a step's stdout and stderr messages only within each stream.
func TestMaskChangesOnlyValues(t *testing.T) {
	s := getStack(t)
	p := s.project(t, map[string]string{".env": maskEnv, "Dockerfile": maskDockerfile})
	masked := streamOutput(t, p.build("--progress=rawjson", "--no-cache", "--secret", "id=_env,src=.env"))
	plain := streamOutput(t, p.build("--progress=rawjson", "--no-cache", "--secret", "id=_env,src=.env", "--build-arg", "BUILDKIT_DOTENV=mask=false"))
	vars, err := dotenv.Parse([]byte(maskEnv), nil)
	if err != nil {
		t.Fatal(err)
	}
	var values []string
	for _, v := range vars {
		values = append(values, v.Value)
	}
	patterns := mask.Patterns(values)
	if len(masked) != len(plain) || len(plain) < 8 {
		t.Fatalf("%d streams of steps print with masking, %d without:\n%q\n%q", len(masked), len(plain), masked, plain)
	}
	for stream, text := range plain {
		var want bytes.Buffer
		w := mask.NewWriter(&want, patterns)
		w.Write([]byte(text))
		w.Flush()
		if masked[stream] != want.String() {
			t.Errorf("%s: masked output\n%q\nwant (the unmasked output, masked by package mask)\n%q", stream, masked[stream], want.String())
		}
	}
}

// streamOutput returns what each step of a rawjson progress log wrote, by
// the step's name and stream ("[3/11] RUN echo … stdout").
func streamOutput(t *testing.T, log string) map[string]string {
	t.Helper()
	names, out := map[digest.Digest]string{}, map[string]string{}
	for _, line := range strings.Split(log, "\n") {
		var st client.SolveStatus
		if json.Unmarshal([]byte(line), &st) != nil {
			continue // buildx's own lines
		}
		for _, v := range st.Vertexes {
			names[v.Digest] = v.Name
		}
		for _, l := range st.Logs {
			name, ok := names[l.Vertex]
			if !ok {
				t.Fatalf("a log of vertex %s before the vertex:\n%s", l.Vertex, log)
			}
			out[name+" "+map[int]string{1: "stdout", 2: "stderr"}[l.Stream]] += string(l.Data)
		}
	}
	return out
}
