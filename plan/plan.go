// Package plan reads what one Dockerfile says about dotenv wrapping (the
// header directive and the opt-out comments above RUNs), applies the
// build-arg on top, and decides for each RUN step of its LLB.
package plan

import (
	"bufio"
	"bytes"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/dockerfile-dotenv/dockerfile-dotenv/config"
	"github.com/dockerfile-dotenv/dockerfile-dotenv/llb"
	"github.com/moby/buildkit/frontend/dockerfile/linter"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/buildkit/solver/errdefs"
	"github.com/moby/buildkit/solver/pb"
	"github.com/pkg/errors"
)

// upstreamDirectives are the header directives of the Dockerfile frontend.
// Its directive parser stops at the first directive it does not know, so ours
// must come after these or BuildKit silently ignores them (# syntax= too).
var upstreamDirectives = []string{"syntax", "escape", "check"}

// directive matches a `# key=value` line, as upstream's directive parser does.
var directive = regexp.MustCompile(`^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$`)

// Plan is the dotenv setting of one Dockerfile and where its RUNs stand.
type Plan struct {
	Config config.Config

	directiveLine int         // line of `# dotenv=`, 0 when absent
	buildArg      string      // the build-arg setting, "" when absent
	stagesFromArg bool        // stage= comes from the build-arg
	stages        []stage     // in Dockerfile order
	optOut        map[int]int // RUN start line -> line of its `# dotenv=off`
}

type stage struct {
	line int // line of its FROM
	name string
}

// New reads dockerfile and applies the build-arg setting (may be empty) on
// top of its directive. Errors in the Dockerfile carry their line as a
// parser.LocationError.
func New(dockerfile []byte, buildArg string) (*Plan, error) {
	p := &Plan{Config: config.Default(), buildArg: buildArg, optOut: map[int]int{}}
	if buildArg == "" && !bytes.Contains(bytes.ToLower(dockerfile), []byte(config.Directive)) {
		return p, nil // the common case: nothing to read, no need to parse
	}
	lines := splitLines(dockerfile)

	if err := p.readHeader(lines); err != nil {
		return nil, err
	}
	res, err := parser.Parse(bytes.NewReader(dockerfile))
	if err != nil {
		return nil, err // upstream's conversion fails first on this
	}
	if err := p.readInstructions(lines, res.AST.Children); err != nil {
		return nil, err
	}
	if buildArg != "" {
		if p.Config, err = p.Config.Apply(buildArg); err != nil {
			return nil, invalid(errors.Wrapf(err, "invalid build-arg %s", config.BuildArg))
		}
		arg, _ := config.Config{}.Apply(buildArg)
		p.stagesFromArg = arg.Stages != nil
	}
	if err := p.checkStages(); err != nil {
		return nil, err
	}
	return p, nil
}

// readHeader reads the directive block at the top of the file.
func (p *Plan) readHeader(lines []string) error {
	for i, line := range lines {
		n := i + 1
		if n == 1 {
			line = strings.TrimPrefix(line, "\uFEFF")
			if strings.HasPrefix(line, "#!") {
				continue
			}
		}
		m := directive.FindStringSubmatch(line)
		if m == nil {
			return nil
		}
		key := strings.ToLower(m[1])
		switch {
		case key == config.Directive:
			if p.directiveLine != 0 {
				return atLine(invalid(errors.Errorf("only one %s directive can be used (the first is on line %d)", config.Directive, p.directiveLine)), n)
			}
			cfg, err := p.Config.Apply(m[2])
			if err != nil {
				return atLine(invalid(errors.Wrapf(err, "invalid %s directive", config.Directive)), n)
			}
			p.Config, p.directiveLine = cfg, n
		case slices.Contains(upstreamDirectives, key):
			if p.directiveLine != 0 {
				return atLine(ignored(errors.Errorf("the %s directive must come after the %s directive: BuildKit ignores directives that follow one it does not know", config.Directive, key)), p.directiveLine)
			}
		default:
			return nil // upstream stops here too
		}
	}
	return nil
}

// readInstructions records the stages and the opt-out comments. A
// `# dotenv=` comment between instructions must sit in the comment block
// directly above a RUN and say off; one inside an instruction (a heredoc
// body, say) is the instruction's own text.
func (p *Plan) readInstructions(lines []string, nodes []*parser.Node) error {
	prevEnd := 0
	for _, node := range nodes {
		if err := p.readComments(lines, prevEnd, node); err != nil {
			return err
		}
		if node.EndLine > prevEnd {
			prevEnd = node.EndLine
		}
		if strings.EqualFold(node.Value, "from") {
			p.stages = append(p.stages, stage{line: node.StartLine, name: stageName(node)})
		}
	}
	return p.readComments(lines, prevEnd, nil)
}

// readComments reads the lines between the end of the previous instruction
// and node (nil: the end of the file).
func (p *Plan) readComments(lines []string, prevEnd int, node *parser.Node) error {
	end := len(lines) + 1
	isRun := false
	if node != nil {
		end = node.StartLine
		isRun = strings.EqualFold(node.Value, "run")
	}
	// The comment block directly above node: lines [block, end).
	block := end
	for block-1 > prevEnd && isCommentLine(lines[block-2]) {
		block--
	}
	for n := prevEnd + 1; n < end; n++ {
		if n <= p.directiveLine {
			continue
		}
		m := directive.FindStringSubmatch(strings.TrimSpace(lines[n-1]))
		if m == nil || !strings.EqualFold(m[1], config.Directive) {
			continue
		}
		if !isRun || n < block {
			return atLine(ignored(errors.Errorf("a %s comment must be in the header or directly above a RUN", config.Directive)), n)
		}
		if cfg, err := (config.Config{}).Apply(m[2]); err != nil || !isOffOnly(cfg) {
			return atLine(invalid(errors.Errorf("above a RUN only %s=off is allowed, not %q", config.Directive, m[2])), n)
		}
		p.optOut[node.StartLine] = n
	}
	return nil
}

// checkStages makes sure every configured stage exists.
func (p *Plan) checkStages() error {
	for _, want := range p.Config.Stages {
		if !slices.ContainsFunc(p.stages, func(s stage) bool { return s.name == want }) {
			err := invalid(errors.Errorf("stage %q is not a stage of this Dockerfile", want))
			if p.buildArg == "" {
				return atLine(err, p.directiveLine)
			}
			return errors.Wrapf(err, "%s directive or build-arg", config.Directive)
		}
	}
	return nil
}

// decide decides for the RUN at loc from the setting alone.
func (p *Plan) decide(loc llb.Location) decision {
	d := decision{loc: loc, stage: p.stageLabel(loc.Line), cfg: p.Config}
	switch {
	case p.Config.Off:
		d.reason = "dotenv is off"
	case p.optOut[loc.Line] != 0:
		d.reason = "opted out on line " + strconv.Itoa(p.optOut[loc.Line])
	default:
		d.reason = p.excluded(loc.Line)
	}
	return d
}

// excluded says why stage= leaves out the RUN at line, "" when it does not.
func (p *Plan) excluded(line int) string {
	switch name := p.stageAt(line); {
	case len(p.Config.Stages) == 0 || slices.Contains(p.Config.Stages, name):
		return ""
	case name == "":
		return "its stage has no name and is not in stage="
	default:
		return "stage " + name + " is not in stage="
	}
}

// stageLabel names the stage of line for messages.
func (p *Plan) stageLabel(line int) string {
	if name := p.stageAt(line); name != "" {
		return "stage " + name
	}
	for i := len(p.stages) - 1; i >= 0; i-- {
		if p.stages[i].line <= line {
			return "the unnamed stage of line " + strconv.Itoa(p.stages[i].line)
		}
	}
	return "no stage"
}

// stageAt returns the name of the stage that line belongs to. An ONBUILD
// trigger's RUN is located at its stage's FROM line, so it belongs there too.
func (p *Plan) stageAt(line int) string {
	name := ""
	for _, s := range p.stages {
		if s.line > line {
			break
		}
		name = s.name
	}
	return name
}

// stageName returns the lower-cased name of `FROM image AS name`.
func stageName(from *parser.Node) string {
	var args []string
	for n := from.Next; n != nil; n = n.Next {
		args = append(args, n.Value)
	}
	if len(args) == 3 && strings.EqualFold(args[1], "as") {
		return strings.ToLower(args[2])
	}
	return ""
}

// isOffOnly tells whether a setting says off and nothing else.
func isOffOnly(c config.Config) bool {
	return c.Off && c.ID == "" && c.Target == "" && !c.Required && c.Stages == nil && c.Cache == "" && c.Loader == "" && !c.Mask
}

func isCommentLine(line string) bool {
	return strings.HasPrefix(strings.TrimSpace(line), "#")
}

// settingError is a setting the build rejects. A check reports it under
// rule, with the same message and line.
type settingError struct {
	error
	rule linter.LinterRuleI
}

func (e settingError) Unwrap() error { return e.error }

// invalid marks err as DotenvInvalidSetting, ignored as DotenvDirectiveIgnored.
func invalid(err error) error { return settingError{err, &RuleInvalidSetting} }
func ignored(err error) error { return settingError{err, &RuleDirectiveIgnored} }

// RuleOf returns the rule a check reports err under, an error of New or of
// Policy.Decide; nil when err is not about the setting.
func RuleOf(err error) linter.LinterRuleI {
	var se settingError
	if errors.As(err, &se) {
		return se.rule
	}
	return nil
}

func atLine(err error, line int) error {
	return parser.WithLocation(err, []parser.Range{{Start: parser.Position{Line: line}, End: parser.Position{Line: line}}})
}

func splitLines(dt []byte) []string {
	var lines []string
	s := bufio.NewScanner(bytes.NewReader(dt))
	s.Buffer(nil, len(dt)+1)
	for s.Scan() {
		lines = append(lines, strings.TrimSuffix(s.Text(), "\r"))
	}
	return lines
}

// WithSource turns an error located in a Dockerfile (parser.LocationError)
// into one that clients print with the Dockerfile excerpt, as upstream does.
func WithSource(err error, src *pb.SourceInfo) error {
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
