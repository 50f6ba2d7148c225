package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dockerfile-dotenv/dockerfile-dotenv/llb"
	bkllb "github.com/moby/buildkit/client/llb"
)

const image = "registry.example/dockerfile-dotenv@sha256:0000000000000000000000000000000000000000000000000000000000000000"

// dotenvLLB runs the command on a Dockerfile and returns stdout, stderr and
// the error as main would print it.
func dotenvLLB(t *testing.T, dockerfile string, args ...string) (string, string, string) {
	t.Helper()
	file := filepath.Join(t.TempDir(), "Dockerfile")
	if err := os.WriteFile(file, []byte(dockerfile), 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	err := run(append([]string{"-f", file, "--offline"}, args...), strings.NewReader(dockerfile), &stdout, &stderr)
	msg := ""
	if err != nil {
		msg = located(err)
	}
	return stdout.String(), stderr.String(), msg
}

func TestJSON(t *testing.T) {
	out, stderr, err := dotenvLLB(t, "FROM scratch\nRUN make\n# dotenv=off\nRUN make test\n", "--json", "--frontend-image", image)
	if err != "" || stderr != "" {
		t.Fatalf("error %q, stderr %q", err, stderr)
	}
	var got struct {
		Steps []llb.Step
		Ops   []struct {
			Digest   string          `json:"digest"`
			Op       json.RawMessage `json:"op"`
			Metadata json.RawMessage `json:"metadata"`
		}
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if len(got.Steps) != 2 || !got.Steps[0].Wrapped || got.Steps[0].Line != 2 || got.Steps[1].Wrapped || got.Steps[1].Reason != "opted out on line 3" {
		t.Errorf("steps %+v", got.Steps)
	}
	if got.Steps[0].Args[0] != llb.LoaderPath || strings.Join(got.Steps[0].UserArgs, " ") != "/bin/sh -c make" {
		t.Errorf("the wrapped step's argv: %q, user's %q", got.Steps[0].Args, got.Steps[0].UserArgs)
	}
	// Our image, the two RUNs, the terminal op.
	if len(got.Ops) != 4 || !strings.Contains(string(got.Ops[0].Op), image) {
		t.Errorf("%d ops, the first %s", len(got.Ops), got.Ops[0].Op)
	}
}

// TestProtobuf: the default output is a definition buildctl reads.
func TestProtobuf(t *testing.T) {
	out, _, err := dotenvLLB(t, "FROM scratch\nRUN make\n", "--frontend-image", image)
	if err != "" {
		t.Fatal(err)
	}
	def, e := bkllb.ReadFrom(strings.NewReader(out))
	if e != nil || len(def.Def) != 3 { // our image, the RUN, the terminal op
		t.Fatalf("definition %v, %v", def, e)
	}
}

// TestPlaceholderImage: without --frontend-image the preview still works
// and says what stands for our image.
func TestPlaceholderImage(t *testing.T) {
	out, stderr, err := dotenvLLB(t, "FROM scratch\nRUN make\n", "--json")
	if err != "" || !strings.Contains(stderr, "no --frontend-image") || !strings.Contains(out, placeholderImage) {
		t.Errorf("error %q, stderr %q", err, stderr)
	}
}

// TestErrors: errors name the Dockerfile and line where there is one.
func TestErrors(t *testing.T) {
	for _, tc := range []struct {
		dockerfile string
		args       []string
		want       string
	}{
		{"# dotenv=colour\nFROM scratch\nRUN make\n", nil, `Dockerfile:1: invalid dotenv directive: unknown key "colour"`},
		{"FROM scratch\nRUN make\n", []string{"--build-arg", "BUILDKIT_DOTENV=id=a,id=b"}, "invalid build-arg BUILDKIT_DOTENV: id: given twice"},
		{"FROM scratch\nRUN make\n", []string{"--build-arg", "novalue"}, `"novalue" is not KEY=VALUE`},
		{"FROM scratch\nRUN make\n", []string{"--platform", "linux/"}, "invalid --platform"},
		{"FROM scratch\nRUN make\n", []string{"extra"}, `unexpected argument "extra"`},
		{"FROM scratch\nRUN make\n", []string{"--nope"}, "flag provided but not defined: -nope"},
		{"FROM scratch AS a\nRUN make\nFROM scratch AS b\nRUN make\nFROM scratch\nCOPY --from=a / /a\nCOPY --from=b / /b\n",
			[]string{"--build-arg", "BUILDKIT_DOTENV=stage=a"}, "Dockerfile:2, Dockerfile:4: identical RUN steps are one step for BuildKit"},
	} {
		_, _, err := dotenvLLB(t, tc.dockerfile, append(tc.args, "--frontend-image", image)...)
		if !strings.Contains(err, tc.want) {
			t.Errorf("%q %q: error %q, want %q", tc.dockerfile, tc.args, err, tc.want)
		}
	}
}

// TestStdin: -f - reads the Dockerfile from stdin.
func TestStdin(t *testing.T) {
	var stdout, stderr bytes.Buffer
	err := run([]string{"-f", "-", "--offline", "--json", "--frontend-image", image}, strings.NewReader("FROM scratch\nRUN make\n"), &stdout, &stderr)
	if err != nil || !strings.Contains(stdout.String(), `"wrapped": true`) {
		t.Errorf("error %v, output %s", err, stdout.String())
	}
}
