package render

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"gopkg.in/yaml.v3"
)

// unitTestFile is the part of a promtool unit-test file the coverage check reads.
type unitTestFile struct {
	RuleFiles []string `yaml:"rule_files"`
	Tests     []struct {
		AlertRuleTests []struct {
			Alertname string `yaml:"alertname"`
			ExpAlerts []struct {
				ExpLabels      map[string]string `yaml:"exp_labels"`
				ExpAnnotations map[string]string `yaml:"exp_annotations"`
			} `yaml:"exp_alerts"`
		} `yaml:"alert_rule_test"`
	} `yaml:"tests"`
}

func unitTestFiles(t *testing.T) []string {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(root, Dir, "tests", "*.yaml"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no unit tests under mixin/tests: %v", err)
	}
	return paths
}

// TestEveryAlertHasUnitTests checks every alert has a promtool case where it
// fires with its labels and annotations, and a near miss where it must not.
func TestEveryAlertHasUnitTests(t *testing.T) {
	fires, misses := map[string]int{}, map[string]int{}
	for _, p := range unitTestFiles(t) {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		var f unitTestFile
		if err := yaml.Unmarshal(data, &f); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		for _, tc := range f.Tests {
			for _, at := range tc.AlertRuleTests {
				if len(at.ExpAlerts) == 0 {
					misses[at.Alertname]++
					continue
				}
				fires[at.Alertname]++
				for _, e := range at.ExpAlerts {
					for _, l := range []string{"severity", "category", "mitre_technique"} {
						if e.ExpLabels[l] == "" {
							t.Errorf("%s: a case of %s does not expect label %s", filepath.Base(p), at.Alertname, l)
						}
					}
					for _, a := range []string{"summary", "description", "runbook_url"} {
						if e.ExpAnnotations[a] == "" {
							t.Errorf("%s: a case of %s does not expect annotation %s", filepath.Base(p), at.Alertname, a)
						}
					}
				}
			}
		}
	}
	alerts := map[string]bool{}
	for _, r := range alertRules(t) {
		alerts[r.Alert] = true
		if fires[r.Alert] == 0 {
			t.Errorf("%s has no promtool case where it fires", r.Alert)
		}
		if misses[r.Alert] == 0 {
			t.Errorf("%s has no promtool near miss where it must not fire", r.Alert)
		}
	}
	for name := range fires {
		if !alerts[name] {
			t.Errorf("unit tests name unknown alert %s", name)
		}
	}
	for name := range misses {
		if !alerts[name] {
			t.Errorf("unit tests name unknown alert %s", name)
		}
	}
}

// TestPromtoolUnitTests runs promtool test rules on each file of mixin/tests,
// against the groups of its rule files that it needs (ruleSubset): promtool
// evaluates every group loaded at every step, and the files that simulate a
// week of history spent minutes on groups no case of theirs reads.
func TestPromtoolUnitTests(t *testing.T) {
	bin := promtool(t)
	for _, p := range unitTestFiles(t) {
		t.Run(filepath.Base(p), func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			writeSubsetTest(t, p, dir)
			runPromtool(t, bin, dir, "test", "rules", "test.yaml")
		})
	}
}

// ruleName matches a metric or rule name in an expression.
var ruleName = regexp.MustCompile(`[a-zA-Z_:][a-zA-Z0-9_:]*`)

// writeSubsetTest writes the unit-test file path into dir as test.yaml,
// its rule files replaced by rules.yaml: their groups that it needs
// (ruleSubset).
func writeSubsetTest(t *testing.T, path, dir string) {
	t.Helper()
	// The test is rewritten as a node tree, which keeps each scalar as
	// written: decoded, values: 0x10 would be the number 16.
	var doc yaml.Node
	readYAML(t, path, &doc)
	var test map[string]any
	if err := doc.Decode(&test); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	var files []string
	for _, f := range test["rule_files"].([]any) {
		files = append(files, filepath.Join(filepath.Dir(path), f.(string)))
	}
	subset := ruleSubset(t, files, test)
	writeYAML(t, filepath.Join(dir, "rules.yaml"), map[string]any{"groups": subset})
	replaced := false
	if root := doc.Content[0]; root.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(root.Content); i += 2 {
			if root.Content[i].Value == "rule_files" {
				root.Content[i+1] = &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq",
					Content: []*yaml.Node{{Kind: yaml.ScalarNode, Tag: "!!str", Value: "rules.yaml"}}}
				replaced = true
			}
		}
	}
	if !replaced {
		t.Fatalf("%s: no rule_files", path)
	}
	data, err := yaml.Marshal(&doc)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "test.yaml"), data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// ruleSubset returns the groups of ruleFiles that the promtool unit test
// test (decoded) needs: the groups of the alerts its cases name, of the
// recording rules its expressions read, and of every recording rule those
// read, whole and unchanged, in their files' order.
func ruleSubset(t *testing.T, ruleFiles []string, test map[string]any) []map[string]any {
	t.Helper()
	type group = map[string]any
	var groups []group
	for _, f := range ruleFiles {
		var rf struct {
			Groups []group `yaml:"groups"`
		}
		readYAML(t, f, &rf)
		groups = append(groups, rf.Groups...)
	}
	// The group of each alert and record, and the expressions of each group.
	owner := map[string]int{}
	exprs := make([][]string, len(groups))
	for i, g := range groups {
		for _, r := range g["rules"].([]any) {
			r := r.(map[string]any)
			for _, k := range []string{"alert", "record"} {
				if name, ok := r[k].(string); ok {
					owner[name] = i
				}
			}
			exprs[i] = append(exprs[i], r["expr"].(string))
		}
	}
	need := map[int]bool{}
	var add func(name string)
	add = func(name string) {
		i, ok := owner[name]
		if !ok || need[i] {
			return
		}
		need[i] = true
		for _, e := range exprs[i] {
			for _, n := range ruleName.FindAllString(e, -1) {
				add(n)
			}
		}
	}
	for _, tc := range asList(test["tests"]) {
		tc := tc.(map[string]any)
		for _, at := range asList(tc["alert_rule_test"]) {
			add(at.(map[string]any)["alertname"].(string))
		}
		for _, et := range asList(tc["promql_expr_test"]) {
			for _, n := range ruleName.FindAllString(et.(map[string]any)["expr"].(string), -1) {
				add(n)
			}
		}
	}
	if len(need) == 0 {
		t.Fatalf("a unit test names no alert or rule of %v", ruleFiles)
	}
	var subset []group
	for i, g := range groups {
		if need[i] {
			subset = append(subset, g)
		}
	}
	return subset
}

func readYAML(t *testing.T, path string, v any) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(data, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}
