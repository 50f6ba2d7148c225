package frontend

import (
	"context"
	"encoding/json"
	"github.com/dockerfile-dotenv/dockerfile-dotenv/plan"
	"github.com/moby/buildkit/client/llb/sourceresolver"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	digest "github.com/opencontainers/go-digest"
)

func digestOf(dt []byte) string { return digest.FromBytes(dt).String() }

// offlineResolver answers every image lookup with a minimal config of the
// requested platform, so that conversions never reach for a registry.
type offlineResolver struct{}

func (offlineResolver) ResolveImageConfig(_ context.Context, ref string, opt sourceresolver.Opt) (string, digest.Digest, []byte, error) {
	p := ocispecs.Platform{OS: "linux", Architecture: "amd64"}
	if opt.ImageOpt != nil && opt.ImageOpt.Platform != nil {
		p = *opt.ImageOpt.Platform
	}
	dt, err := json.Marshal(ocispecs.Image{Platform: p, Config: ocispecs.ImageConfig{Env: []string{"PATH=/bin"}}})
	if err != nil {
		return "", "", nil, err
	}
	return ref, digest.FromBytes(dt), dt, nil
}

// testImage stands for this frontend's image, pinned as a build pins it.
const testImage = "registry.example/dockerfile-dotenv@sha256:0000000000000000000000000000000000000000000000000000000000000000"

// testFacts stand for a build's facts.
var testFacts = plan.Facts{Image: plan.ImageRef(testImage), Nonce: "golden", Platform: "linux/amd64"}
