package main

import (
	"fmt"
	"io"

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

// printVersion writes what --version shows: the version, the commit, the
// BuildKit version the frontend is built from (its upstream builder) and the
// loader version its wrapped RUNs use (part of their cache key).
func printVersion(w io.Writer, name string) {
	revision := Revision
	if revision == "" {
		revision = "unknown"
	}
	fmt.Fprintf(w, "%s %s\ncommit: %s\nbuildkit: %s\nloader: v%d\n",
		name, Version, revision, buildkitVersion, llb.LoaderVersion)
}

// buildkitVersion is the version of the BuildKit module go.mod requires
// (TestVersion checks it). Not read from the build information: that reader
// (runtime/debug) adds 12 KB to the image.
const buildkitVersion = "v0.34.2"
