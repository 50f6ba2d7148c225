package frontend

import (
	"github.com/dockerfile-dotenv/dockerfile-dotenv/llb"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/buildkit/solver/errdefs"
	"github.com/moby/buildkit/solver/pb"
	"github.com/moby/buildkit/util/grpcerrors"
	"github.com/pkg/errors"
)

// cleanError rewrites the message of a failed solve so that a failing RUN
// reads `process "/bin/sh -c make" did not complete successfully`, as with
// upstream, not with the loader in front. The typed details BuildKit attached
// (the Dockerfile location, the exit code, the failed op for debugging) are
// carried over: they are rebuilt on the new message the way
// grpcerrors.FromGRPC builds them on a received one.
func cleanError(err error) error {
	msg := err.Error()
	clean := llb.StripLoader(msg)
	if clean == msg {
		return err
	}
	var details []grpcerrors.TypedErrorProto
	for e := err; e != nil; e = errors.Unwrap(e) {
		if te, ok := e.(grpcerrors.TypedError); ok { //nolint:errorlint // walking the chain by hand, as grpcerrors does
			details = append(details, te.ToProto())
		}
	}
	// ToGRPC lists details outermost first and FromGRPC wraps them in that
	// order, so the innermost is wrapped first.
	out := grpcerrors.WrapCode(errors.New(clean), grpcerrors.Code(err))
	for _, d := range details {
		out = d.WrapError(out)
	}
	return out
}

// withSource turns an error located in a Dockerfile (parser.LocationError)
// into one that clients print with the Dockerfile excerpt, as upstream does.
func withSource(err error, src *pb.SourceInfo) error {
	var el *parser.LocationError
	if err == nil || !errors.As(err, &el) {
		return err
	}
	for _, ranges := range el.Locations {
		s := &errdefs.Source{Info: src}
		for _, r := range ranges {
			s.Ranges = append(s.Ranges, &pb.Range{
				Start: &pb.Position{Line: int32(r.Start.Line), Character: int32(r.Start.Character)},
				End:   &pb.Position{Line: int32(r.End.Line), Character: int32(r.End.Character)},
			})
		}
		err = errdefs.WithSource(err, s)
	}
	return err
}
