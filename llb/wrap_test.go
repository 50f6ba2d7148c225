package llb

import (
	"bytes"
	"slices"
	"strings"
	"sync"
	"testing"

	bkllb "github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/frontend/dockerfile/dockerfile2llb"
	"github.com/moby/buildkit/solver/pb"
	"github.com/moby/buildkit/util/apicaps"
	digest "github.com/opencontainers/go-digest"
	"google.golang.org/protobuf/proto"
)

const testDockerfile = `FROM scratch AS deps
RUN echo deps
FROM scratch
COPY --from=deps / /deps
RUN echo one
RUN ["echo", "two"]
`

var defaultSecret = Secret{ID: "_env", Target: "/run/secrets/_env", Loader: Loader{Version: LoaderProgram, Image: "example.com/dockerfile-dotenv@sha256:" + strings.Repeat("0", 64)}}

func wrapAll(Run) (Decision, error) { return Decision{Secret: &defaultSecret}, nil }

// convert is what upstream's frontend solves for dt.
func convert(t testing.TB, dt string) *pb.Definition {
	t.Helper()
	caps := pb.Caps.CapSet(pb.Caps.All())
	res, err := dockerfile2llb.Dockerfile2LLB(t.Context(), []byte(dt), dockerfile2llb.ConvertOpt{
		LLBCaps:   &caps,
		SourceMap: bkllb.NewSourceMap(nil, "Dockerfile", "Dockerfile", []byte(dt)),
	})
	if err != nil {
		t.Fatal(err)
	}
	def, err := res.State.Marshal(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return def.ToPB()
}

func TestWrapKeepsOrderAndRekeys(t *testing.T) {
	def := convert(t, testDockerfile)
	orig := proto.Clone(def).(*pb.Definition)
	out, report, err := Wrap(def, wrapAll)
	if err != nil {
		t.Fatal(err)
	}
	if !proto.Equal(def, orig) {
		t.Fatal("Wrap modified its input")
	}
	if got := report.Wrapped(); got != 3 {
		t.Fatalf("wrapped %d RUNs, want 3", got)
	}
	if lines := stepLines(report); !slices.Equal(lines, []int{2, 5, 6}) {
		t.Errorf("report lines %v, want [2 5 6]", lines)
	}
	digests := map[string]bool{}
	for i, dt := range out.Def {
		d := digest.FromBytes(dt).String()
		digests[d] = true
		var op pb.Op
		if err := op.Unmarshal(dt); err != nil {
			t.Fatal(err)
		}
		for _, in := range op.Inputs {
			if !digests[in.Digest] {
				t.Errorf("op %d: input %s is not an earlier op", i, in.Digest)
			}
		}
	}
	var last pb.Op
	if err := last.Unmarshal(out.Def[len(out.Def)-1]); err != nil || last.Op != nil {
		t.Errorf("the terminal op is not last")
	}
	for k := range out.Metadata {
		if !digests[k] {
			t.Errorf("metadata key %s is no op", k)
		}
	}
	for k := range out.Source.Locations {
		if !digests[k] {
			t.Errorf("location key %s is no op", k)
		}
	}
	// The pass adds one op, the loader's image, with its metadata.
	if added := len(out.Def) - len(def.Def); added != 1 || len(out.Metadata) != len(def.Metadata)+added || len(out.Source.Locations) != len(def.Source.Locations) {
		t.Errorf("metadata or locations lost: %d/%d, %d/%d", len(out.Metadata), len(def.Metadata), len(out.Source.Locations), len(def.Source.Locations))
	}
	for _, s := range report.Steps {
		if !out.Metadata[s.Digest.String()].Caps[string(pb.CapExecMountSecret)] {
			t.Errorf("line %d: no %s cap", s.Line, pb.CapExecMountSecret)
		}
	}
}

// TestWrapAnyDefOrder: the convertllb answer is a map; the result must not
// depend on the order ops come in.
func TestWrapAnyDefOrder(t *testing.T) {
	def := convert(t, testDockerfile)
	want, _, err := Wrap(def, wrapAll)
	if err != nil {
		t.Fatal(err)
	}
	rev := proto.Clone(def).(*pb.Definition)
	slices.Reverse(rev.Def)
	got, _, err := Wrap(rev, wrapAll)
	if err != nil {
		t.Fatal(err)
	}
	// The ops the pass adds come first either way; the rest is reversed.
	added := len(want.Def) - len(def.Def)
	slices.Reverse(got.Def[added:])
	if !proto.Equal(got, want) {
		t.Error("reversed Def gives other ops")
	}
}

func TestWrapPolicy(t *testing.T) {
	def := convert(t, testDockerfile)
	_, report, err := Wrap(def, func(r Run) (Decision, error) {
		if len(r.Locations) != 1 || r.Locations[0].Source == nil || r.Locations[0].Source.Filename != "Dockerfile" {
			t.Errorf("policy got locations %v", r.Locations)
		}
		if r.Locations[0].Line == 5 {
			return Decision{Reason: "not this one"}, nil
		}
		return Decision{Secret: &defaultSecret}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range report.Steps {
		if s.Wrapped == (s.Line == 5) {
			t.Errorf("line %d: wrapped %t (%s)", s.Line, s.Wrapped, s.Reason)
		}
		if s.Line == 5 && s.Reason != "not this one" {
			t.Errorf("line 5: reason %q", s.Reason)
		}
	}
	if _, _, err := Wrap(def, func(Run) (Decision, error) { return Decision{}, errTest }); err != errTest {
		t.Errorf("policy error not returned: %v", err)
	}
}

var errTest = bytes.ErrTooLarge

// TestWrapDecisionErr: a decision's error fails the pass for a step it
// would wrap, and not for one it leaves as is for a mount of its own (a
// RUN with the boilerplate on a platform the loader is missing for).
func TestWrapDecisionErr(t *testing.T) {
	unusable := func(Run) (Decision, error) { return Decision{Secret: &defaultSecret, Err: errTest}, nil }
	own := convert(t, "FROM scratch\nRUN --mount=type=secret,id=_env . /run/secrets/_env && make\n")
	_, report, err := Wrap(own, unusable)
	if err != nil {
		t.Fatalf("a step that mounts the secret itself: %v", err)
	}
	if len(report.Steps) != 1 || report.Steps[0].Wrapped || report.Steps[0].Reason != "mounts secret _env itself" {
		t.Errorf("report %+v", report.Steps)
	}
	if _, _, err := Wrap(convert(t, testDockerfile), unusable); err != errTest {
		t.Errorf("a step to wrap: error %v, want the decision's", err)
	}
}

// TestWrapConcurrent: platforms solve in parallel through one pass.
func TestWrapConcurrent(t *testing.T) {
	def := convert(t, testDockerfile)
	want, _, err := Wrap(def, wrapAll)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 20 {
				got, _, err := Wrap(def, wrapAll)
				if err != nil || !proto.Equal(got, want) {
					t.Error("concurrent Wrap differs", err)
					return
				}
			}
		})
	}
	wg.Wait()
}

// TestWrapSkipsForeignExecs: an exec without the Dockerfile's RUN
// description or location (the SBOM scanner's, a frontend's own) is no RUN.
func TestWrapSkipsForeignExecs(t *testing.T) {
	st := bkllb.Image("busybox").Run(bkllb.Shlex("scan /"), bkllb.WithCustomName("[sbom] scan")).Root()
	def, err := st.Marshal(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	out, report, err := Wrap(def.ToPB(), wrapAll)
	if err != nil {
		t.Fatal(err)
	}
	if len(report.Steps) != 0 || !proto.Equal(out, def.ToPB()) {
		t.Errorf("a non-RUN exec was touched: %+v", report.Steps)
	}
}

func stepLines(r *Report) []int {
	var lines []int
	for _, s := range r.Steps {
		lines = append(lines, s.Line)
	}
	return lines
}

// TestWithSecretCapKeepsFields: the shallow copy keeps every field of the
// metadata. The input sets every field BuildKit's OpMetadata has, so a field
// added by a BuildKit update fails here until withCaps copies it.
func TestWithCapsKeepsFields(t *testing.T) {
	md := &pb.OpMetadata{
		IgnoreCache:    true,
		Description:    map[string]string{"k": "v"},
		ExportCache:    &pb.ExportCache{Value: true},
		Caps:           map[string]bool{"x": true},
		ProgressGroup:  &pb.ProgressGroup{Id: "g", Name: "n"},
		LinuxResources: &pb.LinuxResources{},
	}
	fields := md.ProtoReflect().Descriptor().Fields()
	for i := range fields.Len() {
		if f := fields.Get(i); !md.ProtoReflect().Has(f) {
			t.Errorf("OpMetadata field %s is not set here, so not checked: set it, and copy it in withCaps", f.Name())
		}
	}
	want := md.CloneVT()
	want.Caps[string(pb.CapExecMountSecret)] = true
	if got := withCaps(md, []string{string(pb.CapExecMountSecret)}); !proto.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	if md.Caps[string(pb.CapExecMountSecret)] {
		t.Error("the input metadata was modified")
	}
}

func TestDigest(t *testing.T) {
	for _, dt := range [][]byte{nil, []byte("op")} {
		if Digest(dt) != digest.FromBytes(dt) {
			t.Errorf("Digest(%q) differs from digest.FromBytes", dt)
		}
	}
}

// TestKeyerNeedsNonce: a cache key step without the build's session id
// would be shared by every build of the builder, and the isolation with it.
func TestKeyerNeedsNonce(t *testing.T) {
	s := defaultSecret
	s.CacheKey = CacheKey{Image: defaultSecret.Loader.Image, Platform: "linux/amd64"}
	_, _, err := Wrap(convert(t, testDockerfile), func(Run) (Decision, error) { return Decision{Secret: &s}, nil })
	if err == nil || !strings.Contains(err.Error(), "needs the build's session id") {
		t.Errorf("error %v", err)
	}
	s.CacheKey.Nonce = "build-1"
	out, report, err := Wrap(convert(t, testDockerfile), func(Run) (Decision, error) { return Decision{Secret: &s}, nil })
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range report.Steps {
		caps := out.Metadata[st.Digest.String()].Caps
		for _, c := range []apicaps.CapID{pb.CapExecMountSecret, pb.CapExecMountBind, pb.CapExecMountSelector} {
			if !st.Keyed || !caps[string(c)] {
				t.Errorf("line %d: keyed %t, cap %s %t", st.Line, st.Keyed, c, caps[string(c)])
			}
		}
	}
}
