package frontend

import (
	"context"
	"strings"
	"sync"

	"github.com/dockerfile-dotenv/dockerfile-dotenv/dotenv"
	"github.com/dockerfile-dotenv/dockerfile-dotenv/llb"
	"github.com/moby/buildkit/frontend/gateway/client"
	"github.com/moby/buildkit/solver/pb"
)

// Rewriter is a gateway client whose Solve wraps the RUN steps of every
// definition before BuildKit sees it: the main build, each platform, and the
// SBOM scanner's solve, which embeds the same RUN steps again and must find
// them under the same digests or they would run twice.
type Rewriter struct {
	client.Client
	policy llb.Policy
	// checks, when set, sees the report of each definition before it is
	// solved; its error fails the solve.
	checks func(context.Context, *llb.Report) error

	mu      sync.Mutex
	wrapped map[string]wrappedStep // by the argv BuildKit names a failed step with, joined by spaces
}

// wrappedStep is what an error about a wrapped step needs.
type wrappedStep struct {
	user   string // the user's argv, joined by spaces as BuildKit joins it
	secret string // the secret id of loader v2, "" for v1
}

// NewRewriter returns c with the pass in front of Solve, deciding with policy.
func NewRewriter(c client.Client, policy llb.Policy) *Rewriter {
	return &Rewriter{Client: c, policy: policy, wrapped: map[string]wrappedStep{}}
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
		if r.checks != nil {
			if err := r.checks(ctx, report); err != nil {
				return nil, err
			}
		}
		// A solve is lazy: without Evaluate, a failing RUN would fail after
		// Build returned, and its error would reach the user without passing
		// here. Evaluating now costs nothing more: the result is needed.
		if report.Wrapped() > 0 {
			req.Evaluate = true
		}
	}
	res, err := r.Client.Solve(ctx, req)
	if err != nil {
		return nil, r.cleanError(err)
	}
	return res, nil
}

// Wrap runs the pass over def and remembers the wrapped steps' argv.
func (r *Rewriter) Wrap(def *pb.Definition) (*pb.Definition, *llb.Report, error) {
	out, report, err := llb.Wrap(def, r.policy)
	if err != nil {
		return nil, nil, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, s := range report.Steps {
		if s.Wrapped {
			r.wrapped[strings.Join(s.Args, " ")] = wrappedStep{user: strings.Join(s.UserArgs, " "), secret: secretOf(s.Args)}
		}
	}
	return out, report, nil
}

// secretOf returns the secret id a loader v2 argv loads, "" for others.
func secretOf(args []string) string {
	if len(args) == 0 || args[0] != llb.LoaderPath {
		return ""
	}
	for _, a := range args[1:] {
		if a == dotenv.FlagEnd {
			break
		}
		if id, ok := strings.CutPrefix(a, dotenv.FlagID); ok {
			return id
		}
	}
	return ""
}

// rewriteConvertLLB passes the `--call convertllb` result through the pass,
// so that it shows what really runs.
func (r *Rewriter) rewriteConvertLLB(res *client.Result) error {
	dt, err := resultOf(res, "convertllb")
	if err != nil {
		return err
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
