package llb

import (
	"context"
	"path"
	"slices"
	"strings"

	"github.com/dockerfile-dotenv/dockerfile-dotenv/dotenv"
	bkllb "github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/solver/pb"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/pkg/errors"
)

// Loader versions. A loader (its text, or its program's bytes, its argv and
// its mounts) is part of the cache key of every wrapped RUN: changing it
// rebuilds every user's RUN steps, so it gets a new version and a line in
// the README's loader table and the changelog.
const (
	// LoaderShell (v1) sources the file with the stage's /bin/sh. Kept byte
	// for byte for `loader=shell`.
	LoaderShell = 1
	// LoaderProgram (v2) is a static program from our image that reads the
	// file as data, runs nothing from it, and execs the RUN's own argv.
	LoaderProgram = 2
	// LoaderVersion is the default.
	LoaderVersion = LoaderProgram
)

// Loader is how a wrapped RUN reads its secret.
type Loader struct {
	Version int    // LoaderShell or LoaderProgram
	Image   string // LoaderProgram: our image, pinned by digest, that carries the program
}

// Loader v2's paths: where the program is in our image, and where a wrapped
// RUN finds it, mounted read-only (BuildKit keys the RUN by its bytes).
const (
	LoaderInImage = "/bin/dotenv-loader"
	LoaderPath    = "/run/dockerfile-dotenv/loader"
)

// ExitLoadFailed is the exit code of loader v2 when it cannot load the
// secret (a malformed file, a missing required secret): the convention of
// env(1), nice(1) and timeout(1) for "the wrapper failed, not the command".
const ExitLoadFailed = dotenv.ExitLoadFailed

// addLoader puts the secret's loader in front of op's argv, with the mounts
// it needs, and returns the caps those need.
func (w *wrapper) addLoader(op *pb.Op, s Secret) ([]string, error) {
	exec := op.GetExec()
	switch s.Loader.Version {
	case LoaderShell:
		exec.Meta.Args = append(loaderV1Args(s, loaderShell(exec.Meta.Args)), exec.Meta.Args...)
		return nil, nil
	case LoaderProgram:
		src, err := w.loaderImage(s.Loader.Image, op.Platform)
		if err != nil {
			return nil, err
		}
		op.Inputs = append(op.Inputs, &pb.Input{Digest: src, Index: 0})
		exec.Mounts = append(exec.Mounts, &pb.Mount{
			Input:    int64(len(op.Inputs) - 1),
			Output:   int64(pb.SkipOutput),
			Dest:     LoaderPath,
			Selector: LoaderInImage,
			Readonly: true,
		})
		exec.Meta.Args = loaderV2Args(s, exec.Meta.Args)
		return []string{string(pb.CapExecMountBind), string(pb.CapExecMountSelector)}, nil
	default:
		return nil, errors.Errorf("unknown loader version %d", s.Loader.Version)
	}
}

// loaderV2Args is the argv of a step wrapped with loader v2: the program,
// its flags, and the RUN's own argv unchanged after "--".
func loaderV2Args(s Secret, argv []string) []string {
	return dotenv.LoaderArgs(LoaderPath, s.ID, s.Target, s.Required, s.Mask, argv)
}

// loaderImage returns the digest of the source op of our image for platform,
// adding it to the definition the first time.
func (w *wrapper) loaderImage(ref string, p *pb.Platform) (string, error) {
	if ref == "" {
		return "", errors.New("loader v2 needs the frontend's image, which carries the loader program")
	}
	if p == nil {
		return "", errors.New("a RUN step without a platform cannot get loader v2")
	}
	key := strings.Join(append([]string{ref, p.OS, p.Architecture, p.Variant, p.OSVersion}, p.OSFeatures...), "\x00")
	if d, ok := w.images[key]; ok {
		return d, nil
	}
	st := bkllb.Image(ref, bkllb.Platform(ocispecs.Platform{
		OS: p.OS, Architecture: p.Architecture, Variant: p.Variant, OSVersion: p.OSVersion, OSFeatures: p.OSFeatures,
	}), bkllb.WithCustomName("[dotenv] loader"))
	// The pass is pure: marshalling a state needs no I/O.
	def, err := st.Marshal(context.Background())
	if err != nil {
		return "", errors.Wrap(err, "failed to marshal the loader's image")
	}
	ops := def.Def[:len(def.Def)-1] // the last is the terminal op
	md := map[string]*pb.OpMetadata{}
	for d, m := range def.Metadata {
		md[string(d)] = m.ToPB()
	}
	w.addOps(ops, md)
	w.images[key] = string(Digest(ops[len(ops)-1]))
	return w.images[key], nil
}

// loaderIn returns the version of the loader an argv starts with, 0 for none.
func loaderIn(args []string) int {
	switch {
	case len(args) > 0 && args[0] == LoaderPath:
		return LoaderProgram
	case len(args) > 3 && path.IsAbs(args[0]) && args[1] == "-c" && args[3] == LoaderName && strings.HasPrefix(args[2], "if [ -r "):
		return LoaderShell
	}
	return 0
}

// UserArgs returns the argv the user's RUN gave, for an argv the pass
// wrapped, and args itself otherwise.
func UserArgs(args []string) []string {
	switch loaderIn(args) {
	case LoaderProgram:
		if i := slices.Index(args, dotenv.FlagEnd); i >= 0 {
			return args[i+1:]
		}
	case LoaderShell:
		return args[4:]
	}
	return args
}

// conflict says why a step must stay as the user wrote it: it already reads
// the secret (the documented boilerplate; own is then true), or one of its
// mounts is where the pass's mounts would go, below one of them, or a
// read-only mount above one (the container could not be made).
func conflict(exec *pb.ExecOp, s Secret) (reason string, own bool) {
	for _, m := range exec.Mounts {
		if m.MountType == pb.MountType_SECRET && m.SecretOpt != nil && m.SecretOpt.ID == s.ID {
			return "mounts secret " + s.ID + " itself", true
		}
	}
	for _, e := range exec.Secretenv {
		if e.ID == s.ID {
			return "reads secret " + s.ID + " into $" + e.Name + " itself", true
		}
	}
	for _, ours := range ourPaths(s) {
		for _, m := range exec.Mounts {
			if m.Dest == "/" {
				continue
			}
			switch {
			case m.Dest == ours:
				return "has a mount at " + m.Dest, false
			case within(m.Dest, ours):
				return "has a mount at " + m.Dest + ", below " + ours, false
			case within(ours, m.Dest) && readOnly(m):
				return "has a read-only mount at " + m.Dest + ", above " + ours, false
			}
		}
	}
	return "", false
}

// ourPaths are the paths the pass mounts for s.
func ourPaths(s Secret) []string {
	paths := []string{s.Target}
	if s.Loader.Version == LoaderProgram {
		paths = append(paths, LoaderPath)
	}
	if s.CacheKey.Enabled() {
		paths = append(paths, keyPath(s))
	}
	return paths
}

// within tells whether p is strictly below dir.
func within(p, dir string) bool {
	return strings.HasPrefix(p, strings.TrimSuffix(dir, "/")+"/")
}

// readOnly tells whether nothing can be created inside mount m: a read-only
// bind (Dockerfile binds are read-only by default), or a file (a secret or an
// SSH socket).
func readOnly(m *pb.Mount) bool {
	switch m.MountType {
	case pb.MountType_BIND:
		return m.Readonly
	case pb.MountType_SECRET, pb.MountType_SSH:
		return true
	}
	return false
}
