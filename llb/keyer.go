package llb

import (
	"context"
	"path"

	"github.com/containerd/platforms"
	bkllb "github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/solver/pb"
	digest "github.com/opencontainers/go-digest"
	"github.com/pkg/errors"
)

// CacheKey, set on a Secret, makes the cache of the steps wrapped with it
// depend on the secret's content (the cache=secret setting): a keyer step
// writes a key of the secret (see package cachekey) and each step mounts it
// read-only, which BuildKit keys by content. The zero value is off.
type CacheKey struct {
	Image    string // an image whose /bin/dockerfile-dotenv computes the key: this frontend's
	Nonce    string // unique per build: the keyer runs in every build, never shared with another
	Platform string // the platform the keyer runs on, e.g. linux/amd64
}

// Enabled tells whether the key is on.
func (k CacheKey) Enabled() bool { return k.Image != "" }

// keyDir is where a wrapped step finds the key: a read-only mount of the
// keyer's output, never written to the image (BuildKit removes mount stubs).
const keyDir = "/run/dotenv-cachekey"

// keyer is the keyer step of one secret, as ops to add to a definition.
type keyer struct {
	ops      [][]byte // in dependency order, the exec last
	metadata map[string]*pb.OpMetadata
	exec     digest.Digest
}

// newKeyer builds the keyer step for s: this frontend's image runs
// `dockerfile-dotenv cachekey` with the secret mounted, no network, and the
// build's nonce in its environment so that its digest is the build's own.
func newKeyer(s Secret) (*keyer, error) {
	if s.CacheKey.Nonce == "" {
		// Without it the step would be shared by every build of the
		// builder, and so would the key: no isolation at all.
		return nil, errors.New("the cache key step needs the build's session id")
	}
	p, err := platforms.Parse(s.CacheKey.Platform)
	if err != nil {
		return nil, errors.Wrap(err, "invalid platform for the cache key step")
	}
	src := "/run/secrets/" + s.ID
	run := bkllb.Image(s.CacheKey.Image, bkllb.Platform(p)).Run(
		bkllb.Args([]string{"/bin/dockerfile-dotenv", "cachekey", src, "/out/key"}),
		bkllb.AddEnv("DOTENV_BUILD", s.CacheKey.Nonce),
		bkllb.AddSecret(src, bkllb.SecretID(s.ID), bkllb.SecretOptional),
		bkllb.Network(bkllb.NetModeNone),
		bkllb.WithCustomName("[dotenv] cache key of secret "+s.ID),
		// Its result is of no use to another build: keep the key out of
		// cache exports.
		bkllb.WithoutExportCache(),
	)
	// The pass is pure: marshalling a state needs no I/O.
	def, err := run.AddMount("/out", bkllb.Scratch()).Marshal(context.Background())
	if err != nil {
		return nil, errors.Wrap(err, "failed to marshal the cache key step")
	}
	k := &keyer{ops: def.Def[:len(def.Def)-1], metadata: map[string]*pb.OpMetadata{}}
	k.exec = digest.FromBytes(k.ops[len(k.ops)-1])
	for d, md := range def.Metadata {
		k.metadata[string(d)] = md.ToPB()
	}
	return k, nil
}

// addKey mounts the keyer's output of s read-only in op, adding the keyer
// to the definition the first time, and returns the caps the mount needs.
func (w *wrapper) addKey(op *pb.Op, s Secret) ([]string, error) {
	k, ok := w.keyers[s]
	if !ok {
		var err error
		if k, err = newKeyer(s); err != nil {
			return nil, err
		}
		w.keyers[s] = k
		w.addOps(k.ops, k.metadata)
	}
	op.Inputs = append(op.Inputs, &pb.Input{Digest: string(k.exec), Index: 1}) // output 1: /out
	op.GetExec().Mounts = append(op.GetExec().Mounts, &pb.Mount{
		Input:    int64(len(op.Inputs) - 1),
		Output:   int64(pb.SkipOutput),
		Dest:     keyPath(s),
		Selector: "/key",
		Readonly: true,
	})
	return []string{string(pb.CapExecMountBind), string(pb.CapExecMountSelector)}, nil
}

func keyPath(s Secret) string { return path.Join(keyDir, s.ID) }
