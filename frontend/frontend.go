// Package frontend is the dockerfile-dotenv gateway frontend: upstream's
// Dockerfile builder, unchanged, talking to BuildKit through a client that
// passes every LLB definition it solves through the dotenv pass.
package frontend

import (
	"context"
	"sync"

	"github.com/containerd/platforms"
	"github.com/dockerfile-dotenv/dockerfile-dotenv/config"
	"github.com/dockerfile-dotenv/dockerfile-dotenv/llb"
	"github.com/dockerfile-dotenv/dockerfile-dotenv/plan"
	"github.com/moby/buildkit/frontend/dockerfile/builder"
	"github.com/moby/buildkit/frontend/dockerfile/dockerfile2llb"
	"github.com/moby/buildkit/frontend/dockerui"
	"github.com/moby/buildkit/frontend/gateway/client"
	"github.com/moby/buildkit/frontend/subrequests/convertllb"
	"github.com/moby/buildkit/frontend/subrequests/lint"
	"github.com/moby/buildkit/frontend/subrequests/outline"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/pkg/errors"
)

const (
	keySource    = "source"
	keyRequestID = "requestid"
	keyDotenvArg = "build-arg:" + config.BuildArg
)

// Build is the frontend's gateway.BuildFunc.
func Build(ctx context.Context, c client.Client) (*client.Result, error) {
	bopts := c.BuildOpts()
	buildArg := bopts.Opts[keyDotenvArg]
	requestID := bopts.Opts[keyRequestID]
	if buildArg != "" && requestID != lint.RequestLint { // a check reports it as DotenvInvalidSetting
		if _, err := config.Default().Apply(buildArg); err != nil {
			return nil, errors.Wrapf(err, "invalid build-arg %s", config.BuildArg)
		}
	}
	bc, err := dockerui.NewClient(c)
	if err != nil {
		return nil, err
	}
	b := &build{c: c, bc: bc, buildArg: buildArg}
	facts := plan.Facts{
		BuildArg: buildArg,
		Nonce:    bopts.SessionID,
		Platform: platforms.Format(workerPlatform(bopts)),
	}
	if buildArg != "" {
		// The build-arg is for the Dockerfile being built only: a build may
		// carry others (bake target: contexts).
		src, err := b.source(ctx)
		if err != nil {
			return nil, err
		}
		facts.Dockerfile = src.Data
	}
	if src := bopts.Opts[keySource]; src != "" {
		facts.Image = &ownImage{ctx: ctx, c: c, ref: src, platform: workerPlatform(bopts), started: startedDefinition}
	}
	b.policy = plan.NewPolicy(facts)
	rw := NewRewriter(c, b.policy.Decide)
	rw.checks = b.checkBuild
	res, err := builder.Build(ctx, rw)
	if err != nil {
		return nil, err
	}
	switch requestID {
	case convertllb.RequestConvertLLB:
		err = rw.rewriteConvertLLB(res)
	case lint.RequestLint:
		err = b.addChecks(ctx, res)
	case outline.RequestSubrequestsOutline:
		err = b.addSecrets(ctx, res)
	}
	if err != nil {
		return nil, err
	}
	return res, nil
}

// build is what Build knows about the Dockerfile it builds, besides what
// upstream's builder does with it.
type build struct {
	c        client.Client
	bc       *dockerui.Client
	buildArg string
	policy   *plan.Policy

	srcOnce sync.Once
	src     *dockerui.Source
	srcErr  error

	checkOnce sync.Once
	checkErr  error
}

// source reads the Dockerfile being built, as upstream's builder does, once.
// It is read when needed only: upstream's builder refuses an unsupported
// daemon before it solves anything.
func (b *build) source(ctx context.Context) (*dockerui.Source, error) {
	b.srcOnce.Do(func() {
		b.src, b.srcErr = b.bc.ReadEntrypoint(ctx, "Dockerfile")
	})
	return b.src, b.srcErr
}

// convert converts the Dockerfile for the requested target as upstream's
// builder does for its first platform, and runs the pass: what a build of
// it would wrap.
func (b *build) convert(ctx context.Context) (*llb.Report, error) {
	src, err := b.source(ctx)
	if err != nil {
		return nil, err
	}
	opt := dockerfile2llb.ConvertOpt{
		Config:       b.bc.Config,
		Client:       b.bc,
		SourceMap:    src.SourceMap,
		MetaResolver: b.c,
	}
	if len(b.bc.TargetPlatforms) > 0 {
		opt.TargetPlatform = &b.bc.TargetPlatforms[0] // as the build's first platform
	}
	res, err := dockerfile2llb.Dockerfile2LLB(ctx, src.Data, opt)
	if err != nil {
		return nil, err
	}
	def, err := res.State.Marshal(ctx)
	if err != nil {
		return nil, errors.Wrap(err, "failed to marshal LLB definition")
	}
	_, report, err := llb.Wrap(def.ToPB(), b.policy.Decide)
	return report, err
}

// workerPlatform is the platform of the build's first worker, where the
// cache key step runs.
func workerPlatform(bopts client.BuildOpts) ocispecs.Platform {
	if len(bopts.Workers) > 0 && len(bopts.Workers[0].Platforms) > 0 {
		return bopts.Workers[0].Platforms[0]
	}
	return platforms.DefaultSpec()
}
