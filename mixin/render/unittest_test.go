package render

import (
	"os"
	"path/filepath"
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

// TestPromtoolUnitTests runs promtool test rules on each file of mixin/tests.
func TestPromtoolUnitTests(t *testing.T) {
	bin := promtool(t)
	for _, p := range unitTestFiles(t) {
		dir, file := filepath.Split(p)
		t.Run(file, func(t *testing.T) {
			t.Parallel()
			runPromtool(t, bin, dir, "test", "rules", file)
		})
	}
}
