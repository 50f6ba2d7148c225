package plan

import (
	"strings"
	"testing"

	"github.com/dockerfile-dotenv/dockerfile-dotenv/config"
	"github.com/dockerfile-dotenv/dockerfile-dotenv/llb"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/buildkit/solver/errdefs"
	"github.com/moby/buildkit/solver/pb"
	"github.com/pkg/errors"
)

func decide(t *testing.T, p *Plan, line int) string {
	t.Helper()
	d := p.decide(llb.Location{Source: &pb.SourceInfo{Filename: "Dockerfile"}, Line: line})
	if d.reason != "" {
		return "skip: " + d.reason
	}
	return "wrap " + d.cfg.ID + " " + d.cfg.MountTarget()
}

func TestDecide(t *testing.T) {
	df := `# syntax=example/dockerfile-dotenv:1
# dotenv=stage=build,target=/etc/secrets/.env
FROM busybox AS build
RUN <<EOT
# dotenv=off (a shell comment in the script, not ours)
echo hi
EOT

RUN echo "wrapped"
# first comment
# dotenv=off
# last comment
RUN echo "opted out by a comment in the block"
FROM busybox AS other
RUN echo "other stage"
`
	p, err := New([]byte(df), "")
	if err != nil {
		t.Fatal(err)
	}
	for line, want := range map[int]string{
		4:  "wrap _env /etc/secrets/.env",
		9:  "wrap _env /etc/secrets/.env",
		13: "skip: opted out on line 11",
		14: "skip: stage other is not in stage=", // an ONBUILD RUN sits on its FROM line
		15: "skip: stage other is not in stage=",
	} {
		if got := decide(t, p, line); got != want {
			t.Errorf("line %d: %s, want %s", line, got, want)
		}
	}
}

// TestBuildArgWins: the build-arg applies over the directive, key by key.
func TestBuildArgWins(t *testing.T) {
	p, err := New([]byte("# dotenv=required,id=a\nFROM x AS app\nRUN true\n"), "id=b,stage=app")
	if err != nil {
		t.Fatal(err)
	}
	if !p.Config.Required || p.Config.ID != "b" || decide(t, p, 3) != "wrap b /run/secrets/b" {
		t.Errorf("config %+v", p.Config)
	}
}

func TestErrorsHaveLines(t *testing.T) {
	cases := []struct {
		df   string
		line int
		msg  string
	}{
		{"# dotenv=off\n# dotenv=required\nFROM x\n", 2, "only one dotenv directive"},
		{"# dotenv=off\n# escape=`\nFROM x\n", 1, "must come after the escape directive"},
		{"FROM x\nRUN true\n# dotenv=off\n", 3, "must be in the header or directly above a RUN"},
		{"FROM x\n# dotenv=off,required\nRUN true\n", 2, `only dotenv=off is allowed, not "off,required"`},
		{"# dotenv=stage=nope\nFROM x AS a\n", 1, `stage "nope" is not a stage`},
		{"FROM x\n# dotenv=off\n\nRUN true\n", 2, "directly above a RUN"}, // a blank line ends the block
	}
	for _, tc := range cases {
		_, err := New([]byte(tc.df), "")
		var el *parser.LocationError
		if err == nil || !errors.As(err, &el) || el.Locations[0][0].Start.Line != tc.line || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%q: error %v, want line %d and %q", tc.df, err, tc.line, tc.msg)
		}
	}
}

// TestSecretMask: loader v2 masks unless mask=false; loader v1, a shell
// script, never does.
func TestSecretMask(t *testing.T) {
	p := NewPolicy(Facts{Image: ImageRef("example/dockerfile-dotenv@sha256:" + strings.Repeat("0", 64))})
	for setting, want := range map[string]bool{
		"required":               true,
		"mask=true":              true,
		"mask=false":             false,
		"loader=shell":           false,
		"loader=shell,mask=true": false,
		"loader=program,mask=0":  false,
	} {
		cfg, err := config.Default().Apply(setting)
		if err != nil {
			t.Fatal(err)
		}
		s, err := p.secret(cfg, llb.Run{Platform: &pb.Platform{OS: "linux", Architecture: "amd64"}})
		if err != nil {
			t.Fatal(err)
		}
		if s.Mask != want {
			t.Errorf("%s: Mask %v, want %v", setting, s.Mask, want)
		}
	}
}

// TestPolicyOtherDockerfiles: the build-arg is for the Dockerfile being
// built; RUNs of another Dockerfile in the build (a bake target: context)
// follow that Dockerfile's own directive, and its errors name it.
func TestPolicyOtherDockerfiles(t *testing.T) {
	main := &pb.SourceInfo{Filename: "app.Dockerfile", Data: []byte("FROM base\nRUN make\n")}
	other := &pb.SourceInfo{Filename: "base.Dockerfile", Data: []byte("# dotenv=off\nFROM scratch\nRUN make\n")}
	p := NewPolicy(Facts{BuildArg: "off=false,required", Dockerfile: main.Data, Image: ImageRef("example/dockerfile-dotenv@sha256:" + strings.Repeat("0", 64))})
	d, err := p.Decide(llb.Run{Locations: []llb.Location{{Source: main, Line: 2}}})
	if err != nil || d.Secret == nil || !d.Secret.Required {
		t.Errorf("main Dockerfile: %+v, %v", d, err)
	}
	d, err = p.Decide(llb.Run{Locations: []llb.Location{{Source: other, Line: 3}}})
	if err != nil || d.Secret != nil || d.Reason != "dotenv is off" {
		t.Errorf("other Dockerfile: %+v, %v", d, err)
	}
	bad := &pb.SourceInfo{Filename: "base.Dockerfile", Data: []byte("# dotenv=stage=nope\nFROM scratch\nRUN make\n")}
	_, err = p.Decide(llb.Run{Locations: []llb.Location{{Source: bad, Line: 3}}})
	if srcs := errdefs.Sources(err); err == nil || len(srcs) != 1 || srcs[0].Info.Filename != "base.Dockerfile" {
		t.Errorf("error %v does not name the other Dockerfile", err)
	}
}
