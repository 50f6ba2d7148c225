package frontend

import (
	"context"
	"strings"
	"sync"

	"github.com/containerd/platforms"
	"github.com/distribution/reference"
	"github.com/moby/buildkit/client/llb/sourceresolver"
	"github.com/moby/buildkit/frontend/gateway/client"
	"github.com/moby/buildkit/solver/pb"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/pkg/errors"
)

// ownImage is this frontend's image as BuildKit names it (the source option
// of gateway.v0: the `# syntax=` reference). It is resolved once per build,
// when a step first needs it, and once per platform for the loader.
type ownImage struct {
	ctx      context.Context
	c        client.Client
	ref      string
	platform ocispecs.Platform // the worker's

	once   sync.Once
	pinned string
	err    error

	mu  sync.Mutex
	has map[string]error // by platform
}

// Pinned returns the image's reference with the digest it has now: every
// step of the build then runs the same image, even if its tag moves.
func (o *ownImage) Pinned() (string, error) {
	o.once.Do(func() {
		named, err := reference.ParseNormalizedNamed(o.ref)
		if err != nil {
			o.err = errors.Wrapf(err, "the frontend's image %q", o.ref)
			return
		}
		if c, ok := named.(reference.Canonical); ok {
			o.pinned = c.String() // pinned by the user already
			return
		}
		// Normalized, as BuildKit resolves the frontend it starts: the
		// resolver takes the first path component of "name/repo" for a host.
		_, dgst, _, err := o.c.ResolveImageConfig(o.ctx, reference.TagNameOnly(named).String(), sourceresolver.Opt{
			LogName:  "[dotenv] resolve the frontend's image " + o.ref,
			ImageOpt: &sourceresolver.ResolveImageOpt{Platform: &o.platform},
		})
		if err != nil {
			o.err = errors.Wrapf(err, "failed to resolve the frontend's image %s", o.ref)
			return
		}
		c, err := reference.WithDigest(reference.TrimNamed(named), dgst)
		if err != nil {
			o.err = errors.Wrapf(err, "the frontend's image %q", o.ref)
			return
		}
		o.pinned = c.String()
	})
	return o.pinned, o.err
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
	if o.has == nil {
		o.has = map[string]error{}
	}
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
