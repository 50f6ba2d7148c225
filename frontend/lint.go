package frontend

import (
	"bytes"
	"context"
	"strings"

	"github.com/dockerfile-dotenv/dockerfile-dotenv/llb"
	"github.com/dockerfile-dotenv/dockerfile-dotenv/plan"
	"github.com/moby/buildkit/frontend/dockerfile/linter"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/buildkit/frontend/gateway/client"
	"github.com/moby/buildkit/frontend/subrequests/lint"
	"github.com/moby/buildkit/solver/errdefs"
	"github.com/moby/buildkit/solver/pb"
	"github.com/pkg/errors"
)

// Our checks (plan/rules.go) go through upstream's linter, configured as
// upstream's builder configures its own, so that `# check=skip=…`,
// `# check=error=true` and BUILDKIT_DOCKERFILE_CHECK apply to them alike:
// during a build they are warnings on the Dockerfile's load step, as
// upstream's; in `--call check` they join upstream's results.

// lintViolation starts the error of upstream's linter under error=true.
const lintViolation = "lint violation found for rules: "

// newLinter returns a linter for the Dockerfile being built, reporting
// through warn.
func (b *build) newLinter(dockerfile []byte, warn linter.LintWarnFunc) (*linter.Linter, error) {
	var cfg linter.Config
	if b.bc.LinterConfig != nil {
		cfg = *b.bc.LinterConfig // BUILDKIT_DOCKERFILE_CHECK
	} else {
		opts, _, _, _ := parser.ParseDirective("check", dockerfile)
		c, err := linter.ParseLintOptions(opts)
		if err != nil {
			return nil, errors.Wrap(err, "failed to parse check options")
		}
		cfg = *c
	}
	cfg.Warn = warn
	return linter.New(&cfg), nil
}

// checkBuild reports our checks during a build, from the report of the
// first definition with RUNs of the Dockerfile being built (upstream warns
// for the first platform only too). Under error=true its error fails the
// build before that definition is solved.
func (b *build) checkBuild(ctx context.Context, report *llb.Report) error {
	if len(report.Steps) == 0 {
		return nil
	}
	src, err := b.source(ctx)
	if err != nil {
		return err
	}
	if !runsOf(report, src.Data) {
		return nil
	}
	b.checkOnce.Do(func() {
		p, err := plan.New(src.Data, b.buildArg)
		if err != nil {
			return // the pass failed with it already
		}
		l, err := b.newLinter(src.Data, func(rule, description, url, msg string, location []parser.Range) {
			line := 0
			if len(location) > 0 {
				line = location[0].Start.Line
			}
			src.Warn(ctx, linter.LintFormatShort(rule, msg, line), warnOpts(location, description, url))
		})
		if err != nil {
			b.checkErr = err
			return
		}
		p.Lint(src.Data, plan.Built{Steps: report.Steps, Target: b.bc.Target}, l)
		b.checkErr = l.Error()
	})
	return b.checkErr
}

// runsOf tells whether a report has RUNs of dockerfile.
func runsOf(report *llb.Report, dockerfile []byte) bool {
	for _, s := range report.Steps {
		for _, loc := range s.Locations {
			if bytes.Equal(loc.Source.Data, dockerfile) {
				return true
			}
		}
	}
	return false
}

// warnOpts is upstream's builder's: the rule's description as the detail.
func warnOpts(r []parser.Range, description, url string) client.WarnOpts {
	opts := client.WarnOpts{Level: 1, Detail: [][]byte{[]byte(description)}, URL: url}
	if r == nil {
		return opts
	}
	opts.Range = []*pb.Range{}
	for _, r := range r {
		opts.Range = append(opts.Range, &pb.Range{
			Start: &pb.Position{Line: int32(r.Start.Line), Character: int32(r.Start.Character)},
			End:   &pb.Position{Line: int32(r.End.Line), Character: int32(r.End.Character)},
		})
	}
	return opts
}

// addChecks adds our checks to the answer of `--call check`: a Dockerfile
// whose setting the build rejects does not pass for one without warnings,
// and error=true counts our rules too.
func (b *build) addChecks(ctx context.Context, res *client.Result) error {
	var results lint.LintResults
	if err := decodeResult(res, "lint", &results); err != nil {
		return err
	}
	src, err := b.source(ctx)
	if err != nil {
		return err
	}
	index := results.AddSource(src.SourceMap)
	l, err := b.newLinter(src.Data, func(rule, description, url, msg string, location []parser.Range) {
		results.AddWarning(rule, description, url, msg, index, location)
		if len(location) == 0 {
			// Printed without an excerpt: lint requires a location.
			results.Warnings[len(results.Warnings)-1].Location.SourceIndex = -1
		}
	})
	if err != nil {
		return err
	}
	if results.Error == nil || strings.HasPrefix(results.Error.Message, lintViolation) {
		if err := b.lint(ctx, src.Data, l); err != nil && results.Error == nil {
			results.Error = &lint.BuildError{Message: err.Error()}
		}
	}
	if err := l.Error(); err != nil {
		if results.Error == nil {
			results.Error = &lint.BuildError{Message: err.Error()}
		} else {
			results.Error.Message += ", " + strings.TrimPrefix(err.Error(), lintViolation)
		}
	}
	out, err := results.ToResult(nil)
	if err != nil {
		return err
	}
	replaceResult(res, out)
	return nil
}

// lint checks the Dockerfile being built for `--call check`: all stages
// without a target, as upstream's check. A setting the build rejects is
// reported under its rule, with the build's message and lines; another
// error of the build is returned.
func (b *build) lint(ctx context.Context, dockerfile []byte, l *linter.Linter) error {
	p, err := plan.New(dockerfile, b.buildArg)
	if err == nil {
		var report *llb.Report
		if report, err = b.convert(ctx); err == nil {
			p.Lint(dockerfile, plan.Built{Steps: report.Steps, Target: b.bc.Target, All: b.bc.Target == ""}, l)
			return nil
		}
	}
	rule := plan.RuleOf(err)
	if rule == nil {
		return err
	}
	l.Run(rule, errorRanges(err, dockerfile), err.Error())
	return nil
}

// errorRanges returns the lines of dockerfile an error points at.
func errorRanges(err error, dockerfile []byte) []parser.Range {
	var ranges []parser.Range
	var el *parser.LocationError
	if errors.As(err, &el) {
		for _, r := range el.Locations {
			ranges = append(ranges, r...)
		}
		return ranges
	}
	for _, s := range errdefs.Sources(err) {
		if !bytes.Equal(s.Info.Data, dockerfile) {
			continue
		}
		for _, r := range s.Ranges {
			ranges = append(ranges, parser.Range{
				Start: parser.Position{Line: int(r.Start.Line), Character: int(r.Start.Character)},
				End:   parser.Position{Line: int(r.End.Line), Character: int(r.End.Character)},
			})
		}
	}
	return ranges
}
