//go:build e2e

package e2e

import (
	"encoding/base64"
	"regexp"
	"strings"
	"testing"
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
