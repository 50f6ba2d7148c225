package frontend

import (
	"bytes"
	"encoding/json"

	"github.com/dockerfile-dotenv/dockerfile-dotenv/plan"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/buildkit/frontend/gateway/client"
	"github.com/moby/buildkit/frontend/subrequests/lint"
	"github.com/moby/buildkit/solver/pb"
	"github.com/pkg/errors"
)

// ruleInvalidSetting is the lint rule of a `# dotenv=` directive or
// BUILDKIT_DOTENV that a build would reject.
const ruleInvalidSetting = "DotenvInvalidSetting"

// addLintWarnings adds to the `--call check` answer what a build would
// reject in the dotenv setting, so that the check does not say "no warnings
// found" for a Dockerfile that cannot build.
func addLintWarnings(res *client.Result, dockerfile []byte, buildArg string) error {
	_, perr := plan.New(dockerfile, buildArg)
	if perr == nil {
		return nil
	}
	dt, ok := res.Metadata[resultJSON]
	if !ok {
		return errors.Errorf("lint result has no %s", resultJSON)
	}
	var results lint.LintResults
	if err := json.Unmarshal(dt, &results); err != nil {
		return errors.Wrap(err, "failed to parse the lint result")
	}
	src := -1
	for i, s := range results.Sources {
		if bytes.Equal(s.Data, dockerfile) {
			src = i
		}
	}
	var ranges []parser.Range
	var el *parser.LocationError
	if errors.As(perr, &el) && src >= 0 {
		for _, r := range el.Locations {
			ranges = append(ranges, r...)
		}
	} else {
		src = -1
	}
	results.AddWarning(ruleInvalidSetting, "A dotenv setting the build would reject", "", perr.Error(), src, ranges)
	if src < 0 {
		// Printed without an excerpt: lint requires a location.
		results.Warnings[len(results.Warnings)-1].Location = &pb.Location{SourceIndex: -1}
	}
	out, err := results.ToResult(nil)
	if err != nil {
		return err
	}
	for k, v := range out.Metadata {
		res.AddMeta(k, v)
	}
	return nil
}
