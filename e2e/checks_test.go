//go:build e2e

package e2e

import (
	"encoding/json"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestOutlineSecret: `--call outline` lists _env where upstream lists the
// secrets the Dockerfile mounts, required as the setting says, and is
// otherwise upstream's answer for the same Dockerfile; a target whose RUNs
// the setting leaves out gets upstream's answer exactly.
func TestOutlineSecret(t *testing.T) {
	s := getStack(t)
	df := `FROM {{.Base}} AS build
# GREETING is the greeting to print.
ARG GREETING=hello
RUN --mount=type=secret,id=token echo "$GREETING"
RUN echo "${OTHER_ENV_VAR-unset}"

FROM {{.Base}} AS docs
RUN echo docs
`
	for _, tc := range []struct {
		setting, target string
		want            string // the _env entry of the JSON answer (keys sorted), "" for none
	}{
		{"", "build", `{"location":{"ranges":[{"end":{"line":5},"start":{"line":5}}]},"name":"_env"}`},
		{"# dotenv=required\n", "build", `{"location":{"ranges":[{"end":{"line":6},"start":{"line":6}}]},"name":"_env","required":true}`},
		{"# dotenv=stage=build\n", "docs", ""},
	} {
		p := s.project(t, map[string]string{"Dockerfile": header + tc.setting + df})
		upstream := s.project(t, map[string]string{"Dockerfile": "# syntax={{.Upstream}}\n" + tc.setting + df})
		args := []string{"--target", tc.target}
		got, want := p.call("outline,format=json", args...), upstream.call("outline,format=json", args...)
		ours, rest := secretEntry(t, got, "_env")
		if ours != tc.want {
			t.Errorf("%q --target %s: _env entry %s, want %s", tc.setting, tc.target, ours, tc.want)
		}
		if _, theirs := secretEntry(t, want, "_env"); rest != theirs {
			t.Errorf("%q --target %s: outline differs from upstream's beyond _env:\n%s\nupstream:\n%s", tc.setting, tc.target, rest, theirs)
		}
		text := p.call("outline", args...)
		if hasRow := regexp.MustCompile(`(?m)^_env\b`).MatchString(text); hasRow != (tc.want != "") {
			t.Errorf("%q --target %s: --call outline:\n%s", tc.setting, tc.target, text)
		}
	}
}

// secretEntry returns the JSON of the secret named id in an outline answer,
// and the answer without it and without the Dockerfile's text (which
// differs by the syntax line).
func secretEntry(t *testing.T, answer, id string) (entry, rest string) {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal([]byte(answer), &v); err != nil {
		t.Fatalf("%v:\n%s", err, answer)
	}
	delete(v, "sources")
	secrets, _ := v["secrets"].([]any)
	secrets = slices.DeleteFunc(secrets, func(s any) bool {
		if s.(map[string]any)["name"] != id {
			return false
		}
		dt, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		entry = string(dt)
		return true
	})
	if len(secrets) == 0 {
		delete(v, "secrets")
	} else {
		v["secrets"] = secrets
	}
	dt, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return entry, string(dt)
}

// checksDockerfile triggers upstream's FromAsCasing and four of our rules.
const checksDockerfile = `# dotenv=stage=build
FROM {{.Base}} AS tools

FROM {{.Base}} as build
RUN --mount=type=secret,id=_env . /run/secrets/_env && echo built > /out
RUN cp /run/secrets/_env /env.copy
RUN --mount=type=bind,from=tools,source=/,target=/run true

FROM {{.Base}} AS docs
RUN echo docs > /docs

FROM scratch
COPY --from=build /out /out
COPY --from=docs /docs /docs
`

// checksWarnings are our warnings for header + checksDockerfile.
var checksWarnings = []string{
	"DotenvRedundantBoilerplate: Secret _env is mounted and loaded by hand, which dockerfile-dotenv does for every RUN; this can read: RUN echo built > /out (line 6)",
	"DotenvSecretCopied: Secret _env is copied from /run/secrets/_env to /env.copy, which stays in the image with every value (line 7)",
	"DotenvMountConflict: RUN runs without secret _env: it has a read-only mount at /run, above /run/secrets/_env (line 8)",
	"DotenvStageExcluded: RUNs of stage docs run without secret _env: stage= lists build (line 10)",
}

// TestCheck: `--call check`, its JSON and `--check` report our rules with
// upstream's, which report exactly what they do with upstream's image;
// `# check=skip=` and `# check=error=true` apply to ours.
func TestCheck(t *testing.T) {
	s := getStack(t)
	p := s.project(t, map[string]string{"Dockerfile": header + checksDockerfile})
	upstream := s.project(t, map[string]string{"Dockerfile": "# syntax={{.Upstream}}\n" + checksDockerfile})

	ours, theirs := checkWarnings(t, p.call("check,format=json")), checkWarnings(t, upstream.call("check,format=json"))
	var got []string
	for _, w := range ours {
		if strings.HasPrefix(w.RuleName, "Dotenv") {
			got = append(got, w.short())
		}
	}
	want := slices.Clone(checksWarnings)
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("our warnings in --call check,format=json:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	ours = slices.DeleteFunc(ours, func(w checkWarning) bool { return strings.HasPrefix(w.RuleName, "Dotenv") })
	if !slices.Equal(ours, theirs) || len(theirs) == 0 {
		t.Errorf("upstream's rules differ with our image:\n%+v\nupstream's image:\n%+v", ours, theirs)
	}

	text := p.call("check")
	for _, want := range []string{
		"Check complete, 5 warnings have been found!",
		"WARNING: FromAsCasing - https://docs.docker.com/go/dockerfile/rule/from-as-casing/",
		"WARNING: DotenvMountConflict - https://github.com/dockerfile-dotenv/dockerfile-dotenv#dotenvmountconflict\nRUN runs without secret _env: it has a read-only mount at /run, above /run/secrets/_env\nDockerfile:8\n",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("--call check lacks %q:\n%s", want, text)
		}
	}
	out, err := p.run("docker", "buildx", "build", "--check", ".")
	if err == nil || !strings.Contains(out, "WARNING: DotenvStageExcluded") || !strings.Contains(out, "Check complete, 5 warnings") {
		t.Errorf("--check: %v\n%s", err, out)
	}

	skip := s.project(t, map[string]string{"Dockerfile": header +
		"# check=skip=DotenvSecretCopied,DotenvMountConflict,DotenvStageExcluded,FromAsCasing\n" + checksDockerfile})
	if got := skip.call("check"); !strings.Contains(got, "Check complete, 1 warning has been found!") || !strings.Contains(got, "DotenvRedundantBoilerplate") {
		t.Errorf("check=skip:\n%s", got)
	}
}

// TestCheckError: with `# check=error=true` a warning of ours fails the
// check and the build, as upstream's rules do.
func TestCheckError(t *testing.T) {
	s := getStack(t)
	p := s.project(t, map[string]string{"Dockerfile": header + `# check=error=true
FROM {{.Base}}
RUN cp /run/secrets/_env /env.copy
`})
	if got := p.call("check"); !strings.Contains(got, "WARNING: DotenvSecretCopied") || !strings.Contains(got, "lint violation found for rules: DotenvSecretCopied") {
		t.Errorf("--call check:\n%s", got)
	}
	out, err := p.buildErr()
	if err == nil || !strings.Contains(lastErrorLine(out), "lint violation found for rules: DotenvSecretCopied") {
		t.Errorf("the build: %v\n%s", err, out)
	}
}

// TestBuildWarnings: a plain build prints our warnings as upstream prints
// its own in buildx's summary, `Rule: message (line N)`, whether the
// frontend is chosen by a `# syntax=` line or by BUILDKIT_SYNTAX. (With
// BUILDKIT_SYNTAX upstream's warnings also show as `WARN:` on the
// Dockerfile's step; ours come from the pass, once the step is done, and
// buildx shows them in the summary only: README, Checks.)
func TestBuildWarnings(t *testing.T) {
	s := getStack(t)
	// A harmless secret: the Dockerfile copies it into a layer.
	files := map[string]string{".env": "HARMLESS=1\n", "Dockerfile": header + checksDockerfile}
	bySyntaxLine := s.project(t, files).build("--secret", "id=_env,src=.env")
	files["Dockerfile"] = "# escape=\\\n" + checksDockerfile // the same lines, no syntax line
	byBuildArg := s.project(t, files).build("--secret", "id=_env,src=.env", "--build-arg", "BUILDKIT_SYNTAX="+s.Frontend)
	upstreamRule := "FromAsCasing: 'as' and 'FROM' keywords' casing do not match (line 5)"
	if !strings.Contains(byBuildArg, "WARN: "+upstreamRule) {
		t.Errorf("BUILDKIT_SYNTAX: the build's progress lacks WARN: %s\n%s", upstreamRule, byBuildArg)
	}
	for _, out := range []string{bySyntaxLine, byBuildArg} {
		for _, w := range append(slices.Clone(checksWarnings), upstreamRule) {
			if !strings.Contains(out, " - "+w) {
				t.Errorf("the build's summary lacks - %s:\n%s", w, out)
			}
		}
		if want := "5 warnings found"; !strings.Contains(out, want) {
			t.Errorf("the build's summary lacks %q:\n%s", want, out)
		}
	}
}

// checkWarning is a warning of a `--call check,format=json` answer, without
// its source index (the sources differ by the syntax line).
type checkWarning struct {
	RuleName, Description, URL, Detail string
	Lines                              string
}

func (w checkWarning) short() string { return w.RuleName + ": " + w.Detail + " (line " + w.Lines + ")" }

func checkWarnings(t *testing.T, answer string) []checkWarning {
	t.Helper()
	var v struct {
		Warnings []struct {
			RuleName    string `json:"ruleName"`
			Description string `json:"description"`
			URL         string `json:"url"`
			Detail      string `json:"detail"`
			Location    struct {
				Ranges []struct {
					Start struct {
						Line int `json:"line"`
					} `json:"start"`
				} `json:"ranges"`
			} `json:"location"`
		} `json:"warnings"`
	}
	if err := json.Unmarshal([]byte(answer), &v); err != nil {
		t.Fatalf("%v:\n%s", err, answer)
	}
	var out []checkWarning
	for _, w := range v.Warnings {
		line := ""
		if len(w.Location.Ranges) > 0 {
			line = strconv.Itoa(w.Location.Ranges[0].Start.Line)
		}
		out = append(out, checkWarning{w.RuleName, w.Description, w.URL, w.Detail, line})
	}
	return out
}

// TestCheckSettings: settings the build rejects are reported by --call
// check under their rule, with the build's message and line; a stage= that
// the target runs no RUN in is a warning.
func TestCheckSettings(t *testing.T) {
	s := getStack(t)
	for _, tc := range []struct {
		name, dockerfile string
		args             []string
		want             string // in --call check
		build            string // in the build's error, "" when it builds
	}{
		{
			name:       "invalid directive",
			dockerfile: header + "# dotenv=id=a,id=b\nFROM {{.Base}}\nRUN true\n",
			want:       "WARNING: DotenvInvalidSetting - https://github.com/dockerfile-dotenv/dockerfile-dotenv#dotenvinvalidsetting\ninvalid dotenv directive: id: given twice\nDockerfile:2\n",
			build:      "invalid dotenv directive: id: given twice",
		},
		{
			name:       "invalid build-arg",
			dockerfile: header + "FROM {{.Base}}\nRUN true\n",
			args:       []string{"--build-arg", "BUILDKIT_DOTENV=requird"},
			want:       "WARNING: DotenvInvalidSetting - https://github.com/dockerfile-dotenv/dockerfile-dotenv#dotenvinvalidsetting\ninvalid build-arg BUILDKIT_DOTENV: unknown key \"requird\"",
			build:      "invalid build-arg BUILDKIT_DOTENV: unknown key \"requird\"",
		},
		{
			// BuildKit ignores the syntax line: our frontend runs only when
			// selected another way.
			name:       "directive above syntax",
			dockerfile: "# dotenv=required\n" + header + "FROM {{.Base}}\nRUN true\n",
			args:       []string{"--build-arg", "BUILDKIT_SYNTAX={{.Frontend}}"},
			want:       "WARNING: DotenvDirectiveIgnored - https://github.com/dockerfile-dotenv/dockerfile-dotenv#dotenvdirectiveignored\nthe dotenv directive must come after the syntax directive: BuildKit ignores directives that follow one it does not know\nDockerfile:1\n",
			build:      "the dotenv directive must come after the syntax directive",
		},
		{
			name:       "stage unreached",
			dockerfile: header + "# dotenv=stage=build\nFROM {{.Base}} AS build\nRUN true\n\nFROM {{.Base}} AS docs\nRUN echo docs\n",
			args:       []string{"--target", "docs"},
			want:       "WARNING: DotenvStageUnreached - https://github.com/dockerfile-dotenv/dockerfile-dotenv#dotenvstageunreached\nNo RUN gets secret _env: target docs runs no RUN in a stage of stage= (build)\nDockerfile:2\n",
		},
	} {
		p := s.project(t, map[string]string{"Dockerfile": tc.dockerfile})
		args := slices.Clone(tc.args)
		for i, a := range args {
			args[i] = strings.ReplaceAll(a, "{{.Frontend}}", s.Frontend)
		}
		if got := p.call("check", args...); !strings.Contains(got, tc.want) {
			t.Errorf("%s: --call check lacks %q:\n%s", tc.name, tc.want, got)
		}
		out, err := p.buildErr(args...)
		switch {
		case tc.build == "" && err != nil:
			t.Errorf("%s: the build failed: %v\n%s", tc.name, err, out)
		case tc.build != "" && (err == nil || !strings.Contains(lastErrorLine(out), tc.build)):
			t.Errorf("%s: the build's error lacks %q: %v\n%s", tc.name, tc.build, err, out)
		}
	}
}
