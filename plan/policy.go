package plan

import (
	"bytes"
	"strconv"
	"strings"
	"sync"

	"github.com/dockerfile-dotenv/dockerfile-dotenv/config"
	"github.com/dockerfile-dotenv/dockerfile-dotenv/llb"
	"github.com/moby/buildkit/solver/errdefs"
	"github.com/moby/buildkit/solver/pb"
	digest "github.com/opencontainers/go-digest"
	"github.com/pkg/errors"
)

// Facts are what one build tells the policy besides its Dockerfiles.
type Facts struct {
	// BuildArg is the BUILDKIT_DOTENV setting, "" when not given. It applies
	// to the Dockerfile being built only: RUNs of other Dockerfiles (bake
	// target: contexts, --build-context name=input:) follow their own
	// `# dotenv=` directive.
	BuildArg string
	// Dockerfile is the content of the Dockerfile being built; nil means
	// that every Dockerfile is (the offline preview).
	Dockerfile []byte
	// Image is this frontend's image: it carries loader v2 and runs the
	// cache key step. nil when unknown.
	Image Image
	// Nonce is unique to the build (its session id): the cache key step is
	// never shared with another build.
	Nonce string
	// Platform is the worker's, where the cache key step runs.
	Platform string
}

// Image is this frontend's image, as a build sees it.
type Image interface {
	// Pinned returns the image's reference pinned by digest, so that every
	// step of the build runs the same image: the one running the build.
	Pinned() (string, error)
	// HasLoader says why the image carries no loader for a platform, or nil.
	HasLoader(*pb.Platform) error
}

// ImageRef is an Image known by a pinned reference alone (the offline
// preview): every platform is assumed to have the loader.
type ImageRef string

// Pinned returns the reference.
func (r ImageRef) Pinned() (string, error) { return string(r), nil }

// HasLoader assumes the loader is there.
func (r ImageRef) HasLoader(*pb.Platform) error { return nil }

// Policy decides for the RUN steps of one build, from the plan of the
// Dockerfile each step comes from. It reads each Dockerfile once and is
// safe for concurrent use (platforms solve in parallel).
type Policy struct {
	facts Facts

	mu    sync.Mutex
	plans map[digest.Digest]planOrError // by Dockerfile name, content and role
	// sources: the plan of each source a step has named, so that a
	// Dockerfile is compared and hashed once per solve, not once per step
	// (quadratic in its RUNs). Holding the SourceInfo keeps its address
	// from being reused for another.
	sources map[*pb.SourceInfo]planOrError
}

type planOrError struct {
	plan *Plan
	err  error
}

// NewPolicy returns the policy of a build.
func NewPolicy(f Facts) *Policy {
	return &Policy{facts: f, plans: map[digest.Digest]planOrError{}, sources: map[*pb.SourceInfo]planOrError{}}
}

// Decide is the llb.Policy of the build. Every location of a step is
// decided; a step that BuildKit merged from RUNs that the setting treats
// differently fails the build, naming each of them.
func (p *Policy) Decide(run llb.Run) (llb.Decision, error) {
	all := make([]decision, 0, len(run.Locations))
	for _, loc := range run.Locations {
		pl, err := p.plan(loc.Source)
		if err != nil {
			return llb.Decision{}, err
		}
		all = append(all, pl.decide(loc))
	}
	if len(all) == 0 {
		return llb.Decision{Reason: "not located in a Dockerfile"}, nil
	}
	for _, d := range all[1:] {
		if !d.sameAs(all[0]) {
			return llb.Decision{}, mergedError(all)
		}
	}
	if all[0].reason != "" {
		return llb.Decision{Reason: all[0].reason}, nil
	}
	// An error here (the frontend's image lacks the step's platform, say)
	// is the pass's to report: not for a step it leaves as is anyway.
	secret, err := p.secret(all[0].cfg, run)
	return llb.Decision{Secret: &secret, Err: withSource(err, run.Locations[0])}, nil
}

// secret returns the secret a step wrapped under cfg gets.
func (p *Policy) secret(cfg config.Config, run llb.Run) (llb.Secret, error) {
	s := llb.Secret{ID: cfg.ID, Target: cfg.MountTarget(), Required: cfg.Required, Loader: llb.Loader{Version: llb.LoaderShell}}
	if cfg.Loader == config.LoaderProgram {
		if p.facts.Image == nil {
			return s, errors.Errorf("loader %s runs a program from the frontend's image, which is not known: BuildKit passes it when # syntax= (or gateway.v0's source option) selects the frontend; dotenv-llb takes --frontend-image; loader=%s needs none", config.LoaderProgram, config.LoaderShell)
		}
		ref, err := p.facts.Image.Pinned()
		if err != nil {
			return s, err
		}
		if err := p.facts.Image.HasLoader(run.Platform); err != nil {
			return s, err
		}
		s.Loader = llb.Loader{Version: llb.LoaderProgram, Image: ref}
		s.Mask = cfg.Mask // loader v1 is a shell script: it cannot mask
	}
	if cfg.Cache == config.CacheSecret {
		if p.facts.Image == nil {
			return s, errors.Errorf("cache=%s needs the frontend's image, which runs the key step: BuildKit passes it when # syntax= (or gateway.v0's source option) selects the frontend; dotenv-llb takes --frontend-image", config.CacheSecret)
		}
		ref, err := p.facts.Image.Pinned()
		if err != nil {
			return s, err
		}
		s.CacheKey = llb.CacheKey{Image: ref, Nonce: p.facts.Nonce, Platform: p.facts.Platform}
	}
	return s, nil
}

// plan reads a Dockerfile once per build, however many solves carry it.
func (p *Policy) plan(src *pb.SourceInfo) (*Plan, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if pe, ok := p.sources[src]; ok {
		return pe.plan, pe.err
	}
	main := p.facts.Dockerfile == nil || bytes.Equal(src.Data, p.facts.Dockerfile)
	role := "other"
	if main {
		role = "main"
	}
	key := digest.FromString(role + "\x00" + src.Filename + "\x00" + string(src.Data))
	pe, ok := p.plans[key]
	if !ok {
		buildArg := ""
		if main {
			buildArg = p.facts.BuildArg
		}
		pl, err := New(src.Data, buildArg)
		pe = planOrError{plan: pl, err: WithSource(err, src)}
		p.plans[key] = pe
	}
	p.sources[src] = pe
	return pe.plan, pe.err
}

// decision is the plan's answer for one location of a step.
type decision struct {
	loc    llb.Location
	stage  string
	cfg    config.Config // the setting, when wrapped
	reason string        // why not, "" when wrapped
}

func (d decision) sameAs(o decision) bool {
	if d.reason != "" || o.reason != "" {
		return d.reason != "" && o.reason != ""
	}
	return d.cfg.ID == o.cfg.ID && d.cfg.MountTarget() == o.cfg.MountTarget() && d.cfg.Required == o.cfg.Required &&
		d.cfg.Cache == o.cfg.Cache && d.cfg.Loader == o.cfg.Loader && masks(d.cfg) == masks(o.cfg)
}

// masks tells whether a step wrapped under c masks its output.
func masks(c config.Config) bool { return c.Mask && c.Loader == config.LoaderProgram }

func (d decision) String() string {
	at := d.loc.Source.Filename + ":" + strconv.Itoa(d.loc.Line) + " (" + d.stage + ")"
	if d.reason != "" {
		return at + " is left as is: " + d.reason
	}
	return at + " is wrapped with secret " + d.cfg.ID
}

// mergedError explains a step that stands for RUNs the setting treats
// differently: one op cannot both have and lack the secret.
func mergedError(decided []decision) error {
	lines := make([]string, len(decided))
	for i, d := range decided {
		lines[i] = d.String()
	}
	err := invalid(errors.Errorf("identical RUN steps are one step for BuildKit, but the %s setting treats them differently: %s; make the steps differ (e.g. a comment in the command) or give them the same setting",
		config.Directive, strings.Join(lines, "; ")))
	for _, d := range decided {
		err = withSource(err, d.loc)
	}
	return err
}

// withSource points err at a step's location in its Dockerfile.
func withSource(err error, loc llb.Location) error {
	return errdefs.WithSource(err, &errdefs.Source{Info: loc.Source, Ranges: []*pb.Range{{
		Start: &pb.Position{Line: int32(loc.Line)}, End: &pb.Position{Line: int32(loc.Line)},
	}}})
}
