package plan

import (
	"fmt"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/linter"
)

// The rules of dockerfile-dotenv's checks, in the style of BuildKit's own
// (linter/ruleset.go). They are reported through upstream's linter, so
// `--call check`, `# check=skip=…`, `# check=error=true` and build warnings
// treat them as upstream's. Don't forget the README's Checks section when you
// add one.
var (
	RuleInvalidSetting = linter.LinterRule[func(error) string]{
		Name:        "DotenvInvalidSetting",
		Description: "A dotenv setting the build would reject",
		URL:         ruleURL("DotenvInvalidSetting"),
		Format:      func(err error) string { return err.Error() },
	}
	RuleDirectiveIgnored = linter.LinterRule[func(reason string) string]{
		Name:        "DotenvDirectiveIgnored",
		Description: "A # dotenv= line that has no effect where it stands",
		URL:         ruleURL("DotenvDirectiveIgnored"),
		Format: func(reason string) string {
			return fmt.Sprintf("# dotenv=off has no effect: the RUN below it is left as is anyway (%s)", reason)
		},
	}
	RuleRedundantBoilerplate = linter.LinterRule[func(id, run string) string]{
		Name:        "DotenvRedundantBoilerplate",
		Description: "A RUN that mounts and loads the dotenv secret by hand can leave that to dockerfile-dotenv",
		URL:         ruleURL("DotenvRedundantBoilerplate"),
		Format: func(id, run string) string {
			return fmt.Sprintf("Secret %s is mounted and loaded by hand, which dockerfile-dotenv does for every RUN; this can read: %s", id, run)
		},
	}
	RuleSecretCopied = linter.LinterRule[func(id, path, dest string) string]{
		Name:        "DotenvSecretCopied",
		Description: "The dotenv secret copied to a file stays in the image, with every value",
		URL:         ruleURL("DotenvSecretCopied"),
		Format: func(id, path, dest string) string {
			return fmt.Sprintf("Secret %s is copied from %s to %s, which stays in the image with every value", id, path, dest)
		},
	}
	RuleMountConflict = linter.LinterRule[func(id, reason string) string]{
		Name:        "DotenvMountConflict",
		Description: "A RUN with a mount where dockerfile-dotenv's would go runs without the secret",
		URL:         ruleURL("DotenvMountConflict"),
		Format: func(id, reason string) string {
			return fmt.Sprintf("RUN runs without secret %s: it %s", id, reason)
		},
	}
	RuleStageExcluded = linter.LinterRule[func(stage, id string, stages []string) string]{
		Name:        "DotenvStageExcluded",
		Description: "The RUNs of a stage that stage= leaves out run without the secret",
		URL:         ruleURL("DotenvStageExcluded"),
		Format: func(stage, id string, stages []string) string {
			return fmt.Sprintf("RUNs of %s run without secret %s: stage= lists %s", stage, id, strings.Join(stages, ", "))
		},
	}
	RuleStageUnreached = linter.LinterRule[func(id, target string, stages []string) string]{
		Name:        "DotenvStageUnreached",
		Description: "stage= names no stage in which the target runs a RUN",
		URL:         ruleURL("DotenvStageUnreached"),
		Format: func(id, target string, stages []string) string {
			return fmt.Sprintf("No RUN gets secret %s: %s runs no RUN in a stage of stage= (%s)", id, target, strings.Join(stages, ", "))
		},
	}
)

// ruleURL is the rule's section in the README.
func ruleURL(name string) string {
	return "https://github.com/dockerfile-dotenv/dockerfile-dotenv#" + strings.ToLower(name)
}
