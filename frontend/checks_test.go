package frontend

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/moby/buildkit/frontend/dockerfile/builder"
	"github.com/moby/buildkit/frontend/gateway/client"
	"github.com/moby/buildkit/frontend/subrequests/lint"
	"github.com/moby/buildkit/frontend/subrequests/outline"
)

// TestChecksGolden runs every ../testdata/checks/<case>/Dockerfile through
// the frontend (upstream's builder and dockerfile2llb, a fake gateway) as a
// build and as `--call check`, with the options of its opts file, and
// compares what a user sees with build.golden (the build's warnings as
// progress shows them, or its error) and check.golden (the check's text).
// Upstream's own rules must report exactly what upstream's frontend, run on
// the same gateway, reports.
func TestChecksGolden(t *testing.T) {
	forEachCase(t, "checks", func(t *testing.T, dir string, dt []byte, opts map[string]string) {
		ours := &fakeClient{dockerfile: string(dt), opts: opts}
		_, err := Build(t.Context(), ours)
		got := renderWarnings(ours.warnings)
		if err != nil {
			got += "ERROR: " + describeError(err)
		}
		compareGolden(t, filepath.Join(dir, "build.golden"), got)
		upstream := &fakeClient{dockerfile: string(dt), opts: opts}
		_, uerr := builder.Build(t.Context(), upstream)
		if want := renderWarnings(upstream.warnings); renderWarnings(withoutOurs(ours.warnings)) != want {
			t.Errorf("upstream's rules warn differently in our build:\n%s\nupstream:\n%s", renderWarnings(withoutOurs(ours.warnings)), want)
		}
		if uerr != nil && (err == nil || !strings.Contains(err.Error(), uerr.Error())) {
			t.Errorf("upstream's build fails with %v, ours with %v", uerr, err)
		}

		results, text := check(t, Build, dt, opts)
		compareGolden(t, filepath.Join(dir, "check.golden"), text)
		uresults, _ := check(t, builder.Build, dt, opts)
		theirs := slices.DeleteFunc(slices.Clone(results.Warnings), func(w lint.Warning) bool { return isOurs(w.RuleName) })
		if len(theirs)+len(uresults.Warnings) > 0 && !jsonEqual(t, theirs, uresults.Warnings) {
			t.Errorf("upstream's rules check differently with our frontend:\n%+v\nupstream:\n%+v", theirs, uresults.Warnings)
		}
		if uresults.Error != nil && (results.Error == nil || !strings.HasPrefix(results.Error.Message, uresults.Error.Message)) {
			t.Errorf("upstream's check fails with %q, ours with %+v", uresults.Error.Message, results.Error)
		}
	})
}

// check runs `--call check` through a frontend and returns its results and
// what buildx prints of them.
func check(t *testing.T, frontend client.BuildFunc, dockerfile []byte, opts map[string]string) (*lint.LintResults, string) {
	t.Helper()
	c := &fakeClient{dockerfile: string(dockerfile), opts: maps.Clone(opts)}
	c.opts["requestid"] = lint.RequestLint
	res, err := frontend(t.Context(), c)
	if err != nil {
		t.Fatalf("check: %v", err)
	}
	var results lint.LintResults
	if err := json.Unmarshal(res.Metadata[resultJSON], &results); err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := results.PrintTo(&b, nil); err != nil {
		t.Fatal(err)
	}
	if results.Error != nil {
		b.WriteString("\nERROR: ")
		results.PrintErrorTo(&b, nil)
	}
	fmt.Fprintf(&b, "\nstatus code %s\n", res.Metadata["result.statuscode"])
	if txt := res.Metadata["result.txt"]; !bytes.HasPrefix(b.Bytes(), txt) {
		t.Errorf("result.txt is not the warnings as printed:\n%s", txt)
	}
	return &results, b.String()
}

// renderWarnings shows warnings as a build's progress does, with their
// lines, description and URL.
func renderWarnings(ws []warning) string {
	var b strings.Builder
	for _, w := range ws {
		fmt.Fprintf(&b, "WARN: %s\n", w.msg)
		var lines []string
		for _, r := range w.opts.Range {
			lines = append(lines, fmt.Sprint(r.Start.Line))
		}
		fmt.Fprintf(&b, "  lines [%s] %s %s\n", strings.Join(lines, " "), bytes.Join(w.opts.Detail, nil), w.opts.URL)
	}
	return b.String()
}

func withoutOurs(ws []warning) []warning {
	return slices.DeleteFunc(slices.Clone(ws), func(w warning) bool { return isOurs(w.msg) })
}

func isOurs(rule string) bool { return strings.HasPrefix(rule, "Dotenv") }

func jsonEqual(t *testing.T, a, b any) bool {
	t.Helper()
	da, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	db, err := json.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	return bytes.Equal(da, db)
}

// readFrontendOpts reads `build-arg K=V`, `target T` and `platform P` lines
// into frontend options.
func readFrontendOpts(t *testing.T, file string) map[string]string {
	t.Helper()
	opts := map[string]string{}
	forOptLine(t, file, func(key, value string) {
		switch key {
		case "build-arg":
			k, v, _ := strings.Cut(value, "=")
			opts["build-arg:"+k] = v
		case "target", "platform":
			opts[key] = value
		default:
			t.Fatalf("%s: unknown option %q", file, key)
		}
	})
	return opts
}

// TestOutlineGolden: for every ../testdata/outline/<case>, `--call
// outline` is upstream's answer, plus the secret the setting gives the
// target's RUNs when it wraps some: outline.golden has what buildx prints
// and the secrets with their locations.
func TestOutlineGolden(t *testing.T) {
	forEachCase(t, "outline", func(t *testing.T, dir string, dt []byte, opts map[string]string) {
		ours, text := outlineOf(t, Build, dt, opts)
		theirs, _ := outlineOf(t, builder.Build, dt, opts)
		compareGolden(t, filepath.Join(dir, "outline.golden"), text+renderSecrets(ours.Secrets))

		// Everything else is upstream's: drop what the setting adds.
		required := map[string]bool{} // by upstream's secrets
		for _, s := range theirs.Secrets {
			required[s.Name] = s.Required
		}
		ours.Secrets = slices.DeleteFunc(ours.Secrets, func(s outline.Secret) bool { _, ok := required[s.Name]; return !ok })
		for i := range ours.Secrets {
			s := &ours.Secrets[i]
			if required[s.Name] && !s.Required {
				t.Errorf("secret %s is required upstream, not here", s.Name)
			}
			s.Required = required[s.Name] // the setting may require what the Dockerfile mounts optionally
		}
		if !jsonEqual(t, ours, theirs) {
			t.Errorf("outline differs from upstream's beyond the setting's secret:\n%+v\nupstream:\n%+v", ours, theirs)
		}
	})
}

// outlineOf runs `--call outline` through a frontend and returns the
// outline and what buildx prints of it.
func outlineOf(t *testing.T, frontend client.BuildFunc, dockerfile []byte, opts map[string]string) (*outline.Outline, string) {
	t.Helper()
	c := &fakeClient{dockerfile: string(dockerfile), opts: maps.Clone(opts)}
	c.opts["requestid"] = outline.RequestSubrequestsOutline
	res, err := frontend(t.Context(), c)
	if err != nil {
		t.Fatalf("outline: %v", err)
	}
	var o outline.Outline
	if err := json.Unmarshal(res.Metadata[resultJSON], &o); err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := outline.PrintOutline(res.Metadata[resultJSON], &b); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b.Bytes(), res.Metadata["result.txt"]) {
		t.Errorf("result.txt is not the outline as printed:\n%s", res.Metadata["result.txt"])
	}
	return &o, b.String()
}

func renderSecrets(secrets []outline.Secret) string {
	var b strings.Builder
	b.WriteString("secrets:\n")
	for _, s := range secrets {
		var lines []string
		for _, r := range s.Location.GetRanges() {
			lines = append(lines, fmt.Sprint(r.Start.Line))
		}
		fmt.Fprintf(&b, "  %s required=%v source %d lines [%s]\n", s.Name, s.Required, s.Location.GetSourceIndex(), strings.Join(lines, " "))
	}
	return b.String()
}

// TestChecksOncePerBuild: a build of two platforms warns once, as
// upstream's builder does (it warns for the first platform only).
func TestChecksOncePerBuild(t *testing.T) {
	c := &fakeClient{
		dockerfile: "FROM busybox as build\nRUN cp /run/secrets/_env /app/.env\n",
		opts:       map[string]string{"platform": "linux/amd64,linux/arm64"},
	}
	if _, err := Build(t.Context(), c); err != nil {
		t.Fatal(err)
	}
	runs := 0
	for _, req := range c.solves {
		if req.Definition != nil && len(execs(t, req.Definition)) > 0 {
			runs++
		}
	}
	if runs != 2 {
		t.Fatalf("%d solves with the RUN, want one per platform", runs)
	}
	// Sorted: the platforms convert and solve in parallel, so ours (at the
	// first solve) may come before upstream's (converting the first).
	want := []string{
		"DotenvSecretCopied: Secret _env is copied from /run/secrets/_env to /app/.env, which stays in the image with every value (line 2)",
		"FromAsCasing: 'as' and 'FROM' keywords' casing do not match (line 1)",
	}
	var got []string
	for _, w := range c.warnings {
		got = append(got, w.msg)
	}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("warnings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestCheckBuildError: an error of the build that is not about the setting
// (here: no loader for the platform) is the check's build error, as
// upstream's check reports a Dockerfile that cannot build.
func TestCheckBuildError(t *testing.T) {
	results, _ := check(t, Build, []byte("FROM busybox\nRUN make\n"), map[string]string{"platform": "linux/mips64"})
	if results.Error == nil || !strings.Contains(results.Error.Message, "has no loader for platform linux/mips64") {
		t.Errorf("check error %+v", results.Error)
	}
}
