package frontend

import (
	"context"
	"encoding/json"
	"maps"
	"strings"
	"sync"
	"testing"

	"github.com/dockerfile-dotenv/dockerfile-dotenv/llb"
	"github.com/dockerfile-dotenv/dockerfile-dotenv/plan"
	bkllb "github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/client/llb/sourceresolver"
	"github.com/moby/buildkit/frontend/gateway/client"
	gwpb "github.com/moby/buildkit/frontend/gateway/pb"
	"github.com/moby/buildkit/frontend/subrequests/lint"
	"github.com/moby/buildkit/solver/errdefs"
	"github.com/moby/buildkit/solver/pb"
	apicapspb "github.com/moby/buildkit/util/apicaps/pb"
	digest "github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/pkg/errors"
	fstypes "github.com/tonistiigi/fsutil/types"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// fakeClient is a gateway client that serves one Dockerfile, answers image
// lookups with a minimal config, and records every Solve. It embeds the
// interface, as upstream's fakes do, and implements only what Build uses.
type fakeClient struct {
	client.Client
	dockerfile string
	opts       map[string]string
	solveErr   error               // returned by solves of definitions with an exec
	llbCaps    []*apicapspb.APICap // the daemon's LLB caps; all of v0.34's when nil

	mu       sync.Mutex
	solves   []client.SolveRequest
	warnings []warning
	resolves []string // of this frontend's image, by the resolve's log name
}

// warning is one Warn call, as the progress stream gets it.
type warning struct {
	msg  string
	opts client.WarnOpts
}

func (c *fakeClient) BuildOpts() client.BuildOpts {
	llbCaps := c.llbCaps
	if llbCaps == nil {
		llbCaps = pb.Caps.All()
	}
	// As a Dockerfile names it: short, the resolver gets it normalized.
	opts := map[string]string{"source": "example/dockerfile-dotenv:1"}
	maps.Copy(opts, c.opts)
	return client.BuildOpts{
		Opts:      opts,
		SessionID: "test-session",
		Workers:   []client.WorkerInfo{{ID: "w", Platforms: []ocispecs.Platform{{OS: "linux", Architecture: "amd64"}}}},
		Product:   "test",
		LLBCaps:   pb.Caps.CapSet(llbCaps),
		Caps:      gwpb.Caps.CapSet(gwpb.Caps.All()),
	}
}

func (c *fakeClient) Solve(_ context.Context, req client.SolveRequest) (*client.Result, error) {
	c.mu.Lock()
	c.solves = append(c.solves, req)
	c.mu.Unlock()
	if c.solveErr != nil && req.Definition != nil && len(execs(nil, req.Definition)) > 0 {
		return nil, c.solveErr
	}
	res := client.NewResult()
	res.SetRef(&fakeRef{dockerfile: c.dockerfile})
	return res, nil
}

func (c *fakeClient) ResolveSourceMetadata(_ context.Context, op *pb.SourceOp, _ sourceresolver.Opt) (*sourceresolver.MetaResponse, error) {
	cfg, err := json.Marshal(ocispecs.Image{
		Platform: ocispecs.Platform{OS: "linux", Architecture: "amd64"},
		Config:   ocispecs.ImageConfig{Entrypoint: []string{"/scan"}, Env: []string{"PATH=/bin"}},
	})
	if err != nil {
		return nil, err
	}
	return &sourceresolver.MetaResponse{Op: op, Image: &sourceresolver.ResolveImageResponse{
		Digest: digest.FromBytes(cfg), Config: cfg,
	}}, nil
}

// ResolveImageConfig answers for this frontend's image (BuildOpts's source):
// a build pins it by digest and checks it has a loader for each platform.
// Other images get a minimal config.
func (c *fakeClient) ResolveImageConfig(ctx context.Context, ref string, opt sourceresolver.Opt) (string, digest.Digest, []byte, error) {
	if !strings.HasPrefix(ref, fakeImage) {
		md, err := c.ResolveSourceMetadata(ctx, &pb.SourceOp{Identifier: "docker-image://" + ref}, opt)
		if err != nil {
			return "", "", nil, err
		}
		return ref, md.Image.Digest, md.Image.Config, nil
	}
	c.mu.Lock()
	c.resolves = append(c.resolves, opt.LogName)
	c.mu.Unlock()
	if p := opt.ImageOpt.Platform; p != nil && p.Architecture == "mips64" {
		return "", "", nil, errors.Errorf("no match for platform in manifest: not found")
	}
	return ref, fakeImageDigest, []byte("{}"), nil
}

const (
	fakeImage       = "docker.io/example/dockerfile-dotenv"
	fakeImageDigest = "sha256:1111111111111111111111111111111111111111111111111111111111111111"
)

func (c *fakeClient) Inputs(context.Context) (map[string]bkllb.State, error) { return nil, nil }

func (c *fakeClient) Warn(_ context.Context, _ digest.Digest, msg string, opts client.WarnOpts) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.warnings = append(c.warnings, warning{msg: msg, opts: opts})
	return nil
}

type fakeRef struct {
	client.Reference
	dockerfile string
}

func (r *fakeRef) ReadFile(_ context.Context, req client.ReadRequest) ([]byte, error) {
	if req.Filename == "Dockerfile" {
		return []byte(r.dockerfile), nil
	}
	return nil, status.Error(codes.NotFound, req.Filename+": not found")
}

func (r *fakeRef) StatFile(context.Context, client.StatRequest) (*fstypes.Stat, error) {
	return nil, status.Error(codes.NotFound, "not found")
}

func (r *fakeRef) ToState() (bkllb.State, error) { return bkllb.Scratch(), nil }

func (r *fakeRef) Evaluate(context.Context) error { return nil }

// execs returns the exec ops of def whose description matches match (all
// when nil), by digest.
func execs(t *testing.T, def *pb.Definition) map[string]*pb.ExecOp {
	out := map[string]*pb.ExecOp{}
	for _, dt := range def.Def {
		var op pb.Op
		if err := op.Unmarshal(dt); err != nil {
			if t != nil {
				t.Fatal(err)
			}
			return nil
		}
		if e := op.GetExec(); e != nil {
			out[digest.FromBytes(dt).String()] = e
		}
	}
	return out
}

const sbomDockerfile = `FROM scratch
RUN echo one
RUN echo two
`

// TestBuildWrapsEverySolve: with an SBOM attestation requested, the
// scanner's solve embeds the RUN steps again; they must carry the same
// digests as in the main solve (or they would run twice), while the
// scanner's own exec is left alone.
func TestBuildWrapsEverySolve(t *testing.T) {
	c := &fakeClient{dockerfile: sbomDockerfile, opts: map[string]string{"attest:sbom": ""}}
	if _, err := Build(t.Context(), c); err != nil {
		t.Fatal(err)
	}
	var main, scan map[string]*pb.ExecOp
	for _, req := range c.solves {
		if req.Definition == nil {
			continue
		}
		ex := execs(t, req.Definition)
		switch {
		case len(ex) == 2:
			main = ex
		case len(ex) == 3:
			scan = ex
		}
	}
	if main == nil || scan == nil {
		t.Fatalf("expected a main solve with 2 execs and a scanner solve with 3, got %d solves", len(c.solves))
	}
	for d, e := range main {
		if e.Meta.Args[0] != llb.LoaderPath {
			t.Errorf("main solve: RUN %s not wrapped: %q", d, e.Meta.Args)
		}
		if _, ok := scan[d]; !ok {
			t.Errorf("scanner solve lacks RUN %s of the main solve: it would run twice", d)
		}
	}
	for d, e := range scan {
		if _, ok := main[d]; !ok && e.Meta.Args[0] == llb.LoaderPath {
			t.Errorf("the scanner's exec was wrapped: %q", e.Meta.Args)
		}
	}
}

// TestSolvePassesThrough: a solve without a definition (a frontend forward)
// reaches BuildKit as it was.
func TestSolvePassesThrough(t *testing.T) {
	c := &fakeClient{dockerfile: sbomDockerfile}
	req := client.SolveRequest{Frontend: "gateway.v0", FrontendOpt: map[string]string{"source": "x"}}
	if _, err := NewRewriter(c, plan.NewPolicy(testFacts).Decide).Solve(t.Context(), req); err != nil {
		t.Fatal(err)
	}
	got := c.solves[0]
	if got.Frontend != "gateway.v0" || got.FrontendOpt["source"] != "x" || got.Definition != nil {
		t.Errorf("request changed: %+v", got)
	}
}

// TestFailedRunNamesUserCommand: BuildKit's error for a failing RUN quotes
// the argv; the user must see their command, and keep the exit code and the
// Dockerfile line.
func TestFailedRunNamesUserCommand(t *testing.T) {
	args := wrappedArgs(t)
	daemonErr := errors.Wrapf(&gwpb.ExitError{ExitCode: 3}, "process %q did not complete successfully", strings.Join(args, " "))
	src := &errdefs.Source{Info: &pb.SourceInfo{Filename: "Dockerfile", Data: []byte(sbomDockerfile)}, Ranges: []*pb.Range{{Start: &pb.Position{Line: 2}, End: &pb.Position{Line: 2}}}}
	c := &fakeClient{dockerfile: sbomDockerfile, solveErr: errdefs.WithSource(daemonErr, src)}
	_, err := Build(t.Context(), c)
	if err == nil {
		t.Fatal("build succeeded")
	}
	want := `process "/bin/sh -c echo ` // one or two, whichever failed first
	if !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), llb.LoaderName) {
		t.Errorf("error %q does not name the user's command alone", err)
	}
	var exit *gwpb.ExitError
	if !errors.As(err, &exit) || exit.ExitCode != 3 {
		t.Errorf("exit code lost: %v", err)
	}
	if srcs := errdefs.Sources(err); len(srcs) != 1 || srcs[0].Ranges[0].Start.Line != 2 || srcs[0].Info.Filename != "Dockerfile" {
		t.Errorf("Dockerfile location lost: %+v", srcs)
	}
}

// TestConvertLLBSubrequest: `--call convertllb` shows the wrapped RUNs.
func TestConvertLLBSubrequest(t *testing.T) {
	c := &fakeClient{dockerfile: sbomDockerfile, opts: map[string]string{"requestid": "frontend.convertllb"}}
	res, err := Build(t.Context(), c)
	if err != nil {
		t.Fatal(err)
	}
	def, err := parseConvertLLB(res.Metadata[resultJSON])
	if err != nil {
		t.Fatal(err)
	}
	ex := execs(t, def)
	if len(ex) != 2 {
		t.Fatalf("%d execs in convertllb result, want 2", len(ex))
	}
	for _, e := range ex {
		if e.Meta.Args[0] != llb.LoaderPath || e.Mounts[len(e.Mounts)-1].SecretOpt.GetID() != "_env" {
			t.Errorf("convertllb shows an unwrapped RUN: %q", e.Meta.Args)
		}
	}
	if _, err := formatConvertLLB(def); err != nil {
		t.Fatal(err)
	}
}

func TestBadBuildArg(t *testing.T) {
	c := &fakeClient{dockerfile: sbomDockerfile, opts: map[string]string{"build-arg:BUILDKIT_DOTENV": "requird"}}
	_, err := Build(t.Context(), c)
	if err == nil || !strings.Contains(err.Error(), `invalid build-arg BUILDKIT_DOTENV: unknown key "requird"`) {
		t.Errorf("error %v", err)
	}
	if len(c.solves) != 0 {
		t.Errorf("solved %d times before rejecting the setting", len(c.solves))
	}
}

// TestBadDirectiveHasSource: the error carries the Dockerfile line, so that
// clients print the excerpt.
func TestBadDirectiveHasSource(t *testing.T) {
	c := &fakeClient{dockerfile: "# dotenv=stage=nope\nFROM scratch\nRUN true\n"}
	_, err := Build(t.Context(), c)
	srcs := errdefs.Sources(err)
	if err == nil || len(srcs) == 0 || srcs[0].Ranges[0].Start.Line != 1 || !strings.Contains(err.Error(), `stage "nope"`) {
		t.Errorf("error %v, sources %+v", err, srcs)
	}
}

// TestOldDaemon: a daemon older than BuildKit v0.5 (no FileOp) is refused
// by upstream's own check, before anything is solved; the wrapped RUNs need
// nothing newer (secret mounts came before FileOp).
func TestOldDaemon(t *testing.T) {
	var old []*apicapspb.APICap
	for _, c := range pb.Caps.All() {
		if c.ID != string(pb.CapFileBase) {
			old = append(old, c)
		}
	}
	c := &fakeClient{dockerfile: sbomDockerfile, llbCaps: old}
	_, err := Build(t.Context(), c)
	if err == nil || !strings.Contains(err.Error(), "needs BuildKit 0.5 or later") {
		t.Errorf("error %v, want upstream's minimum-version message", err)
	}
	if len(c.solves) != 0 {
		t.Errorf("solved %d times on a daemon it refuses", len(c.solves))
	}
}

// TestCheckReportsBadSetting: `--call check` reports a dotenv setting the
// build would reject, at its line, instead of "no warnings found".
func TestCheckReportsBadSetting(t *testing.T) {
	for _, tc := range []struct {
		dockerfile string
		want       string // "" for no warning of ours
		line       int32
	}{
		{"# dotenv=id=a,id=b\nFROM scratch\nRUN true\n", "invalid dotenv directive: id: given twice", 1},
		{"FROM scratch\n# dotenv=required\nRUN true\n", "above a RUN only dotenv=off is allowed", 2},
		{"# dotenv=required\nFROM scratch\nRUN true\n", "", 0},
	} {
		c := &fakeClient{dockerfile: tc.dockerfile, opts: map[string]string{"requestid": "frontend.lint"}}
		res, err := Build(t.Context(), c)
		if err != nil {
			t.Fatal(err)
		}
		var results lint.LintResults
		if err := json.Unmarshal(res.Metadata["result.json"], &results); err != nil {
			t.Fatal(err)
		}
		var ours []lint.Warning
		for _, w := range results.Warnings {
			if w.RuleName == plan.RuleInvalidSetting.Name {
				ours = append(ours, w)
			}
		}
		switch {
		case tc.want == "" && len(ours) > 0:
			t.Errorf("%q: warnings %+v", tc.dockerfile, ours)
		case tc.want != "" && (len(ours) != 1 || !strings.Contains(ours[0].Detail, tc.want) || ours[0].Location.Ranges[0].Start.Line != tc.line):
			t.Errorf("%q: warnings %+v, want %q at line %d", tc.dockerfile, ours, tc.want, tc.line)
		case tc.want != "" && string(res.Metadata["result.statuscode"]) != "1":
			t.Errorf("%q: status %s", tc.dockerfile, res.Metadata["result.statuscode"])
		}
	}
}

// TestPlatformWithoutLoader: a RUN for a platform our image is not
// published for fails before anything runs, naming the platform and the
// way out, instead of a pull error about our image mid-build.
func TestPlatformWithoutLoader(t *testing.T) {
	mips := map[string]string{"platform": "linux/mips64"}
	c := &fakeClient{dockerfile: "FROM scratch\nRUN true\n", opts: mips}
	_, err := Build(t.Context(), c)
	if err == nil || !strings.Contains(err.Error(), "has no loader for platform linux/mips64") || !strings.Contains(err.Error(), "loader=shell") {
		t.Fatalf("error %v", err)
	}
	if srcs := errdefs.Sources(err); len(srcs) != 1 || srcs[0].Ranges[0].Start.Line != 2 || srcs[0].Info.Filename != "Dockerfile" {
		t.Errorf("the error does not point at the RUN: %+v", srcs)
	}
	for _, req := range c.solves {
		if req.Definition != nil && len(execs(t, req.Definition)) > 0 {
			t.Errorf("a definition with the RUN was solved")
		}
	}
	c = &fakeClient{dockerfile: "# dotenv=loader=shell\nFROM scratch\nRUN true\n", opts: mips}
	if _, err := Build(t.Context(), c); err != nil {
		t.Errorf("loader=shell: %v", err)
	}
}

// TestOwnImagePinned: every step of a build runs the frontend image it
// resolved once, pinned by digest, whatever its tag does meanwhile.
func TestOwnImagePinned(t *testing.T) {
	c := &fakeClient{dockerfile: sbomDockerfile}
	if _, err := Build(t.Context(), c); err != nil {
		t.Fatal(err)
	}
	want := "docker-image://" + fakeImage + "@" + fakeImageDigest
	found := false
	for _, req := range c.solves {
		if req.Definition == nil {
			continue
		}
		for _, dt := range req.Definition.Def {
			var op pb.Op
			if err := op.Unmarshal(dt); err != nil {
				t.Fatal(err)
			}
			if src := op.GetSource(); src != nil && strings.Contains(src.Identifier, "dockerfile-dotenv") {
				found = true
				if src.Identifier != want {
					t.Errorf("our image as %s, want %s", src.Identifier, want)
				}
			}
		}
	}
	if !found {
		t.Error("no solve mounts our image")
	}
}

// TestFailedRunOldDaemon: BuildKit 0.8 (Docker Engine 20.10) words a failed
// RUN `executor failed running [<argv>]`, unquoted; the user's argv replaces
// the loader's there too.
func TestFailedRunOldDaemon(t *testing.T) {
	args := wrappedArgs(t)
	daemonErr := errors.Errorf("executor failed running [%s]: exit code: 3", strings.Join(args, " "))
	_, err := Build(t.Context(), &fakeClient{dockerfile: sbomDockerfile, solveErr: daemonErr})
	if err == nil || !strings.Contains(err.Error(), "executor failed running [/bin/sh -c echo ") || strings.Contains(err.Error(), llb.LoaderPath) {
		t.Errorf("error %v", err)
	}
}

// wrappedArgs is the argv BuildKit runs for a wrapped RUN of sbomDockerfile,
// as a failing step's error names it.
func wrappedArgs(t *testing.T) []string {
	t.Helper()
	def, _, err := Convert(t.Context(), []byte(sbomDockerfile), readOpts(t, "none"), testFacts)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range execs(t, def) {
		return e.Meta.Args
	}
	t.Fatal("no RUN in the definition")
	return nil
}
