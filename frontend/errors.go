package frontend

import (
	"strconv"
	"strings"

	"github.com/dockerfile-dotenv/dockerfile-dotenv/llb"
	gwpb "github.com/moby/buildkit/frontend/gateway/pb"
	"github.com/moby/buildkit/util/grpcerrors"
	"github.com/pkg/errors"
)

// cleanError rewrites the message of a failed solve so that a failing RUN
// reads `process "/bin/sh -c make" did not complete successfully`, as with
// upstream, not with the loader in front: the pass recorded the argv of
// each step it wrapped. When loader v2 itself failed, the message says so.
// The typed details BuildKit attached (the Dockerfile location, the exit
// code, the failed op for debugging) are carried over: they are rebuilt on
// the new message the way grpcerrors.FromGRPC builds them on a received one.
func (r *Rewriter) cleanError(err error) error {
	msg := err.Error()
	clean := msg
	r.mu.Lock()
	for args, step := range r.wrapped {
		// `process %q did not complete successfully` since BuildKit 0.9,
		// `executor failed running [%s]` in 0.8 (Docker Engine 20.10).
		switch quoted := strconv.Quote(args); {
		case strings.Contains(clean, quoted):
			clean = strings.ReplaceAll(clean, quoted, strconv.Quote(step.user))
		case strings.Contains(clean, args):
			clean = strings.ReplaceAll(clean, args, step.user)
		default:
			continue
		}
		var exit *gwpb.ExitError
		if step.secret != "" && errors.As(err, &exit) && exit.ExitCode == llb.ExitLoadFailed {
			clean += ": " + loaderFailed(step.secret)
		}
	}
	r.mu.Unlock()
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

// loaderFailed explains exit code 125 of a step wrapped with loader v2. The
// code is the loader's when it cannot load the secret; a command may exit
// with it too, so the message says what the code means, not that it happened.
func loaderFailed(id string) string {
	return "exit code " + strconv.Itoa(llb.ExitLoadFailed) + " is dockerfile-dotenv's loader failing to load secret " + id +
		" (the step's log names the dotenv line and what is wrong there; values are not shown)"
}
