package frontend

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	bkllb "github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/solver/pb"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// TestOwnImageStarted: the image is pinned by the digest the gateway started
// the frontend from, as the definition it mounts says, without resolving the
// tag; a loader is looked up only for platforms other than the worker's.
// Without that definition, or when it names another image, the tag is
// resolved as before.
func TestOwnImageStarted(t *testing.T) {
	const started = "sha256:2222222222222222222222222222222222222222222222222222222222222222"
	amd64 := &pb.Platform{OS: "linux", Architecture: "amd64"}
	arm64 := &pb.Platform{OS: "linux", Architecture: "arm64"}
	for _, tc := range []struct {
		name       string
		definition string // the gateway's source, "" for no file
		pinned     string
		resolves   []string
	}{
		{
			name:       "started from the tag",
			definition: "docker.io/example/dockerfile-dotenv:1@" + started,
			pinned:     fakeImage + "@" + started,
			resolves:   []string{"[dotenv] resolve the loader for linux/arm64"},
		},
		{
			name:     "no definition (BuildKit before v0.13)",
			pinned:   fakeImage + "@" + fakeImageDigest,
			resolves: []string{"[dotenv] resolve the frontend's image example/dockerfile-dotenv:1", "[dotenv] resolve the loader for linux/arm64"},
		},
		{
			name:       "another image started",
			definition: "docker.io/example/other:1@" + started,
			pinned:     fakeImage + "@" + fakeImageDigest,
			resolves:   []string{"[dotenv] resolve the frontend's image example/dockerfile-dotenv:1", "[dotenv] resolve the loader for linux/arm64"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "frontend.bin")
			if tc.definition != "" {
				def, err := bkllb.Image(tc.definition).Marshal(t.Context())
				if err != nil {
					t.Fatal(err)
				}
				dt, err := def.ToPB().MarshalVT()
				if err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, dt, 0o400); err != nil {
					t.Fatal(err)
				}
			}
			c := &fakeClient{}
			o := &ownImage{ctx: t.Context(), c: c, ref: "example/dockerfile-dotenv:1",
				platform: ocispecs.Platform{OS: "linux", Architecture: "amd64"}, started: path}
			for _, p := range []*pb.Platform{amd64, arm64, amd64, arm64} {
				if err := o.HasLoader(p); err != nil {
					t.Fatalf("HasLoader(%s): %v", p.Architecture, err)
				}
			}
			if got, err := o.Pinned(); err != nil || got != tc.pinned {
				t.Errorf("Pinned() = %s, %v; want %s", got, err, tc.pinned)
			}
			if !slices.Equal(c.resolves, tc.resolves) {
				t.Errorf("resolves %q, want %q", c.resolves, tc.resolves)
			}
		})
	}
}
