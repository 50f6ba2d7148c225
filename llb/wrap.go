// Package llb is the pass at the heart of dockerfile-dotenv: it takes an LLB
// definition made by the Dockerfile frontend and wraps every RUN step with a
// mount of the dotenv secret and a loader that reads it.
//
// The pass is pure: the same definition and policy give the same bytes. It is
// idempotent (a step that already runs a loader is left as is) and safe for
// concurrent use.
package llb

import (
	"crypto/sha256"
	"encoding/hex"
	"maps"
	"slices"
	"strconv"
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

// Secret is the dotenv secret a RUN step gets, and how it is loaded.
type Secret struct {
	ID       string   // BuildKit secret id, e.g. "_env"
	Target   string   // absolute path it is mounted at
	Required bool     // fail the step when the secret is not passed
	Mask     bool     // loader v2 masks the secret's values in the step's output
	Loader   Loader   // the loader that reads it in the step
	CacheKey CacheKey // key the step's cache by the secret's content
}

// Location is one place in a Dockerfile that a step comes from.
type Location struct {
	Source *pb.SourceInfo // the Dockerfile
	Line   int            // first line of the instruction, 0 when unknown
}

// Run is a RUN step found in a definition, as the policy sees it.
type Run struct {
	// Locations lists every instruction the step was made from: BuildKit
	// merges identical steps, so one op can stand for RUNs of several stages.
	Locations []Location
	Command   string       // the instruction as written, e.g. "RUN make"
	Platform  *pb.Platform // the platform the step runs on
}

// Decision is the policy's answer for one RUN step.
type Decision struct {
	// Secret wraps the step when set. A step that mounts the secret itself
	// only gets the cache key mount, when Secret.CacheKey is enabled.
	Secret *Secret
	Reason string // why the step is left as is, when Secret is nil
	// Err, with Secret, is why the step cannot get Secret after all (no
	// loader for its platform, say). It fails the pass unless the step is
	// left as is anyway, for a mount of its own where the pass's would go.
	Err error
}

// Policy decides for one RUN step. Its error aborts the pass and is returned
// unchanged.
type Policy func(Run) (Decision, error)

// Step is one line of the pass's report.
type Step struct {
	Digest  digest.Digest `json:"digest"`           // the op's digest after the pass
	Line    int           `json:"line"`             // first Dockerfile line, 0 when unknown
	Lines   []int         `json:"lines,omitempty"`  // the first line of every RUN BuildKit merged into the step
	Name    string        `json:"name"`             // the step's progress name
	Wrapped bool          `json:"wrapped"`          // mounts the secret and runs the loader
	Keyed   bool          `json:"keyed,omitempty"`  // mounts the secret's cache key
	Reason  string        `json:"reason,omitempty"` // why the step was left as is
	// Args is the step's argv as BuildKit runs it, and UserArgs the argv the
	// user's instruction gave, when the pass changed it: errors name the
	// latter.
	Args     []string `json:"args,omitempty"`
	UserArgs []string `json:"userArgs,omitempty"`

	// Locations are the Dockerfile instructions the step stands for.
	Locations []Location `json:"-"`
	// Secret is the secret the policy gave the step, nil when the policy
	// left it as is (set when a mount of the step kept it as is).
	Secret *Secret `json:"-"`
	// Conflict: the step is left as is because one of its mounts is where
	// the pass's would go (not because it reads the secret itself).
	Conflict bool `json:"-"`
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
		caps:    map[digest.Digest][]string{},
		added:   map[digest.Digest]bool{},
		keyers:  map[Secret]*keyer{},
		images:  map[string]string{},
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
	caps    map[digest.Digest][]string      // caps the pass adds to a changed op, by new digest
	front   [][]byte                        // ops added in front of Def (loader images, keyers)
	added   map[digest.Digest]bool          // their digests
	keyers  map[Secret]*keyer               // keyer steps, made once per secret
	images  map[string]string               // loader image source ops by image and platform
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

	step, caps, isRun, err := w.wrapRun(old, &op)
	if err != nil {
		return "", err
	}
	changed = changed || len(caps) > 0

	nd := old
	if changed {
		if dt, err = op.Marshal(); err != nil {
			return "", errors.Wrapf(err, "failed to marshal LLB op %s", old)
		}
		nd = Digest(dt)
	}
	w.out[i] = dt
	w.renamed[old] = nd
	if len(caps) > 0 {
		w.caps[nd] = caps
	}
	if isRun {
		step.Digest = nd
		w.report.Steps = append(w.report.Steps, step)
	}
	return nd, nil
}

// wrapRun wraps op in place when it is a RUN step the policy accepts, and
// returns the caps its new mounts need.
func (w *wrapper) wrapRun(old digest.Digest, op *pb.Op) (Step, []string, bool, error) {
	exec := op.GetExec()
	meta := w.def.Metadata[string(old)]
	if exec == nil || exec.Meta == nil || meta == nil || !isRunCommand(meta.Description[keyCommand]) {
		return Step{}, nil, false, nil
	}
	locs := w.locations(old)
	if len(locs) == 0 {
		return Step{}, nil, false, nil // not a Dockerfile RUN: a frontend's own exec
	}
	step := Step{Line: locs[0].Line, Name: meta.Description[keyCustomName], Locations: locs}
	for _, l := range locs {
		step.Lines = append(step.Lines, l.Line)
	}
	if step.Name == "" {
		step.Name = meta.Description[keyCommand]
	}

	if p := op.Platform; p != nil && p.OS != "" && p.OS != "linux" {
		step.Reason = "platform " + p.OS + " is not linux"
		return step, nil, true, nil
	}
	if v := loaderIn(exec.Meta.Args); v != 0 {
		step.Reason = "runs loader v" + strconv.Itoa(v) + " already"
		return step, nil, true, nil
	}
	d, err := w.policy(Run{Locations: locs, Command: meta.Description[keyCommand], Platform: op.Platform})
	if err != nil {
		return Step{}, nil, false, err
	}
	if d.Secret == nil {
		step.Reason = d.Reason
		return step, nil, true, nil
	}
	secret := *d.Secret
	step.Secret = &secret
	if reason, own := conflict(exec, secret); reason != "" {
		step.Reason, step.Conflict = reason, !own
		if !own || !secret.CacheKey.Enabled() || hasMountAt(exec, keyPath(secret)) {
			return step, nil, true, nil
		}
		if d.Err != nil {
			return Step{}, nil, false, d.Err
		}
		// It reads the secret itself: key it all the same, so that builds
		// with different secrets never share it.
		caps, err := w.addKey(op, secret)
		if err != nil {
			return Step{}, nil, false, err
		}
		step.Keyed = true
		return step, caps, true, nil
	}

	if d.Err != nil {
		return Step{}, nil, false, d.Err
	}
	userArgs := exec.Meta.Args
	caps, err := w.addLoader(op, secret)
	if err != nil {
		return Step{}, nil, false, err
	}
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
	caps = append(caps, string(pb.CapExecMountSecret))
	if secret.CacheKey.Enabled() {
		keyCaps, err := w.addKey(op, secret)
		if err != nil {
			return Step{}, nil, false, err
		}
		caps = append(caps, keyCaps...)
		step.Keyed = true
	}
	step.Wrapped = true
	step.Args, step.UserArgs = exec.Meta.Args, userArgs
	return step, caps, true, nil
}

func hasMountAt(exec *pb.ExecOp, dest string) bool {
	return slices.ContainsFunc(exec.Mounts, func(m *pb.Mount) bool { return m.Dest == dest })
}

// isRunCommand tells whether a command description is a RUN instruction:
// instructions are case-insensitive and may be followed by any blank.
func isRunCommand(cmd string) bool {
	word, _, _ := strings.Cut(strings.TrimLeft(cmd, " \t"), " ")
	word, _, _ = strings.Cut(word, "\t")
	return strings.EqualFold(word, "RUN")
}

// addOps adds ops in front of the definition, once each, with their
// metadata. An op that is in the definition already (a result of this pass
// fed back as an input) is not added again.
func (w *wrapper) addOps(ops [][]byte, md map[string]*pb.OpMetadata) {
	for _, dt := range ops {
		d := Digest(dt)
		if _, ok := w.index[d]; ok || w.added[d] {
			continue
		}
		w.added[d] = true
		w.front = append(w.front, dt)
		if m, ok := md[string(d)]; ok {
			w.addedMD[string(d)] = m
		}
	}
}

// locations returns the Dockerfile locations of an op, in the order the
// source map lists them.
func (w *wrapper) locations(old digest.Digest) []Location {
	src := w.def.Source
	if src == nil {
		return nil
	}
	locs := src.Locations[string(old)]
	if locs == nil {
		return nil
	}
	var out []Location
	for _, loc := range locs.Locations {
		if loc.SourceIndex < 0 || int(loc.SourceIndex) >= len(src.Infos) {
			continue
		}
		line := 0
		if len(loc.Ranges) > 0 && loc.Ranges[0].Start != nil {
			line = int(loc.Ranges[0].Start.Line)
		}
		out = append(out, Location{Source: src.Infos[loc.SourceIndex], Line: line})
	}
	return out
}

// result assembles the new definition: Def in the original order, Metadata
// and Source.Locations re-keyed to the new digests.
func (w *wrapper) result() *pb.Definition {
	// Added ops have no inputs in the definition: in front, Def stays in
	// dependency order.
	out := &pb.Definition{Def: append(w.front, w.out...)}
	if w.def.Metadata != nil || len(w.addedMD) > 0 {
		out.Metadata = make(map[string]*pb.OpMetadata, len(w.def.Metadata)+len(w.addedMD))
		maps.Copy(out.Metadata, w.addedMD)
		for old, md := range w.def.Metadata {
			nd := w.newKey(old)
			if caps := w.caps[digest.Digest(nd)]; len(caps) > 0 {
				md = withCaps(md, caps)
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

// withCaps returns md requiring caps as well. The copy is shallow
// (Description is shared, never written): a deep copy of every wrapped op's
// metadata was a sixth of the pass's time. A test checks that it keeps every
// field.
func withCaps(md *pb.OpMetadata, add []string) *pb.OpMetadata {
	caps := make(map[string]bool, len(md.Caps)+len(add))
	maps.Copy(caps, md.Caps)
	for _, c := range add {
		caps[c] = true
	}
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
// the pass hashes every op, and they were a fifth of its time.
func Digest(dt []byte) digest.Digest {
	sum := sha256.Sum256(dt)
	return digest.Digest("sha256:" + hex.EncodeToString(sum[:]))
}
