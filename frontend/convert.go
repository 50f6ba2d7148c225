package frontend

import (
	"context"

	"github.com/dockerfile-dotenv/dockerfile-dotenv/config"
	"github.com/dockerfile-dotenv/dockerfile-dotenv/llb"
	"github.com/dockerfile-dotenv/dockerfile-dotenv/plan"
	bkllb "github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/frontend/dockerfile/dockerfile2llb"
	"github.com/moby/buildkit/solver/pb"
	"github.com/pkg/errors"
)

// Convert converts a Dockerfile to LLB without a daemon, as the frontend's
// main solve would see it, and wraps it. The dotenv-llb command and the
// golden tests use it. BUILDKIT_DOTENV is taken from opt.BuildArgs; facts
// give the rest of what a build would.
func Convert(ctx context.Context, dockerfile []byte, opt dockerfile2llb.ConvertOpt, facts plan.Facts) (*pb.Definition, *llb.Report, error) {
	if opt.SourceMap == nil {
		// The frontend's definitions locate each op in the Dockerfile; the
		// pass needs that to find RUN steps.
		opt.SourceMap = bkllb.NewSourceMap(nil, "Dockerfile", "Dockerfile", dockerfile)
	}
	res, err := dockerfile2llb.Dockerfile2LLB(ctx, dockerfile, opt)
	if err != nil {
		return nil, nil, err
	}
	def, err := res.State.Marshal(ctx)
	if err != nil {
		return nil, nil, errors.Wrap(err, "failed to marshal LLB definition")
	}
	facts.BuildArg = opt.BuildArgs[config.BuildArg]
	return llb.Wrap(def.ToPB(), plan.NewPolicy(facts).Decide)
}
