package frontend

import (
	"context"
	"os"
	"strings"
	"sync"

	"github.com/containerd/platforms"
	"github.com/distribution/reference"
	"github.com/moby/buildkit/client/llb/sourceresolver"
	"github.com/moby/buildkit/frontend/gateway/client"
	"github.com/moby/buildkit/solver/pb"
	digest "github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/pkg/errors"
)

// startedDefinition is where BuildKit's gateway (v0.13 and later) mounts,
// in the frontend's container, the definition it started the frontend from:
// the frontend's image, pinned by the digest the gateway resolved (the
// gateway client's CurrentFrontend reads it too).
const startedDefinition = "/run/config/buildkit/metadata/frontend.bin"

// ownImage is this frontend's image as BuildKit names it (the source option
// of gateway.v0: the `# syntax=` reference). It is pinned once per build,
// when a step first needs it, and checked once per platform for the loader.
type ownImage struct {
	ctx      context.Context
	c        client.Client
	ref      string
	platform ocispecs.Platform // the worker's
	started  string            // the file of the definition the gateway started this frontend from

	once   sync.Once
	pinned string
	err    error

	mu  sync.Mutex
	has map[string]error // by platform, what HasLoader found; made by Pinned
}

// Pinned returns the image's reference pinned by digest: every step of the
// build then runs the same image, even if its tag moves. It is the image
// this frontend runs from when the daemon says which, else the tag's now.
func (o *ownImage) Pinned() (string, error) {
	o.once.Do(func() {
		o.pinned, o.err = o.pin()
		o.mu.Lock()
		o.has = map[string]error{}
		if o.err == nil {
			// Running on the worker or resolved for its platform, the
			// image has a loader there.
			o.has[platforms.FormatAll(o.platform)] = nil
		}
		o.mu.Unlock()
	})
	return o.pinned, o.err
}

func (o *ownImage) pin() (string, error) {
	named, err := reference.ParseNormalizedNamed(o.ref)
	if err != nil {
		return "", errors.Wrapf(err, "the frontend's image %q", o.ref)
	}
	if c, ok := named.(reference.Canonical); ok {
		return c.String(), nil // pinned by the user already
	}
	dgst := o.startedFrom(named)
	if dgst == "" {
		// Normalized, as BuildKit resolves the frontend it starts: the
		// resolver takes the first path component of "name/repo" for a host.
		_, dgst, _, err = o.c.ResolveImageConfig(o.ctx, reference.TagNameOnly(named).String(), sourceresolver.Opt{
			LogName:  "[dotenv] resolve the frontend's image " + o.ref,
			ImageOpt: &sourceresolver.ResolveImageOpt{Platform: &o.platform},
		})
		if err != nil {
			return "", errors.Wrapf(err, "failed to resolve the frontend's image %s", o.ref)
		}
	}
	c, err := reference.WithDigest(reference.TrimNamed(named), dgst)
	if err != nil {
		return "", errors.Wrapf(err, "the frontend's image %q", o.ref)
	}
	return c.String(), nil
}

// startedFrom is the digest of the image named that the gateway started
// this frontend from, as the definition it mounts in the frontend's
// container says, or "" when there is none (older BuildKit) or it names
// another source (a frontend from a named context): then the tag is
// resolved again.
func (o *ownImage) startedFrom(named reference.Named) digest.Digest {
	dt, err := os.ReadFile(o.started)
	if err != nil {
		return ""
	}
	var def pb.Definition
	if err := def.UnmarshalVT(dt); err != nil {
		return ""
	}
	for _, dt := range def.Def {
		var op pb.Op
		if err := op.UnmarshalVT(dt); err != nil {
			continue
		}
		id, ok := strings.CutPrefix(op.GetSource().GetIdentifier(), "docker-image://")
		if !ok {
			continue
		}
		ref, err := reference.ParseNormalizedNamed(id)
		if c, ok := ref.(reference.Canonical); err == nil && ok && ref.Name() == named.Name() {
			return c.Digest()
		}
	}
	return ""
}

// HasLoader says why the image carries no loader for p: a RUN for a
// platform the image is not published for gets this error, not a pull error
// about our image in the middle of the build.
func (o *ownImage) HasLoader(p *pb.Platform) error {
	if p == nil {
		return nil // llb reports a step without a platform
	}
	ref, err := o.Pinned()
	if err != nil {
		return err
	}
	spec := ocispecs.Platform{OS: p.OS, Architecture: p.Architecture, Variant: p.Variant, OSVersion: p.OSVersion, OSFeatures: p.OSFeatures}
	key := platforms.FormatAll(spec)
	o.mu.Lock()
	defer o.mu.Unlock()
	if err, ok := o.has[key]; ok {
		return err
	}
	_, _, _, err = o.c.ResolveImageConfig(o.ctx, ref, sourceresolver.Opt{
		LogName:  "[dotenv] resolve the loader for " + key,
		ImageOpt: &sourceresolver.ResolveImageOpt{Platform: &spec},
	})
	if err != nil {
		err = errors.Errorf("the frontend's image %s has no loader for platform %s, where this RUN runs (%s); build that platform with loader=%s (the stage's /bin/sh sources the file) or with an image published for it",
			o.ref, key, firstLine(err), "shell")
	}
	o.has[key] = err
	return err
}

func firstLine(err error) string {
	s, _, _ := strings.Cut(err.Error(), "\n")
	return s
}
