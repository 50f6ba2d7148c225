package frontend

import (
	"bufio"
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/containerd/platforms"
	"github.com/dockerfile-dotenv/dockerfile-dotenv/config"
	"github.com/dockerfile-dotenv/dockerfile-dotenv/internal/llbtext"
	"github.com/dockerfile-dotenv/dockerfile-dotenv/llb"
	"github.com/dockerfile-dotenv/dockerfile-dotenv/plan"
	bkllb "github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/frontend/dockerfile/dockerfile2llb"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/buildkit/frontend/dockerui"
	"github.com/moby/buildkit/solver/errdefs"
	"github.com/moby/buildkit/solver/pb"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/pkg/errors"
	"google.golang.org/protobuf/proto"
)

var update = flag.Bool("update", false, "rewrite the golden files in ../testdata")

// TestGolden converts every ../testdata/<case>/Dockerfile (with the options
// in its opts file) and compares the wrapped LLB, rendered as text, with
// llb.golden, or the error with error.golden. Every case is also checked
// against the pass's invariants.
func TestGolden(t *testing.T) {
	cases, err := filepath.Glob("../testdata/*/Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	if len(cases) < 20 {
		t.Fatalf("found %d golden cases, want at least 20", len(cases))
	}
	for _, df := range cases {
		dir := filepath.Dir(df)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			dt, err := os.ReadFile(df)
			if err != nil {
				t.Fatal(err)
			}
			opt := readOpts(t, filepath.Join(dir, "opts"))

			before, err := upstreamLLB(t.Context(), dt, opt)
			if err != nil {
				t.Fatalf("upstream conversion failed: %v", err)
			}
			after, report, err := Convert(t.Context(), dt, opt, testFacts)
			if err != nil {
				compareGolden(t, filepath.Join(dir, "error.golden"), describeError(err))
				return
			}
			text, err := llbtext.Render(after, loaderLabel)
			if err != nil {
				t.Fatal(err)
			}
			compareGolden(t, filepath.Join(dir, "llb.golden"), text+renderReport(report))
			checkInvariants(t, before, after, report, opt.BuildArgs[config.BuildArg])
			checkDeterminism(t, dt, opt, after)
		})
	}
}

// upstreamLLB is what upstream's frontend would solve: the same conversion,
// no pass.
func upstreamLLB(ctx context.Context, dt []byte, opt dockerfile2llb.ConvertOpt) (*pb.Definition, error) {
	opt.SourceMap = bkllb.NewSourceMap(nil, "Dockerfile", "Dockerfile", dt)
	res, err := dockerfile2llb.Dockerfile2LLB(ctx, dt, opt)
	if err != nil {
		return nil, err
	}
	def, err := res.State.Marshal(ctx)
	if err != nil {
		return nil, err
	}
	return def.ToPB(), nil
}

// readOpts reads `build-arg K=V`, `target T` and `platform P` lines.
func readOpts(t testing.TB, file string) dockerfile2llb.ConvertOpt {
	caps := pb.Caps.CapSet(pb.Caps.All())
	// A fixed unique id: by default each conversion without a session gets a
	// random one, which would defeat the determinism check.
	mainContext := bkllb.Local("context", bkllb.SharedKeyHint("context"), bkllb.LocalUniqueID("golden"),
		bkllb.WithCustomName("[internal] load build context"))
	opt := dockerfile2llb.ConvertOpt{
		LLBCaps:      &caps,
		MainContext:  &mainContext,
		MetaResolver: offlineResolver{},
		Config:       dockerui.Config{BuildArgs: map[string]string{}},
	}
	forOptLine(t, file, func(key, value string) {
		switch key {
		case "build-arg":
			k, v, _ := strings.Cut(value, "=")
			opt.BuildArgs[k] = v
		case "target":
			opt.Target = value
		case "platform":
			p, err := platforms.Parse(value)
			if err != nil {
				t.Fatal(err)
			}
			opt.TargetPlatforms = []ocispecs.Platform{p}
			opt.TargetPlatform = &p
		default:
			t.Fatalf("%s: unknown option %q", file, key)
		}
	})
	return opt
}

// forOptLine calls fn with the key and value of each `key value` line of
// a case's opts file; a case without the file has none.
func forOptLine(t testing.TB, file string, fn func(key, value string)) {
	t.Helper()
	dt, err := os.ReadFile(file)
	if errors.Is(err, os.ErrNotExist) {
		return
	} else if err != nil {
		t.Fatal(err)
	}
	s := bufio.NewScanner(bytes.NewReader(dt))
	for s.Scan() {
		key, value, _ := strings.Cut(s.Text(), " ")
		fn(key, value)
	}
}

// forEachCase runs fn as a subtest for each ../testdata/<kind>/<case>/Dockerfile,
// with the case's directory, Dockerfile and options as frontend options.
func forEachCase(t *testing.T, kind string, fn func(t *testing.T, dir string, dockerfile []byte, opts map[string]string)) {
	cases, err := filepath.Glob(filepath.Join("../testdata", kind, "*", "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	if len(cases) == 0 {
		t.Fatal("no cases")
	}
	for _, df := range cases {
		dir := filepath.Dir(df)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			dt, err := os.ReadFile(df)
			if err != nil {
				t.Fatal(err)
			}
			fn(t, dir, dt, readFrontendOpts(t, filepath.Join(dir, "opts")))
		})
	}
}

func isLoader(arg string) bool {
	return strings.HasPrefix(arg, "if [ -r ") && strings.HasSuffix(arg, `exec "$@"`)
}

// loaderLabel shows the loader script short; llb's tests pin its text.
func loaderLabel(arg string) (string, bool) {
	switch {
	case !isLoader(arg):
		return "", false
	case strings.Contains(arg, " is required: "):
		return "<loader, required>", true
	default:
		return "<loader>", true
	}
}

func renderReport(r *llb.Report) string {
	var b strings.Builder
	b.WriteString("report:\n")
	for _, s := range r.Steps {
		if s.Wrapped {
			b.WriteString("  line " + strconv.Itoa(s.Line) + " wrapped: " + s.Name + "\n")
		} else {
			b.WriteString("  line " + strconv.Itoa(s.Line) + " left as is (" + s.Reason + "): " + s.Name + "\n")
		}
	}
	return b.String()
}

// describeError renders an error with the Dockerfile lines it points at.
func describeError(err error) string {
	var lines []string
	for _, src := range errdefs.Sources(err) {
		for _, r := range src.Ranges {
			lines = append(lines, src.Info.Filename+":"+strconv.Itoa(int(r.Start.Line)))
		}
	}
	var el *parser.LocationError
	if errors.As(err, &el) {
		for _, ranges := range el.Locations {
			for _, r := range ranges {
				lines = append(lines, "line "+strconv.Itoa(r.Start.Line))
			}
		}
	}
	if len(lines) == 0 {
		return err.Error() + "\n"
	}
	return strings.Join(lines, ", ") + ": " + err.Error() + "\n"
}

func compareGolden(t *testing.T, file, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v (run go test ./frontend -run Golden -update to create it)", err)
	}
	if string(want) != got {
		t.Errorf("%s differs (go test ./frontend -run Golden -update rewrites it)\n--- got:\n%s\n--- want:\n%s", file, got, want)
	}
}

// checkInvariants holds for every case: the same ops as upstream's, in the
// same order, each identical but for its input digests, except wrapped RUNs,
// which gain exactly the loader in front of their argv, one secret mount,
// with loader v2 the read-only loader mount from our image, and with
// cache=secret the key mount; the only ops the pass adds (in front) are our
// image's and the keyer's; no wrapped step means byte-identical to upstream;
// a second pass changes nothing.
func checkInvariants(t *testing.T, before, after *pb.Definition, report *llb.Report, buildArg string) {
	t.Helper()
	if report.Wrapped() == 0 && !slices.ContainsFunc(report.Steps, func(s llb.Step) bool { return s.Keyed }) && !proto.Equal(before, after) {
		t.Errorf("nothing wrapped, yet the definition differs from upstream's")
	}
	added := len(after.Def) - len(before.Def)
	addedOps := map[string]*pb.Op{}
	for i := range added {
		op := parseOp(t, after.Def[i])
		addedOps[digestOf(after.Def[i])] = op
		switch {
		case op.GetSource() != nil && op.GetSource().Identifier == "docker-image://"+testImage:
		case op.GetExec() != nil && len(op.GetExec().Meta.Args) > 1 && op.GetExec().Meta.Args[1] == "cachekey":
		case op.GetFile() != nil: // the keyer's scratch output
		default:
			t.Errorf("added op %d is neither our image nor the keyer: %v", i, op)
		}
	}
	steps := map[string]llb.Step{}
	for _, s := range report.Steps {
		steps[s.Digest.String()] = s
	}
	for i := range before.Def {
		b, a := parseOp(t, before.Def[i]), parseOp(t, after.Def[i+added])
		dgst := digestOf(after.Def[i+added])
		step := steps[dgst]
		if !step.Wrapped && !step.Keyed {
			for _, in := range append(a.Inputs, b.Inputs...) {
				in.Digest = ""
			}
			if !proto.Equal(a, b) {
				t.Errorf("op %d changed but is not a wrapped RUN", i)
			}
			continue
		}
		ae, be := a.GetExec(), b.GetExec()
		if step.Wrapped && !slices.Equal(llb.UserArgs(ae.Meta.Args), be.Meta.Args) {
			t.Errorf("op %d: args %q are not the loader in front of %q", i, ae.Meta.Args, be.Meta.Args)
		}
		if !step.Wrapped && !slices.Equal(ae.Meta.Args, be.Meta.Args) {
			t.Errorf("op %d: keyed only, but its args changed: %q", i, ae.Meta.Args)
		}
		var want []string
		for _, m := range ae.Mounts[len(be.Mounts):] {
			switch {
			case m.MountType == pb.MountType_SECRET && m.SecretOpt.Mode == llb.SecretMode && m.SecretOpt.Optional:
				want = append(want, "secret")
			case m.Readonly && m.Dest == llb.LoaderPath && m.Selector == llb.LoaderInImage &&
				addedOps[a.Inputs[m.Input].Digest].GetSource() != nil:
				want = append(want, "loader")
			case m.Readonly && m.Selector == "/key" && addedOps[a.Inputs[m.Input].Digest].GetExec() != nil:
				want = append(want, "key")
			default:
				t.Errorf("op %d: the pass added mount %v", i, m)
			}
		}
		var expect []string
		if step.Wrapped {
			if ae.Meta.Args[0] == llb.LoaderPath {
				expect = append(expect, "loader")
			}
			expect = append(expect, "secret")
		}
		if step.Keyed {
			expect = append(expect, "key")
		}
		if !slices.Equal(want, expect) {
			t.Errorf("op %d: the pass added mounts %v, want %v", i, want, expect)
		}
		for _, in := range append(a.Inputs, b.Inputs...) {
			in.Digest = ""
		}
		ae.Meta.Args, be.Meta.Args = nil, nil
		ae.Mounts = ae.Mounts[:len(be.Mounts)]
		a.Inputs = a.Inputs[:len(b.Inputs)]
		if !proto.Equal(a, b) {
			t.Errorf("op %d: wrapped RUN changed beyond its args, mounts and inputs", i)
		}
		caps := after.Metadata[dgst].Caps
		if step.Wrapped && !caps[string(pb.CapExecMountSecret)] {
			t.Errorf("op %d: wrapped RUN does not require cap %s", i, pb.CapExecMountSecret)
		}
		if len(a.Inputs) < len(parseOp(t, after.Def[i+added]).Inputs) && (!caps[string(pb.CapExecMountBind)] || !caps[string(pb.CapExecMountSelector)]) {
			t.Errorf("op %d: mounts from our image without caps %s and %s", i, pb.CapExecMountBind, pb.CapExecMountSelector)
		}
	}
	again, report2, err := NewRewriter(nil, plan.NewPolicy(factsWith(buildArg)).Decide).Wrap(after)
	if err != nil {
		t.Fatal(err)
	}
	if !proto.Equal(again, after) {
		t.Errorf("a second pass changed the definition")
	}
	if report2.Wrapped() != 0 {
		t.Errorf("a second pass wrapped %d steps", report2.Wrapped())
	}
}

// factsWith returns the test facts with a build-arg setting.
func factsWith(buildArg string) plan.Facts {
	f := testFacts
	f.BuildArg = buildArg
	return f
}

// checkDeterminism converts 100 times: the bytes are the cache key.
func checkDeterminism(t *testing.T, dt []byte, opt dockerfile2llb.ConvertOpt, want *pb.Definition) {
	t.Helper()
	wantBytes, err := want.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	for range 100 {
		got, _, err := Convert(t.Context(), dt, opt, testFacts)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.EqualFunc(got.Def, want.Def, bytes.Equal) {
			t.Fatal("conversion is not deterministic: Def differs")
		}
		gotBytes, err := got.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(gotBytes, wantBytes) && !proto.Equal(got, want) {
			t.Fatal("conversion is not deterministic: metadata differs")
		}
	}
}

func parseOp(t *testing.T, dt []byte) *pb.Op {
	t.Helper()
	var op pb.Op
	if err := op.Unmarshal(dt); err != nil {
		t.Fatal(err)
	}
	return &op
}
