// Package frontend is the dockerfile-dotenv gateway frontend: upstream's
// Dockerfile builder, unchanged, talking to BuildKit through a client that
// passes every LLB definition it solves through the dotenv pass.
package frontend

import (
	"context"

	"github.com/containerd/platforms"
	"github.com/dockerfile-dotenv/dockerfile-dotenv/config"
	"github.com/dockerfile-dotenv/dockerfile-dotenv/plan"
	"github.com/moby/buildkit/frontend/dockerfile/builder"
	"github.com/moby/buildkit/frontend/dockerui"
	"github.com/moby/buildkit/frontend/gateway/client"
	"github.com/moby/buildkit/frontend/subrequests/convertllb"
	"github.com/moby/buildkit/frontend/subrequests/lint"
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
	if buildArg != "" {
		if _, err := config.Default().Apply(buildArg); err != nil {
			return nil, errors.Wrapf(err, "invalid build-arg %s", config.BuildArg)
		}
	}
	facts := plan.Facts{
		BuildArg: buildArg,
		Nonce:    bopts.SessionID,
		Platform: platforms.Format(workerPlatform(bopts)),
	}
	requestID := bopts.Opts[keyRequestID]
	// The Dockerfile being built, read once when needed: the build-arg is
	// for it only (a build may carry others: bake target: contexts), and
	// the lint subrequest checks its setting.
	var dockerfile []byte
	if buildArg != "" || requestID == lint.RequestLint {
		var err error
		if dockerfile, err = readDockerfile(ctx, c); err != nil {
			return nil, err
		}
	}
	if buildArg != "" {
		facts.Dockerfile = dockerfile
	}
	if src := bopts.Opts[keySource]; src != "" {
		facts.Image = &ownImage{ctx: ctx, c: c, ref: src, platform: workerPlatform(bopts)}
	}
	rw := NewRewriter(c, plan.NewPolicy(facts).Decide)
	res, err := builder.Build(ctx, rw)
	if err != nil {
		return nil, err
	}
	switch requestID {
	case convertllb.RequestConvertLLB:
		if err := rw.rewriteConvertLLB(res); err != nil {
			return nil, err
		}
	case lint.RequestLint:
		if err := addLintWarnings(res, dockerfile, buildArg); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// readDockerfile reads the Dockerfile being built, as upstream's builder does.
func readDockerfile(ctx context.Context, c client.Client) ([]byte, error) {
	bc, err := dockerui.NewClient(c)
	if err != nil {
		return nil, err
	}
	src, err := bc.ReadEntrypoint(ctx, "Dockerfile")
	if err != nil {
		return nil, err
	}
	return src.Data, nil
}

// workerPlatform is the platform of the build's first worker, where the
// cache key step runs.
func workerPlatform(bopts client.BuildOpts) ocispecs.Platform {
	if len(bopts.Workers) > 0 && len(bopts.Workers[0].Platforms) > 0 {
		return bopts.Workers[0].Platforms[0]
	}
	return platforms.DefaultSpec()
}
