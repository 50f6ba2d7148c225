package frontend

import (
	"bytes"
	"context"
	"slices"

	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/buildkit/frontend/gateway/client"
	"github.com/moby/buildkit/frontend/subrequests/outline"
	"github.com/moby/buildkit/solver/pb"
)

// addSecrets adds to the `--call outline` answer the secret that the
// setting gives the target's RUNs, when it wraps some, where upstream lists
// the secrets the Dockerfile mounts itself: one entry per id, located at
// the first RUN that gets it, required when the setting or a mount says so.
func (b *build) addSecrets(ctx context.Context, res *client.Result) error {
	var o outline.Outline
	if err := decodeResult(res, "outline", &o); err != nil {
		return err
	}
	src, err := b.source(ctx)
	if err != nil {
		return err
	}
	report, err := b.convert(ctx)
	if err != nil {
		return err
	}
	type first struct {
		line     int
		required bool
	}
	secrets := map[string]first{}
	for _, s := range report.Steps {
		for _, loc := range s.Locations {
			if !s.Wrapped || !bytes.Equal(loc.Source.Data, src.Data) {
				continue
			}
			if f, ok := secrets[s.Secret.ID]; !ok || loc.Line < f.line {
				secrets[s.Secret.ID] = first{line: loc.Line, required: s.Secret.Required}
			}
		}
	}
	if len(secrets) == 0 {
		return nil
	}
	ast, err := parser.Parse(bytes.NewReader(src.Data))
	if err != nil {
		return err
	}
	for id, f := range secrets {
		if i := slices.IndexFunc(o.Secrets, func(s outline.Secret) bool { return s.Name == id }); i >= 0 {
			o.Secrets[i].Required = o.Secrets[i].Required || f.required
			continue
		}
		o.Secrets = append(o.Secrets, outline.Secret{Name: id, Required: f.required, Location: instructionAt(ast.AST, f.line)})
	}
	slices.SortStableFunc(o.Secrets, func(a, b outline.Secret) int { return lineOf(a.Location) - lineOf(b.Location) })
	out, err := o.ToResult()
	if err != nil {
		return err
	}
	replaceResult(res, out)
	return nil
}

// instructionAt returns the location of the instruction starting at line,
// as upstream's outline gives a RUN's.
func instructionAt(ast *parser.Node, line int) *pb.Location {
	loc := &pb.Location{}
	for _, n := range ast.Children {
		if n.StartLine != line {
			continue
		}
		for _, r := range n.Location() {
			loc.Ranges = append(loc.Ranges, &pb.Range{
				Start: &pb.Position{Line: int32(r.Start.Line), Character: int32(r.Start.Character)},
				End:   &pb.Position{Line: int32(r.End.Line), Character: int32(r.End.Character)},
			})
		}
	}
	return loc
}

// lineOf is the first line of a location in the outline's only source.
func lineOf(l *pb.Location) int {
	if l == nil || len(l.Ranges) == 0 {
		return 0
	}
	return int(l.Ranges[0].Start.Line)
}
