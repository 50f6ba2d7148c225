package frontend

import (
	"encoding/json"
	"slices"

	bkllb "github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/frontend/subrequests/convertllb"
	"github.com/moby/buildkit/solver/pb"
	digest "github.com/opencontainers/go-digest"
	"github.com/pkg/errors"
	"google.golang.org/protobuf/encoding/protojson"
)

// parseConvertLLB turns the convertllb answer back into a definition. The
// answer keys ops by digest in a map; Def gets them in digest order (the pass
// does not depend on Def order).
func parseConvertLLB(dt []byte) (*pb.Definition, error) {
	var in struct {
		Def      map[digest.Digest]json.RawMessage  `json:"def"`
		Metadata map[digest.Digest]bkllb.OpMetadata `json:"metadata"`
		Source   json.RawMessage                    `json:"source"`
	}
	if err := json.Unmarshal(dt, &in); err != nil {
		return nil, errors.Wrap(err, "failed to parse convertllb result")
	}
	def := &pb.Definition{Metadata: make(map[string]*pb.OpMetadata, len(in.Metadata))}
	keys := make([]digest.Digest, 0, len(in.Def))
	for k := range in.Def {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		var op pb.Op
		if err := protojson.Unmarshal(in.Def[k], &op); err != nil {
			return nil, errors.Wrapf(err, "failed to parse op %s of convertllb result", k)
		}
		b, err := op.Marshal()
		if err != nil {
			return nil, errors.Wrapf(err, "failed to marshal op %s of convertllb result", k)
		}
		if digest.FromBytes(b) != k {
			return nil, errors.Errorf("op %s of convertllb result does not marshal back to its digest", k)
		}
		def.Def = append(def.Def, b)
	}
	for k, md := range in.Metadata {
		def.Metadata[string(k)] = md.ToPB()
	}
	if len(in.Source) > 0 && string(in.Source) != "null" {
		def.Source = &pb.Source{}
		if err := protojson.Unmarshal(in.Source, def.Source); err != nil {
			return nil, errors.Wrap(err, "failed to parse source of convertllb result")
		}
	}
	return def, nil
}

// formatConvertLLB writes a definition the way upstream's convertllb does.
func formatConvertLLB(def *pb.Definition) ([]byte, error) {
	res := &convertllb.Result{
		Def:      make(map[digest.Digest]*pb.Op, len(def.Def)),
		Metadata: make(map[digest.Digest]bkllb.OpMetadata, len(def.Metadata)),
		Source:   def.Source,
	}
	for _, dt := range def.Def {
		var op pb.Op
		if err := op.Unmarshal(dt); err != nil {
			return nil, errors.Wrap(err, "failed to parse wrapped op")
		}
		res.Def[digest.FromBytes(dt)] = &op
	}
	for k, md := range def.Metadata {
		res.Metadata[digest.Digest(k)] = bkllb.NewOpMetadata(md)
	}
	out, err := res.ToResult()
	if err != nil {
		return nil, err
	}
	return out.Metadata[resultJSON], nil
}
