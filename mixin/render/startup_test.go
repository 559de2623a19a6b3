package render

import (
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// counterBy finds an after record's counter and the labels it sums by.
var counterBy = regexp.MustCompile(`sum by \(([^)]*)\) \((rtsec_[a-z_]+)\{`)

// TestAfterStartupWithoutDuringRecord evaluates each after_startup record
// alone, with no during_startup record at all: what it reads when a scrape
// lands between the two rules' queries in one evaluation, and brings a
// young container's new key into the second only. The young container's
// count must still be during startup (0 after it); an old container's,
// never seen young, is all after startup (fail open).
func TestAfterStartupWithoutDuringRecord(t *testing.T) {
	bin := promtool(t)
	containerLabels := []string{"cluster", "node", "instance", "container_id", "namespace", "pod", "container"}
	var checked int
	for _, g := range loadRules(t, "alerts/rtsec-rules.yaml").Groups {
		for _, r := range g.Rules {
			if !strings.HasSuffix(r.Record, ":after_startup") {
				continue
			}
			t.Run(r.Record, func(t *testing.T) {
				m := counterBy.FindStringSubmatch(r.Expr)
				if m == nil {
					t.Fatalf("no sum by (…) (rtsec_…) in %s", r.Expr)
				}
				var keys string
				for _, l := range strings.Split(m[1], ", ") {
					if !slices.Contains(containerLabels, l) {
						keys += fmt.Sprintf(`, %s="k"`, l)
					}
				}
				// c0 runs from 0s, c1 (young at 3m) from 130s; the 10s step puts sample 13 at 130s.
				id := func(c string) string {
					return fmt.Sprintf(`instance="node1:9500", container_id="%s", namespace="shop", pod="web-%s", container="app"`, c, c)
				}
				series := []map[string]string{
					{"series": fmt.Sprintf(`rtsec_container_info{job="rtsec", %s}`, id("c0")), "values": "1x20"},
					{"series": fmt.Sprintf(`%s{job="rtsec", %s%s}`, m[2], id("c0"), keys), "values": "3x20"},
					{"series": fmt.Sprintf(`rtsec_container_info{job="rtsec", %s}`, id("c1")), "values": "_x13 1x7"},
					{"series": fmt.Sprintf(`%s{job="rtsec", %s%s}`, m[2], id("c1"), keys), "values": "_x13 1+1x7"},
				}
				dir := t.TempDir()
				writeYAML(t, filepath.Join(dir, "rules.yaml"), map[string]any{"groups": []any{
					map[string]any{"name": "after", "rules": []any{map[string]string{"record": r.Record, "expr": r.Expr}}},
				}})
				writeYAML(t, filepath.Join(dir, "test.yaml"), map[string]any{
					"rule_files":          []string{"rules.yaml"},
					"evaluation_interval": "10s",
					"tests": []any{map[string]any{
						"interval":     "10s",
						"input_series": series,
						"promql_expr_test": []any{map[string]any{
							"expr":      r.Record,
							"eval_time": "3m",
							"exp_samples": []any{
								map[string]any{"labels": fmt.Sprintf("%s{%s%s}", r.Record, id("c0"), keys), "value": 3},
								map[string]any{"labels": fmt.Sprintf("%s{%s%s}", r.Record, id("c1"), keys), "value": 0},
							},
						}},
					}},
				})
				runPromtool(t, bin, dir, "test", "rules", "test.yaml")
			})
			checked++
		}
	}
	if checked == 0 {
		t.Fatal("no after_startup records in alerts/rtsec-rules.yaml")
	}
}
