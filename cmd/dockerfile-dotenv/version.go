package main

import (
	"fmt"
	"io"
	"runtime/debug"

	"github.com/dockerfile-dotenv/dockerfile-dotenv/llb"
)

var (
	// Package is filled at linking time.
	Package = "github.com/dockerfile-dotenv/dockerfile-dotenv/cmd/dockerfile-dotenv"

	// Version holds the complete version number. Filled in at linking time.
	Version = "0.0.0+unknown"

	// Revision is the VCS revision the binary was built from, filled in at
	// linking time.
	Revision = ""
)

const buildkitModule = "github.com/moby/buildkit"

// printVersion writes what --version shows: the version, the commit, the
// BuildKit version the frontend is built from (its upstream builder) and the
// loader version its wrapped RUNs use (part of their cache key).
func printVersion(w io.Writer, name string) {
	revision := Revision
	if revision == "" {
		revision = "unknown"
	}
	fmt.Fprintf(w, "%s %s\ncommit: %s\nbuildkit: %s\nloader: v%d\n",
		name, Version, revision, buildkitVersion(), llb.LoaderVersion)
}

// buildkitVersion is the version of the BuildKit module linked in, from the
// binary's build information.
func buildkitVersion() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	for _, m := range bi.Deps {
		if m.Path != buildkitModule {
			continue
		}
		if m.Replace != nil {
			return m.Replace.Version + " (" + m.Replace.Path + ")"
		}
		return m.Version
	}
	return "unknown"
}
