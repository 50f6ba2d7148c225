// Package llb is the pass at the heart of dockerfile-dotenv: it takes an LLB
// definition made by the Dockerfile frontend and wraps every RUN step with a
// mount of the dotenv secret and a loader that sources it.
//
// The pass is pure: the same definition and policy give the same bytes. It is
// idempotent (a step that already mounts the secret is left as is) and safe
// for concurrent use.
package llb

import (
	"crypto/sha256"
	"encoding/hex"
	"maps"
	"slices"
	"strings"

	"github.com/moby/buildkit/solver/pb"
	digest "github.com/opencontainers/go-digest"
	"github.com/pkg/errors"
)

// Dockerfile frontend conventions that identify a RUN step.
const (
	keyCommand    = "com.docker.dockerfile.v1.command"
	keyCustomName = "llb.customname"
)

// SecretMode is the permission of the mounted dotenv file: readable by any
// USER of the stage (BuildKit's default 0400 would hide it from non-root).
const SecretMode = 0o444

// Secret is the dotenv secret a RUN step gets.
type Secret struct {
	ID       string   // BuildKit secret id, e.g. "_env"
	Target   string   // absolute path it is mounted at
	Required bool     // fail the step when the secret is not passed
	CacheKey CacheKey // key the step's cache by the secret's content
}

// Run is a RUN step found in a definition, as the policy sees it.
type Run struct {
	Source  *pb.SourceInfo // the Dockerfile the step comes from
	Line    int            // first line of the step's instruction in Source
	Command string         // the instruction as the frontend wrote it, e.g. "RUN make"
}

// Policy decides for one RUN step: the secret to wrap it with, or a reason to
// leave it as is. Its error aborts the pass and is returned unchanged.
type Policy func(Run) (secret Secret, skip string, err error)

// Step is one line of the pass's report.
type Step struct {
	Digest  digest.Digest `json:"digest"`           // the op's digest after the pass
	Line    int           `json:"line"`             // first Dockerfile line, 0 when unknown
	Name    string        `json:"name"`             // the step's progress name
	Wrapped bool          `json:"wrapped"`          // mounts the secret and runs the loader
	Reason  string        `json:"reason,omitempty"` // why the step was left as is
}

// Report lists the RUN steps of a definition in Def order.
type Report struct {
	Steps []Step
}

// Wrapped counts the wrapped steps.
func (r *Report) Wrapped() int {
	n := 0
	for _, s := range r.Steps {
		if s.Wrapped {
			n++
		}
	}
	return n
}

// Wrap returns a copy of def in which every RUN step the policy accepts mounts
// its secret and runs behind the loader. Ops that do not change keep their
// bytes; digests are recomputed bottom-up, and Metadata and Source.Locations
// follow the new digests. def itself is not modified.
func Wrap(def *pb.Definition, policy Policy) (*pb.Definition, *Report, error) {
	w := &wrapper{
		def:     def,
		policy:  policy,
		index:   make(map[digest.Digest]int, len(def.Def)),
		renamed: make(map[digest.Digest]digest.Digest, len(def.Def)),
		out:     make([][]byte, len(def.Def)),
		wrapped: map[digest.Digest]bool{},
		loaders: map[loaderKey][]string{},
		keyers:  map[Secret]*keyer{},
		addedMD: map[string]*pb.OpMetadata{},
		report:  &Report{},
	}
	digests := make([]digest.Digest, len(def.Def))
	for i, dt := range def.Def {
		digests[i] = Digest(dt)
		w.index[digests[i]] = i
	}
	for i, d := range digests {
		if _, err := w.visit(d, i); err != nil {
			return nil, nil, err
		}
	}
	return w.result(), w.report, nil
}

type wrapper struct {
	def     *pb.Definition
	policy  Policy
	index   map[digest.Digest]int           // old digest -> position in Def
	renamed map[digest.Digest]digest.Digest // old digest -> new digest, once visited
	out     [][]byte                        // new Def, same order
	wrapped map[digest.Digest]bool          // new digests of wrapped ops
	loaders map[loaderKey][]string          // loaderArgs, built once per secret and shell
	keyers  map[Secret]*keyer               // keyer steps, added once per secret
	added   [][]byte                        // ops added in front of Def (keyers)
	addedMD map[string]*pb.OpMetadata       // their metadata
	report  *Report
}

// visit rewrites the op at Def[i] after its inputs and returns its new digest.
// Def is normally in dependency order, but the convertllb subrequest hands
// ops over as a map, so inputs are visited first whatever the order.
func (w *wrapper) visit(old digest.Digest, i int) (digest.Digest, error) {
	if nd, ok := w.renamed[old]; ok {
		return nd, nil
	}
	dt := w.def.Def[i]
	var op pb.Op
	if err := op.Unmarshal(dt); err != nil {
		return "", errors.Wrapf(err, "failed to parse LLB op %s", old)
	}

	changed := false
	for _, in := range op.Inputs {
		j, ok := w.index[digest.Digest(in.Digest)]
		if !ok {
			continue // not in this definition; BuildKit reports it
		}
		nd, err := w.visit(digest.Digest(in.Digest), j)
		if err != nil {
			return "", err
		}
		if nd != digest.Digest(in.Digest) {
			in.Digest = string(nd)
			changed = true
		}
	}

	step, isRun, err := w.wrapRun(old, &op)
	if err != nil {
		return "", err
	}
	changed = changed || step.Wrapped

	nd := old
	if changed {
		if dt, err = op.Marshal(); err != nil {
			return "", errors.Wrapf(err, "failed to marshal LLB op %s", old)
		}
		nd = Digest(dt)
	}
	w.out[i] = dt
	w.renamed[old] = nd
	if isRun {
		step.Digest = nd
		w.report.Steps = append(w.report.Steps, step)
		if step.Wrapped {
			w.wrapped[nd] = true
		}
	}
	return nd, nil
}

// wrapRun wraps op in place when it is a RUN step the policy accepts.
func (w *wrapper) wrapRun(old digest.Digest, op *pb.Op) (Step, bool, error) {
	exec := op.GetExec()
	meta := w.def.Metadata[string(old)]
	if exec == nil || exec.Meta == nil || meta == nil || !strings.HasPrefix(meta.Description[keyCommand], "RUN ") {
		return Step{}, false, nil
	}
	src, line := w.location(old)
	if src == nil {
		return Step{}, false, nil // not a Dockerfile RUN: a frontend's own exec
	}
	step := Step{Line: line, Name: meta.Description[keyCustomName]}
	if step.Name == "" {
		step.Name = meta.Description[keyCommand]
	}

	if p := op.Platform; p != nil && p.OS != "" && p.OS != "linux" {
		step.Reason = "platform " + p.OS + " is not linux"
		return step, true, nil
	}
	secret, skip, err := w.policy(Run{Source: src, Line: line, Command: meta.Description[keyCommand]})
	if err != nil {
		return Step{}, false, err
	}
	if skip != "" {
		step.Reason = skip
		return step, true, nil
	}
	if reason := conflict(exec, secret); reason != "" {
		step.Reason = reason
		return step, true, nil
	}

	key := loaderKey{secret, loaderShell(exec.Meta.Args)}
	loader, ok := w.loaders[key]
	if !ok {
		loader = loaderArgs(key.secret, key.shell)
		w.loaders[key] = loader
	}
	exec.Meta.Args = append(slices.Clip(loader), exec.Meta.Args...)
	exec.Mounts = append(exec.Mounts, &pb.Mount{
		Input:     int64(pb.Empty),
		Output:    int64(pb.SkipOutput),
		Dest:      secret.Target,
		MountType: pb.MountType_SECRET,
		SecretOpt: &pb.SecretOpt{
			ID:       secret.ID,
			Mode:     SecretMode,
			Optional: true, // the loader reports a missing required secret itself
		},
	})
	if secret.CacheKey.Enabled() {
		k, err := w.keyer(secret)
		if err != nil {
			return Step{}, false, err
		}
		k.mount(op, secret)
	}
	step.Wrapped = true
	return step, true, nil
}

type loaderKey struct {
	secret Secret
	shell  string
}

// keyer returns the keyer step of secret, adding its ops to the definition
// the first time.
func (w *wrapper) keyer(secret Secret) (*keyer, error) {
	if k, ok := w.keyers[secret]; ok {
		return k, nil
	}
	k, err := newKeyer(secret)
	if err != nil {
		return nil, err
	}
	w.keyers[secret] = k
	for _, dt := range k.ops {
		if _, ok := w.index[Digest(dt)]; !ok { // a keyer fed back as input is there already
			w.added = append(w.added, dt)
		}
	}
	maps.Copy(w.addedMD, k.metadata)
	return k, nil
}

// conflict says why a step must stay as the user wrote it: it already uses
// the secret (the documented boilerplate, or a result of this pass fed back as
// an input), or something else is mounted where the secret would go.
func conflict(exec *pb.ExecOp, s Secret) string {
	for _, m := range exec.Mounts {
		if m.MountType == pb.MountType_SECRET && m.SecretOpt != nil && m.SecretOpt.ID == s.ID {
			return "mounts secret " + s.ID + " itself"
		}
		if m.Dest == s.Target || s.CacheKey.Enabled() && m.Dest == keyPath(s) {
			return "has a mount at " + m.Dest
		}
	}
	for _, e := range exec.Secretenv {
		if e.ID == s.ID {
			return "reads secret " + s.ID + " into $" + e.Name + " itself"
		}
	}
	return ""
}

// location returns the Dockerfile and first line an op was made from.
func (w *wrapper) location(old digest.Digest) (*pb.SourceInfo, int) {
	src := w.def.Source
	if src == nil {
		return nil, 0
	}
	locs := src.Locations[string(old)]
	if locs == nil || len(locs.Locations) == 0 {
		return nil, 0
	}
	loc := locs.Locations[0]
	if loc.SourceIndex < 0 || int(loc.SourceIndex) >= len(src.Infos) {
		return nil, 0
	}
	line := 0
	if len(loc.Ranges) > 0 && loc.Ranges[0].Start != nil {
		line = int(loc.Ranges[0].Start.Line)
	}
	return src.Infos[loc.SourceIndex], line
}

// result assembles the new definition: Def in the original order, Metadata
// and Source.Locations re-keyed to the new digests.
func (w *wrapper) result() *pb.Definition {
	// Added ops have no inputs in the definition: in front, Def stays in
	// dependency order.
	out := &pb.Definition{Def: append(w.added, w.out...)}
	if w.def.Metadata != nil || len(w.addedMD) > 0 {
		out.Metadata = make(map[string]*pb.OpMetadata, len(w.def.Metadata)+len(w.addedMD))
		maps.Copy(out.Metadata, w.addedMD)
		for old, md := range w.def.Metadata {
			nd := w.newKey(old)
			if w.wrapped[digest.Digest(nd)] {
				md = withSecretCap(md)
			}
			out.Metadata[nd] = md
		}
	}
	if src := w.def.Source; src != nil {
		out.Source = &pb.Source{Infos: src.Infos}
		if src.Locations != nil {
			out.Source.Locations = make(map[string]*pb.Locations, len(src.Locations))
			for old, l := range src.Locations {
				out.Source.Locations[w.newKey(old)] = l
			}
		}
	}
	return out
}

func (w *wrapper) newKey(old string) string {
	if nd, ok := w.renamed[digest.Digest(old)]; ok {
		return string(nd)
	}
	return old
}

// withSecretCap returns md requiring the secret mount cap as well. The copy
// is shallow (Description is shared, never written): a deep copy of every
// wrapped op's metadata was a sixth of the pass's time. A test checks that
// it keeps every field.
func withSecretCap(md *pb.OpMetadata) *pb.OpMetadata {
	caps := make(map[string]bool, len(md.Caps)+1)
	maps.Copy(caps, md.Caps)
	caps[string(pb.CapExecMountSecret)] = true
	return &pb.OpMetadata{
		IgnoreCache:    md.IgnoreCache,
		Description:    md.Description,
		ExportCache:    md.ExportCache,
		Caps:           caps,
		ProgressGroup:  md.ProgressGroup,
		LinuxResources: md.LinuxResources,
	}
}

// Digest is digest.FromBytes without go-digest's formatting allocations:
// the pass hashes every op, and they were a fifth of its time. Exported for
// the benchmark of the pass's floor, which must hash the same way.
func Digest(dt []byte) digest.Digest {
	sum := sha256.Sum256(dt)
	return digest.Digest("sha256:" + hex.EncodeToString(sum[:]))
}
