// Package llbtext renders an LLB definition as readable text for golden
// files: ops in Def order, numbered, inputs by number instead of digest, so
// that a diff shows what changed and not every digest after it.
package llbtext

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/moby/buildkit/solver/pb"
	digest "github.com/opencontainers/go-digest"
)

// Render returns def as text. An exec arg for which label returns true is
// shown as that label: the loader script, which a test pins on its own.
func Render(def *pb.Definition, label func(arg string) (string, bool)) (string, error) {
	num := map[string]int{}
	var b strings.Builder
	for i, dt := range def.Def {
		num[digest.FromBytes(dt).String()] = i
	}
	for i, dt := range def.Def {
		var op pb.Op
		if err := op.Unmarshal(dt); err != nil {
			return "", err
		}
		dgst := digest.FromBytes(dt).String()
		fmt.Fprintf(&b, "op %d:", i)
		var inputs []string
		for _, in := range op.Inputs {
			inputs = append(inputs, fmt.Sprintf("op %d.%d", num[in.Digest], in.Index))
		}
		if len(inputs) > 0 {
			fmt.Fprintf(&b, " inputs [%s]", strings.Join(inputs, ", "))
		}
		if p := op.Platform; p != nil {
			fmt.Fprintf(&b, " platform %s/%s", p.OS, p.Architecture)
		}
		b.WriteString("\n")
		renderOp(&b, &op, label)
		renderMeta(&b, def, dgst)
	}
	return b.String(), nil
}

func renderOp(b *strings.Builder, op *pb.Op, label func(string) (string, bool)) {
	switch o := op.Op.(type) {
	case *pb.Op_Source:
		fmt.Fprintf(b, "  source %s\n", o.Source.Identifier)
		for _, k := range slices.Sorted(maps.Keys(o.Source.Attrs)) {
			fmt.Fprintf(b, "    attr %s=%s\n", k, o.Source.Attrs[k])
		}
	case *pb.Op_Exec:
		e := o.Exec
		args := slices.Clone(e.Meta.Args)
		for i, a := range args {
			if l, ok := label(a); ok {
				args[i] = l
			}
		}
		fmt.Fprintf(b, "  exec %q\n", args)
		for _, env := range e.Meta.Env {
			fmt.Fprintf(b, "    env %s\n", env)
		}
		if e.Meta.User != "" {
			fmt.Fprintf(b, "    user %s\n", e.Meta.User)
		}
		fmt.Fprintf(b, "    cwd %s\n", e.Meta.Cwd)
		if e.Network != pb.NetMode_UNSET {
			fmt.Fprintf(b, "    network %s\n", e.Network)
		}
		for _, m := range e.Mounts {
			renderMount(b, m)
		}
		for _, s := range e.Secretenv {
			fmt.Fprintf(b, "    secretenv %s=%s optional=%t\n", s.Name, s.ID, s.Optional)
		}
	case *pb.Op_File:
		for _, a := range o.File.Actions {
			fmt.Fprintf(b, "  file input=%d secondary=%d output=%d %s\n", a.Input, a.SecondaryInput, a.Output, fileAction(a))
		}
	case *pb.Op_Merge:
		fmt.Fprintf(b, "  merge\n")
	case *pb.Op_Diff:
		fmt.Fprintf(b, "  diff\n")
	case *pb.Op_Build:
		fmt.Fprintf(b, "  build\n")
	case nil:
		fmt.Fprintf(b, "  terminal\n")
	}
}

func renderMount(b *strings.Builder, m *pb.Mount) {
	fmt.Fprintf(b, "    mount %s %s input=%d output=%d", m.Dest, m.MountType, m.Input, m.Output)
	if m.Readonly {
		b.WriteString(" readonly")
	}
	if m.Selector != "" {
		fmt.Fprintf(b, " selector=%s", m.Selector)
	}
	if s := m.SecretOpt; s != nil {
		fmt.Fprintf(b, " secret id=%s uid=%d gid=%d mode=%#o optional=%t", s.ID, s.Uid, s.Gid, s.Mode, s.Optional)
	}
	if c := m.CacheOpt; c != nil {
		fmt.Fprintf(b, " cache id=%s sharing=%s", c.ID, c.Sharing)
	}
	b.WriteString("\n")
}

func fileAction(a *pb.FileAction) string {
	switch x := a.Action.(type) {
	case *pb.FileAction_Copy:
		return fmt.Sprintf("copy %s -> %s", x.Copy.Src, x.Copy.Dest)
	case *pb.FileAction_Mkdir:
		return fmt.Sprintf("mkdir %s", x.Mkdir.Path)
	case *pb.FileAction_Mkfile:
		return fmt.Sprintf("mkfile %s", x.Mkfile.Path)
	case *pb.FileAction_Rm:
		return fmt.Sprintf("rm %s", x.Rm.Path)
	case *pb.FileAction_Symlink:
		return fmt.Sprintf("symlink %s -> %s", x.Symlink.Oldpath, x.Symlink.Newpath)
	}
	return "?"
}

func renderMeta(b *strings.Builder, def *pb.Definition, dgst string) {
	if md := def.Metadata[dgst]; md != nil {
		for _, k := range slices.Sorted(maps.Keys(md.Description)) {
			fmt.Fprintf(b, "  description %s=%s\n", k, md.Description[k])
		}
		if md.ExportCache != nil {
			fmt.Fprintf(b, "  export cache %t\n", md.ExportCache.Value)
		}
		if len(md.Caps) > 0 {
			fmt.Fprintf(b, "  caps %s\n", strings.Join(slices.Sorted(maps.Keys(md.Caps)), " "))
		}
	}
	if def.Source != nil {
		if locs := def.Source.Locations[dgst]; locs != nil {
			for _, l := range locs.Locations {
				for _, r := range l.Ranges {
					fmt.Fprintf(b, "  location %s:%d-%d\n", def.Source.Infos[l.SourceIndex].Filename, r.Start.Line, r.End.Line)
				}
			}
		}
	}
}
