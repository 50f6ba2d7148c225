// Command dockerfile-dotenv is the frontend image's entrypoint: BuildKit runs
// it as a gateway frontend when a Dockerfile starts with
// `# syntax=<registry>/dockerfile-dotenv:1`.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/dockerfile-dotenv/dockerfile-dotenv/cachekey"
	"github.com/dockerfile-dotenv/dockerfile-dotenv/frontend"
	"github.com/moby/buildkit/frontend/gateway/grpcclient"
	"github.com/moby/buildkit/util/appcontext"
	"github.com/moby/buildkit/util/bklog"
	_ "github.com/moby/buildkit/util/grpcutil/encoding/proto"
	"github.com/moby/buildkit/util/stack"
)

func init() {
	stack.SetVersionInfo(Version, Revision)
}

func main() {
	var version bool
	flag.BoolVar(&version, "version", false, "show version")
	flag.Parse()

	if version {
		printVersion(os.Stdout, "dockerfile-dotenv")
		os.Exit(0)
	}
	// The cache=secret step of a build runs this binary from the frontend
	// image to key wrapped RUNs by the secret (see package cachekey).
	if flag.Arg(0) == cachekey.Command {
		if err := cachekey.Run(flag.Args()[1:]); err != nil {
			fmt.Fprintln(os.Stderr, "dockerfile-dotenv:", err)
			os.Exit(1)
		}
		return
	}

	if err := grpcclient.RunFromEnvironment(appcontext.Context(), frontend.Build); err != nil {
		bklog.L.Errorf("fatal error: %+v", err)
		panic(err)
	}
}
