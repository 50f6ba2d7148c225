package plan

import (
	"os"
	"strings"
	"testing"
)

// TestRulesDocumented: every rule has its row in the README's table, and a
// section where its URL points, with a bad and a good example.
func TestRulesDocumented(t *testing.T) {
	dt, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(dt)
	for _, r := range []struct{ name, description, url string }{
		{RuleInvalidSetting.Name, RuleInvalidSetting.Description, RuleInvalidSetting.URL},
		{RuleDirectiveIgnored.Name, RuleDirectiveIgnored.Description, RuleDirectiveIgnored.URL},
		{RuleRedundantBoilerplate.Name, RuleRedundantBoilerplate.Description, RuleRedundantBoilerplate.URL},
		{RuleSecretCopied.Name, RuleSecretCopied.Description, RuleSecretCopied.URL},
		{RuleMountConflict.Name, RuleMountConflict.Description, RuleMountConflict.URL},
		{RuleStageExcluded.Name, RuleStageExcluded.Description, RuleStageExcluded.URL},
		{RuleStageUnreached.Name, RuleStageUnreached.Description, RuleStageUnreached.URL},
	} {
		anchor := "#" + strings.ToLower(r.name)
		if !strings.HasPrefix(r.name, "Dotenv") || r.url != "https://github.com/dockerfile-dotenv/dockerfile-dotenv"+anchor {
			t.Errorf("%s: URL %s", r.name, r.url)
		}
		if row := "| [`" + r.name + "`](" + anchor + ") | " + r.description + " |"; !strings.Contains(readme, row) {
			t.Errorf("README lacks the table row %q", row)
		}
		_, section, ok := strings.Cut(readme, "\n### "+r.name+"\n")
		if !ok {
			t.Errorf("README has no section ### %s", r.name)
			continue
		}
		if end := strings.Index(section, "\n## "); end >= 0 {
			section = section[:end]
		}
		if end := strings.Index(section, "\n### "); end >= 0 {
			section = section[:end]
		}
		if !strings.Contains(section, "\nBad") || !strings.Contains(section, "Good") || strings.Count(section, "```dockerfile") < 2 {
			t.Errorf("README's section %s lacks a bad and a good example", r.name)
		}
	}
}
