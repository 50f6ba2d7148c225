package plan

import (
	"bytes"
	"path"
	"slices"
	"strings"

	"github.com/dockerfile-dotenv/dockerfile-dotenv/llb"
	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/linter"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/buildkit/solver/pb"
)

// Built is a build of a Dockerfile, as the checks see it.
type Built struct {
	// Steps are the RUN steps of the build's definition, as the pass
	// reported them: which RUNs the build runs, and what it did with them.
	Steps []llb.Step
	// Target is the stage built, "" for the default.
	Target string
	// All counts every stage as built, as a check without a target does.
	All bool
}

// Lint reports through l what the dotenv setting of dockerfile, p, gets
// wrong in build b: the rules of rules.go but DotenvInvalidSetting and the
// errors of DotenvDirectiveIgnored, which are the errors of New and Decide
// (see RuleOf). Rules about a RUN follow the `# check=` comments above it,
// as upstream's do.
func (p *Plan) Lint(dockerfile []byte, b Built, l *linter.Linter) {
	res, err := parser.Parse(bytes.NewReader(dockerfile))
	if err != nil {
		return // upstream reports it
	}
	stages, _, err := instructions.Parse(res.AST, linter.New(&linter.Config{}))
	if err != nil {
		return
	}
	nodes := map[int]*parser.Node{}
	for _, n := range res.AST.Children {
		nodes[n.StartLine] = n
	}
	ours := map[*pb.SourceInfo]bool{} // whether a step's source is dockerfile, by source
	isOurs := func(src *pb.SourceInfo) bool {
		is, ok := ours[src]
		if !ok {
			is = bytes.Equal(src.Data, dockerfile)
			ours[src] = is
		}
		return is
	}
	built := map[int]bool{} // the first line of each RUN the build runs
	for _, s := range b.Steps {
		for _, loc := range s.Locations {
			if isOurs(loc.Source) {
				built[loc.Line] = true
			}
		}
	}

	runs := map[int]*instructions.RunCommand{}
	for _, st := range stages {
		excluded := false
		for _, cmd := range st.Commands {
			run, ok := cmd.(*instructions.RunCommand)
			if !ok {
				continue
			}
			line := run.Location()[0].Start.Line
			runs[line] = run
			if !b.All && !built[line] {
				continue
			}
			own := p.ownMount(run)
			p.lintRun(run, nodes[line], own, l.WithMergedConfigFromComments(run.Comments()))
			excluded = excluded || own == nil && p.optOut[line] == 0 && !p.Config.Off && p.excluded(line) != ""
		}
		if excluded {
			l.WithMergedConfigFromComments(st.Comments).Run(&RuleStageExcluded, st.Location,
				RuleStageExcluded.Format(p.stageLabel(st.Location[0].Start.Line), p.Config.ID, p.Config.Stages))
		}
	}

	p.lintStages(built, b, l)
	for _, s := range b.Steps {
		if !s.Conflict {
			continue
		}
		for _, loc := range s.Locations {
			if !isOurs(loc.Source) {
				continue
			}
			rl, where := l, lineRange(loc.Line)
			if run := runs[loc.Line]; run != nil {
				rl, where = l.WithMergedConfigFromComments(run.Comments()), run.Location()
			}
			rl.Run(&RuleMountConflict, where, RuleMountConflict.Format(s.Secret.ID, s.Reason))
		}
	}
}

// lintRun checks one RUN the build runs. own is its mount of the secret.
func (p *Plan) lintRun(run *instructions.RunCommand, node *parser.Node, own *instructions.Mount, l *linter.Linter) {
	line := run.Location()[0].Start.Line
	wrappable := !p.Config.Off && p.excluded(line) == "" // by the setting, its own mount and opt-out aside
	optOut := p.optOut[line]
	if optOut != 0 {
		why := ""
		switch {
		case p.Config.Off:
			why = "dotenv is off"
		case own != nil:
			why = "it mounts secret " + p.Config.ID + " itself"
		case !wrappable:
			why = p.excluded(line)
		}
		if why != "" {
			l.Run(&RuleDirectiveIgnored, lineRange(optOut), RuleDirectiveIgnored.Format(why))
		}
	}
	if !run.PrependShell || len(run.Files) > 0 || len(run.CmdLine) != 1 || node == nil {
		return // the checks below read shell-form scripts only
	}
	script := run.CmdLine[0]
	file := p.Config.MountTarget() // where the RUN has the secret's file
	switch {
	case own != nil && own.Env != nil && own.Target == "":
		return // only in a variable
	case own != nil:
		file = secretTarget(own)
		if wrappable && optOut == 0 && own.Env == nil && (!own.Required || p.Config.Required) {
			if rest, ok := loadedByHand(script, file); ok {
				l.Run(&RuleRedundantBoilerplate, run.Location(), RuleRedundantBoilerplate.Format(p.Config.ID, withoutMount(run, node, own, rest)))
			}
		}
	case !wrappable || optOut != 0:
		return // no secret in this RUN
	}
	for _, dest := range copies(script, file, func(dest string) bool { return keptInImage(dest, run) }) {
		l.Run(&RuleSecretCopied, run.Location(), RuleSecretCopied.Format(p.Config.ID, file, dest))
	}
}

// lintStages checks that stage= names a stage in which the build runs a
// RUN; with all stages built, every stage it names is one.
func (p *Plan) lintStages(built map[int]bool, b Built, l *linter.Linter) {
	if len(p.Config.Stages) == 0 || b.All || len(built) == 0 {
		return
	}
	for line := range built {
		if slices.Contains(p.Config.Stages, p.stageAt(line)) {
			return
		}
	}
	target := "the default target"
	if b.Target != "" {
		target = "target " + b.Target
	}
	var where []parser.Range
	if !p.stagesFromArg {
		where = lineRange(p.directiveLine)
	}
	l.Run(&RuleStageUnreached, where, RuleStageUnreached.Format(p.Config.ID, target, p.Config.Stages))
}

// ownMount returns run's file mount of the setting's secret, nil if none.
// Mounts are read as written: a variable in one is not expanded.
func (p *Plan) ownMount(run *instructions.RunCommand) *instructions.Mount {
	if err := run.Expand(func(word string) (string, error) { return word, nil }); err != nil {
		return nil // upstream reports it
	}
	for _, m := range instructions.GetMounts(run) {
		if m.Type == instructions.MountTypeSecret && secretID(m) == p.Config.ID {
			return m
		}
	}
	return nil
}

// secretID is the id of a secret mount, as upstream reads it.
func secretID(m *instructions.Mount) string {
	switch {
	case m.Source != "":
		return m.Source
	case m.CacheID != "":
		return m.CacheID
	}
	return path.Base(m.Target)
}

// secretTarget is where a secret mount puts its file.
func secretTarget(m *instructions.Mount) string {
	if m.Target != "" {
		return m.Target
	}
	return "/run/secrets/" + path.Base(secretID(m))
}

// withoutMount writes run without its mount m, running script instead.
func withoutMount(run *instructions.RunCommand, node *parser.Node, m *instructions.Mount, script string) string {
	keyword, _, _ := strings.Cut(run.String(), " ")
	words := []string{keyword}
	skip := slices.Index(instructions.GetMounts(run), m) // the i-th --mount flag is the i-th mount
	i := 0
	for _, f := range node.Flags {
		if strings.HasPrefix(f, "--mount=") {
			if i++; i-1 == skip {
				continue
			}
		}
		words = append(words, f)
	}
	return strings.Join(append(words, script), " ")
}

// keptInImage tells whether a file a RUN writes stays in the image: not a
// device, nor on a mount of the RUN (a cache, a tmpfs, a writable bind).
func keptInImage(dest string, run *instructions.RunCommand) bool {
	if strings.Contains(dest, "$") || strings.HasPrefix(dest, "/dev/") || strings.HasPrefix(dest, "/proc/") {
		return false
	}
	for _, m := range instructions.GetMounts(run) {
		if m.Type != instructions.MountTypeSecret && m.Type != instructions.MountTypeSSH && !(m.Type == instructions.MountTypeBind && m.ReadOnly) &&
			(dest == m.Target || strings.HasPrefix(dest, strings.TrimSuffix(m.Target, "/")+"/")) {
			return false
		}
	}
	return true
}

func lineRange(line int) []parser.Range {
	if line == 0 {
		return nil
	}
	return []parser.Range{{Start: parser.Position{Line: line}, End: parser.Position{Line: line}}}
}
