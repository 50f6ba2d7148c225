// Command dotenv-llb converts a Dockerfile to LLB the way the
// dockerfile-dotenv frontend does, offline, and writes the definition to
// stdout in the form of BuildKit's examples/dockerfile2llb:
//
//	dotenv-llb -f Dockerfile | buildctl debug dump-llb | jq .
//	dotenv-llb -f Dockerfile | buildctl build --secret id=_env,src=.env
//
// With --json it prints the wrapped steps and ops for people instead.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/containerd/platforms"
	"github.com/dockerfile-dotenv/dockerfile-dotenv/frontend"
	"github.com/dockerfile-dotenv/dockerfile-dotenv/llb"
	"github.com/dockerfile-dotenv/dockerfile-dotenv/plan"
	bkllb "github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/client/llb/imagemetaresolver"
	"github.com/moby/buildkit/frontend/dockerfile/dockerfile2llb"
	"github.com/moby/buildkit/frontend/dockerui"
	"github.com/moby/buildkit/solver/errdefs"
	"github.com/moby/buildkit/solver/pb"
	"github.com/moby/buildkit/util/appcontext"
	digest "github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/pkg/errors"
	"google.golang.org/protobuf/encoding/protojson"
)

func main() {
	if err := run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "dotenv-llb:", located(err))
		os.Exit(1)
	}
}

// located prefixes an error with the Dockerfile lines it points at.
func located(err error) string {
	var at []string
	for _, src := range errdefs.Sources(err) {
		for _, r := range src.Ranges {
			at = append(at, fmt.Sprintf("%s:%d", src.Info.Filename, r.Start.Line))
		}
	}
	if len(at) == 0 {
		return err.Error()
	}
	return strings.Join(at, ", ") + ": " + err.Error()
}

type buildArgs map[string]string

func (b buildArgs) String() string { return "" }

func (b buildArgs) Set(s string) error {
	k, v, ok := strings.Cut(s, "=")
	if !ok || k == "" {
		return errors.Errorf("%q is not KEY=VALUE", s)
	}
	b[k] = v
	return nil
}

// placeholderImage stands for the frontend's image when none is given: the
// preview shows where the loader comes from; a build needs the real one.
const placeholderImage = "dockerfile-dotenv.invalid/dockerfile-dotenv:preview"

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("dotenv-llb", flag.ContinueOnError)
	fs.SetOutput(stderr)
	file := fs.String("f", "Dockerfile", "the Dockerfile (- for stdin)")
	target := fs.String("target", "", "target stage")
	platform := fs.String("platform", "", "target platform, e.g. linux/arm64")
	asJSON := fs.Bool("json", false, "print the wrapped steps and ops as JSON")
	image := fs.String("frontend-image", "", "this frontend's image, pinned by digest: it carries the loader and runs the cache key step (default: a placeholder, "+placeholderImage+")")
	offline := fs.Bool("offline", false, "do not resolve base images (their config, e.g. ENV and USER, is then unknown), as upstream's examples/dockerfile2llb")
	bargs := buildArgs{}
	fs.Var(bargs, "build-arg", "build-time variable KEY=VALUE (repeatable); BUILDKIT_DOTENV configures the wrapping")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return errors.Errorf("unexpected argument %q", fs.Arg(0))
	}

	var dt []byte
	var err error
	if *file == "-" {
		dt, err = io.ReadAll(stdin)
	} else {
		dt, err = os.ReadFile(*file)
	}
	if err != nil {
		return err
	}

	name := "Dockerfile"
	if *file != "-" {
		name = filepath.Base(*file)
	}
	caps := pb.Caps.CapSet(pb.Caps.All())
	opt := dockerfile2llb.ConvertOpt{
		SourceMap: bkllb.NewSourceMap(nil, name, "Dockerfile", dt),
		LLBCaps:   &caps,
		Config:    dockerui.Config{Target: *target, BuildArgs: bargs},
	}
	if !*offline {
		opt.MetaResolver = imagemetaresolver.Default()
	}
	if *platform != "" {
		p, err := platforms.Parse(*platform)
		if err != nil {
			return errors.Wrap(err, "invalid --platform")
		}
		opt.TargetPlatforms = []ocispecs.Platform{p}
		opt.TargetPlatform = &p
	}

	keyPlatform := platforms.DefaultString()
	if opt.TargetPlatform != nil {
		keyPlatform = platforms.Format(*opt.TargetPlatform)
	}
	if *image == "" {
		*image = placeholderImage
		fmt.Fprintf(stderr, "dotenv-llb: no --frontend-image, the loader comes from %s: pass your image (pinned by digest) to build the output\n", placeholderImage)
	}
	// A fixed nonce keeps the output the same from run to run; a build gets
	// its session's.
	facts := plan.Facts{Image: plan.ImageRef(*image), Nonce: "dotenv-llb", Platform: keyPlatform}
	def, report, err := frontend.Convert(appcontext.Context(), dt, opt, facts)
	if err != nil {
		return err
	}
	if *asJSON {
		return writeJSON(stdout, def, report)
	}
	d := &bkllb.Definition{}
	d.FromPB(def)
	return bkllb.WriteTo(d, stdout)
}

// writeJSON prints the report and the ops in Def order.
func writeJSON(w io.Writer, def *pb.Definition, report *llb.Report) error {
	type op struct {
		Digest   string          `json:"digest"`
		Op       json.RawMessage `json:"op"`
		Metadata json.RawMessage `json:"metadata,omitempty"`
	}
	out := struct {
		Steps []llb.Step `json:"steps"`
		Ops   []op       `json:"ops"`
	}{Steps: report.Steps}
	for _, dt := range def.Def {
		var o pb.Op
		if err := o.Unmarshal(dt); err != nil {
			return err
		}
		dgst := digest.FromBytes(dt).String()
		j, err := protojson.Marshal(&o)
		if err != nil {
			return err
		}
		entry := op{Digest: dgst, Op: j}
		if md := def.Metadata[dgst]; md != nil {
			if entry.Metadata, err = protojson.Marshal(md); err != nil {
				return err
			}
		}
		out.Ops = append(out.Ops, entry)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}
