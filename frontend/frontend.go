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
	"github.com/moby/buildkit/frontend/gateway/client"
	"github.com/moby/buildkit/frontend/subrequests/convertllb"
	"github.com/moby/buildkit/solver/pb"
	digest "github.com/opencontainers/go-digest"
	"github.com/pkg/errors"
)

const (
	keySource    = "source"
	keyRequestID = "requestid"
	keyDotenvArg = "build-arg:" + config.BuildArg
)

// Build is the frontend's gateway.BuildFunc.
func Build(ctx context.Context, c client.Client) (*client.Result, error) {
	opts := c.BuildOpts().Opts
	buildArg := opts[keyDotenvArg]
	if buildArg != "" {
		if _, err := config.Default().Apply(buildArg); err != nil {
			return nil, errors.Wrapf(err, "invalid build-arg %s", config.BuildArg)
		}
	}
	rw := NewRewriter(c, Options{BuildArg: buildArg, CacheKey: cacheKeyOf(c.BuildOpts())})
	res, err := builder.Build(ctx, rw)
	if err != nil {
		return nil, err
	}
	if opts[keyRequestID] == convertllb.RequestConvertLLB {
		if err := rw.rewriteConvertLLB(res); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// Rewriter is a gateway client whose Solve wraps the RUN steps of every
// definition before BuildKit sees it: the main build, each platform, and the
// SBOM scanner's solve, which embeds the same RUN steps again and must find
// them under the same digests or they would run twice.
type Rewriter struct {
	client.Client
	opt Options

	mu    sync.Mutex
	plans map[digest.Digest]planOrError // by Dockerfile content and name
}

type planOrError struct {
	plan *plan.Plan
	err  error
}

// Options are the facts of one build the pass needs besides the Dockerfile.
type Options struct {
	BuildArg string       // the BUILDKIT_DOTENV setting, "" when not given
	CacheKey llb.CacheKey // how to key RUNs by the secret where cache=secret
}

// NewRewriter returns c with the pass in front of Solve.
func NewRewriter(c client.Client, opt Options) *Rewriter {
	return &Rewriter{Client: c, opt: opt, plans: map[digest.Digest]planOrError{}}
}

// cacheKeyOf returns what cache=secret needs of a build: this frontend's
// image (BuildKit passes it as the source option of gateway.v0), a nonce of
// the build (its session), and the platform of the worker.
func cacheKeyOf(bopts client.BuildOpts) llb.CacheKey {
	p := platforms.DefaultSpec()
	if len(bopts.Workers) > 0 && len(bopts.Workers[0].Platforms) > 0 {
		p = bopts.Workers[0].Platforms[0]
	}
	return llb.CacheKey{Image: bopts.Opts[keySource], Nonce: bopts.SessionID, Platform: platforms.Format(p)}
}

// Solve wraps req.Definition, solves it, and rewrites a failing RUN's error
// so that it names the user's command rather than the loader.
func (r *Rewriter) Solve(ctx context.Context, req client.SolveRequest) (*client.Result, error) {
	if req.Definition != nil && len(req.Definition.Def) > 0 {
		def, report, err := r.Wrap(req.Definition)
		if err != nil {
			return nil, err
		}
		req.Definition = def
		// A solve is lazy: without Evaluate, a failing RUN would fail after
		// Build returned, and its error would reach the user without passing
		// here. Evaluating now costs nothing more: the result is needed.
		if report.Wrapped() > 0 {
			req.Evaluate = true
		}
	}
	res, err := r.Client.Solve(ctx, req)
	if err != nil {
		return nil, cleanError(err)
	}
	return res, nil
}

// Wrap runs the pass over def with the plan of the Dockerfile each RUN comes from.
func (r *Rewriter) Wrap(def *pb.Definition) (*pb.Definition, *llb.Report, error) {
	// All RUNs of a definition share its few SourceInfos: look each up once.
	plans := map[*pb.SourceInfo]*plan.Plan{}
	return llb.Wrap(def, func(run llb.Run) (llb.Secret, string, error) {
		p, ok := plans[run.Source]
		if !ok {
			var err error
			if p, err = r.plan(run.Source); err != nil {
				return llb.Secret{}, "", err
			}
			plans[run.Source] = p
		}
		secret, skip, err := p.Decide(run)
		if skip == "" && err == nil && p.Config.Cache == config.CacheSecret {
			if !r.opt.CacheKey.Enabled() {
				return secret, "", errors.Errorf("cache=%s needs the frontend's image name, which runs the key step: BuildKit passes it when # syntax= (or gateway.v0's source option) selects the frontend; dotenv-llb takes --frontend-image", config.CacheSecret)
			}
			secret.CacheKey = r.opt.CacheKey
		}
		return secret, skip, err
	})
}

// plan reads a Dockerfile once per build, however many solves carry it.
func (r *Rewriter) plan(src *pb.SourceInfo) (*plan.Plan, error) {
	key := digest.FromString(src.Filename + "\x00" + string(src.Data))
	r.mu.Lock()
	defer r.mu.Unlock()
	pe, ok := r.plans[key]
	if !ok {
		p, err := plan.New(src.Data, r.opt.BuildArg)
		pe = planOrError{plan: p, err: withSource(err, src)}
		r.plans[key] = pe
	}
	return pe.plan, pe.err
}

// rewriteConvertLLB passes the `--call convertllb` result through the pass,
// so that it shows what really runs.
func (r *Rewriter) rewriteConvertLLB(res *client.Result) error {
	dt, ok := res.Metadata[resultJSON]
	if !ok {
		return errors.Errorf("convertllb result has no %s", resultJSON)
	}
	def, err := parseConvertLLB(dt)
	if err != nil {
		return err
	}
	wrapped, _, err := r.Wrap(def)
	if err != nil {
		return err
	}
	if dt, err = formatConvertLLB(wrapped); err != nil {
		return err
	}
	res.AddMeta(resultJSON, dt)
	return nil
}
