//go:build e2e

package e2e

import (
	"strings"
	"testing"
)

// TestBakeTargetContexts: two bake targets, one consuming the other as a
// context (target:), each with its own setting. The consumer's build carries
// the other's RUNs; they follow their own Dockerfile's directive, and the
// consumer's build-arg applies to the consumer's Dockerfile only.
func TestBakeTargetContexts(t *testing.T) {
	s := getStack(t)
	p := s.project(t, map[string]string{".env": seedEnv,
		"base.Dockerfile": `# syntax={{.Frontend}}
# dotenv=off
FROM {{.Base}}
RUN echo "${OTHER_ENV_VAR-unset}" > /base.txt
`,
		"app.Dockerfile": `# syntax={{.Frontend}}
FROM base
RUN echo "${OTHER_ENV_VAR-unset}" > /app.txt
RUN cat /base.txt /app.txt > /both.txt
`,
		"docker-bake.hcl": `target "base" {
  dockerfile = "base.Dockerfile"
  secret = ["id=_env,src=.env"]
}
target "app" {
  dockerfile = "app.Dockerfile"
  contexts = { base = "target:base" }
  secret = ["id=_env,src=.env"]
  # Key by key over app.Dockerfile's setting; not over base.Dockerfile's off.
  args = { BUILDKIT_DOTENV = "off=false,required" }
  output = ["type=local,dest=bake-out"]
}
`})
	if out, err := p.run("docker", "buildx", "bake", "--progress=plain", "--no-cache", "app"); err != nil {
		t.Fatalf("bake: %v\n%s", err, out)
	}
	expectFiles(t, p.path("bake-out"), map[string]string{"both.txt": "unset\nSomething else\n"})
}

// TestMergedStagesDisagree: identical RUNs in two stages are one step for
// BuildKit; when the setting wraps one and not the other, the build fails
// naming both, instead of choosing silently.
func TestMergedStagesDisagree(t *testing.T) {
	s := getStack(t)
	p := s.project(t, map[string]string{".env": seedEnv, "Dockerfile": header + `# dotenv=stage=build
FROM {{.Base}} AS build
RUN echo "${OTHER_ENV_VAR-unset}" > /out.txt

FROM {{.Base}} AS docs
RUN echo "${OTHER_ENV_VAR-unset}" > /out.txt

FROM scratch
COPY --from=build /out.txt /build.txt
COPY --from=docs /out.txt /docs.txt
`})
	out, err := p.buildErr("--secret", "id=_env,src=.env")
	if err == nil {
		t.Fatalf("the build succeeded:\n%s", out)
	}
	final := lastErrorLine(out)
	for _, want := range []string{
		"identical RUN steps are one step for BuildKit, but the dotenv setting treats them differently",
		"Dockerfile:4 (stage build) is wrapped with secret _env",
		"Dockerfile:7 (stage docs) is left as is: stage docs is not in stage=",
		"make the steps differ",
	} {
		if !strings.Contains(final, want) {
			t.Errorf("final error lacks %q: %s", want, final)
		}
	}
}
