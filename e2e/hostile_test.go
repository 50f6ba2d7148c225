//go:build e2e

package e2e

import (
	"regexp"
	"strings"
	"testing"
)

// TestMalformedDotenv: a bad dotenv file fails the RUN with a message that
// names the secret and shows no part of a value; CRLF files work.
func TestMalformedDotenv(t *testing.T) {
	s := getStack(t)
	df := header + `FROM {{.Base}} AS build
RUN echo "[$A][$B]" > /out.txt
FROM scratch
COPY --from=build /out.txt /
`
	for _, env := range []string{"TOKEN=abc s3cr3t-def\n", "TOKEN=\"s3cr3t-unterminated\n", "A=1\r\nTOKEN=abc s3cr3t-def\r\n"} {
		p := s.project(t, map[string]string{".env": env, "Dockerfile": df})
		// --no-cache: BuildKit keeps secrets out of cache keys, so the RUN
		// would come from an earlier build with a valid file.
		out, err := p.buildErr("--no-cache", "--secret", "id=_env,src=.env")
		if err == nil {
			t.Errorf("%q: the build succeeded", env)
		}
		if !strings.Contains(out, "dockerfile-dotenv: secret _env, line ") || !strings.Contains(out, "(values are not shown)") {
			t.Errorf("%q: no message naming the secret:\n%s", env, out)
		}
		if strings.Contains(out, "s3cr3t") {
			t.Errorf("%q: the output shows part of a value:\n%s", env, out)
		}
	}
	p := s.project(t, map[string]string{".env": "A=one\r\n# comment\r\n\r\nexport B=\"two words\"\r\n", "Dockerfile": df})
	expectFiles(t, p.exported("--secret", "id=_env,src=.env"), map[string]string{"out.txt": "[one][two words]\n"})
}

// TestBadDockerfiles: a broken Dockerfile gives the same error, pointing at
// the same line, as upstream's frontend image of the same version; a bad
// setting of ours points at its line too.
func TestBadDockerfiles(t *testing.T) {
	s := getStack(t)
	cases := map[string]string{
		"unknown instruction":   "FROM {{.Base}}\nFOO bar\n",
		"bad flag":              "FROM {{.Base}}\nRUN --frobnicate=1 true\n",
		"bad mount":             "FROM {{.Base}}\nRUN --mount=type=secret,id=_env,mode=banana true\n",
		"bad JSON":              "FROM {{.Base}}\nRUN [\"echo\", \"unterminated]\n",
		"unterminated heredoc":  "FROM {{.Base}}\nRUN <<EOT\necho never ends\n",
		"no FROM":               "RUN true\n",
		"unknown stage":         "FROM {{.Base}}\nCOPY --from=nowhere / /\n",
		"undefined ARG in FROM": "FROM ${NOPE}\nRUN true\n",
	}
	for name, df := range cases {
		t.Run(name, func(t *testing.T) {
			ours := s.project(t, map[string]string{"Dockerfile": header + df})
			upstream := s.project(t, map[string]string{"Dockerfile": "# syntax={{.Upstream}}\n" + df})
			gotOut, err1 := ours.buildErr()
			wantOut, err2 := upstream.buildErr()
			if err1 == nil || err2 == nil {
				t.Fatalf("expected both builds to fail; ours: %v, upstream: %v\n%s", err1, err2, gotOut)
			}
			got, want := errorSummary(gotOut), errorSummary(wantOut)
			if got != want {
				t.Errorf("ours:\n%s\nupstream:\n%s", got, want)
			}
		})
	}

	t.Run("bad setting of ours", func(t *testing.T) {
		p := s.project(t, map[string]string{"Dockerfile": header + "# dotenv=required,colour=blue\nFROM {{.Base}}\nRUN true\n"})
		out, err := p.buildErr()
		if err == nil {
			t.Fatal("the build succeeded")
		}
		if got := errorSummary(out); !strings.Contains(got, `invalid dotenv directive: unknown key "colour"`) || !strings.Contains(got, "Dockerfile:2") {
			t.Errorf("error does not name the key and line 2:\n%s", got)
		}
	})
}

// errorSummary keeps the final error and the Dockerfile location lines of a
// failed build's output.
func errorSummary(out string) string {
	var keep []string
	loc := regexp.MustCompile(`^(Dockerfile:\d+|\s*\d+ \| >>> .*)$`)
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "ERROR: ") || loc.MatchString(l) {
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, "\n")
}
