package render

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/rtsec/rtsec/exporter/metricdef"
	"github.com/rtsec/rtsec/internal/testenv"
)

// keywords are PromQL words that look like metric names but are not.
var keywords = map[string]bool{
	"and": true, "or": true, "unless": true, "by": true, "without": true, "on": true, "ignoring": true,
	"group_left": true, "group_right": true, "offset": true, "bool": true, "atan2": true, "inf": true, "nan": true,
}

// aggregations may be followed by by/without before their parenthesis.
var aggregations = map[string]bool{
	"sum": true, "min": true, "max": true, "avg": true, "group": true, "stddev": true, "stdvar": true,
	"count": true, "count_values": true, "bottomk": true, "topk": true, "quantile": true, "limitk": true, "limit_ratio": true,
}

// groupingWords are followed by a parenthesised list of label names.
var groupingWords = map[string]bool{"by": true, "without": true, "on": true, "ignoring": true, "group_left": true, "group_right": true}

// selector is a vector selector of an expression: a metric name and the text
// between the braces that follow it ("" without braces).
type selector struct {
	name, matchers string
}

// metricNames returns the metric names an expression selects.
func metricNames(expr string) []string {
	var names []string
	for _, s := range selectors(expr) {
		names = append(names, s.name)
	}
	return names
}

// selectors returns the vector selectors of an expression. It is a small
// lexer, not a parser (promtool parses): it skips strings, ranges, numbers,
// function calls and label lists after by/on/….
func selectors(expr string) []selector {
	var sels []selector
	skipList := false
	for i := 0; i < len(expr); {
		c := expr[i]
		switch {
		case c == '"' || c == '\'' || c == '`':
			j := i + 1
			for j < len(expr) && expr[j] != c {
				if expr[j] == '\\' && c != '`' {
					j++
				}
				j++
			}
			i = j + 1
		case c == '{' || c == '[':
			i = closing(expr, i) + 1
		case c == '(' && skipList:
			j := strings.IndexByte(expr[i:], ')')
			i += j + 1
			skipList = false
		case c >= '0' && c <= '9' || c == '.':
			j := i
			for j < len(expr) && (isWordByte(expr[j]) || expr[j] == '.') {
				j++
			}
			i = j
		case isWordByte(c):
			j := i
			for j < len(expr) && isWordByte(expr[j]) {
				j++
			}
			word := expr[i:j]
			k := j
			for k < len(expr) && (expr[k] == ' ' || expr[k] == '\n' || expr[k] == '\t') {
				k++
			}
			switch {
			case groupingWords[word]:
				skipList = k < len(expr) && expr[k] == '('
			case keywords[word], aggregations[word]:
			case k < len(expr) && expr[k] == '(':
				// A function or aggregation.
			default:
				s := selector{name: word}
				if k < len(expr) && expr[k] == '{' {
					j = closing(expr, k)
					s.matchers = expr[k+1 : j]
					j++
				}
				sels = append(sels, s)
			}
			i = j
		default:
			i++
		}
	}
	return sels
}

// closing returns the index of the brace or bracket closing the one at
// expr[open], skipping double-quoted strings; len(expr) when there is none.
func closing(expr string, open int) int {
	closer := map[byte]byte{'{': '}', '[': ']'}[expr[open]]
	j := open + 1
	for j < len(expr) && expr[j] != closer {
		if expr[j] == '"' {
			j++
			for j < len(expr) && expr[j] != '"' {
				if expr[j] == '\\' {
					j++
				}
				j++
			}
		}
		j++
	}
	return j
}

func isWordByte(c byte) bool {
	return c == '_' || c == ':' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

func TestMetricNamesLexer(t *testing.T) {
	cases := []struct {
		expr string
		want []string
	}{
		{`up{job="rtsec"} == 0`, []string{"up"}},
		{`sum by (instance, job) (rate(a_total{x=~"b|c"}[5m] offset 1d)) / on (instance) group_left (x) b`, []string{"a_total", "b"}},
		{`label_replace(m:r:x, "w", "$1", "pod", "(.+?)-[0-9]+")`, []string{"m:r:x"}},
		{`sum by (a) (x) + count without (b) (y)`, []string{"x", "y"}},
		{`topk(10, x) > bool 0.5e3 and absent(y{a="}"})`, []string{"x", "y"}},
	}
	for _, c := range cases {
		got := metricNames(c.expr)
		if strings.Join(got, ",") != strings.Join(c.want, ",") {
			t.Errorf("metricNames(%q) = %v, want %v", c.expr, got, c.want)
		}
	}
}

// dashboardQueries returns every PromQL query of the dashboards, keyed by a
// description, with Grafana's variables replaced by valid PromQL.
func dashboardQueries(t *testing.T) map[string]string {
	t.Helper()
	subst := strings.NewReplacer("$__rate_interval", "5m", "$__interval", "1m", "$__range", "1h")
	out := map[string]string{}
	for name, d := range loadDashboards(t) {
		for _, p := range d.Panels {
			for i, target := range p.Targets {
				out[fmt.Sprintf("%s panel %q target %d", name, p.Title, i)] = subst.Replace(target.Expr)
			}
		}
		for _, v := range d.Templating.List {
			if v.Definition == "" {
				continue
			}
			m := labelValues.FindStringSubmatch(v.Definition)
			if m == nil {
				t.Errorf("%s variable %s: cannot read query %q", name, v.Name, v.Definition)
				continue
			}
			out[fmt.Sprintf("%s variable %s", name, v.Name)] = subst.Replace(m[1])
		}
	}
	return out
}

// TestQueriesUseKnownMetrics checks every rule and dashboard query selects only
// metrics the exporter exposes (metricdef), series the mixin records, up and ALERTS.
func TestQueriesUseKnownMetrics(t *testing.T) {
	known := map[string]bool{"up": true, "ALERTS": true}
	for _, n := range metricdef.Names() {
		known[n] = true
	}
	queries := map[string]string{}
	for _, g := range loadRules(t, "alerts/rtsec-rules.yaml").Groups {
		for _, r := range g.Rules {
			known[r.Record] = true
			queries["record "+r.Record] = r.Expr
		}
	}
	for _, r := range alertRules(t) {
		queries["alert "+r.Alert] = r.Expr
	}
	for k, q := range dashboardQueries(t) {
		queries[k] = q
	}
	used := map[string]bool{}
	for where, q := range queries {
		names := metricNames(q)
		if len(names) == 0 {
			t.Errorf("%s selects no metric: %s", where, q)
		}
		for _, n := range names {
			used[n] = true
			if !known[n] {
				t.Errorf("%s uses %s, which neither the exporter exposes nor the mixin records", where, n)
			}
		}
	}
	// Every recorded series is used by an alert, another rule or a dashboard.
	for _, g := range loadRules(t, "alerts/rtsec-rules.yaml").Groups {
		for _, r := range g.Rules {
			if !used[r.Record] {
				t.Errorf("recorded series %s is used nowhere", r.Record)
			}
		}
	}
}

func promtool(t *testing.T) string {
	t.Helper()
	return testenv.RequireCommand(t, "promtool")
}

func runPromtool(t *testing.T, bin, dir string, args ...string) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Errorf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// TestPromtoolCheckRules checks the rule files, the PrometheusRule's groups and,
// by way of a temporary rule file, that every dashboard query parses.
func TestPromtoolCheckRules(t *testing.T) {
	bin := promtool(t)
	dir := t.TempDir()

	data, err := os.ReadFile(filepath.Join(root, "alerts", "rtsec-prometheusrule.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var pr struct {
		APIVersion string `yaml:"apiVersion"`
		Kind       string `yaml:"kind"`
		Spec       struct {
			Groups []ruleGroup `yaml:"groups"`
		} `yaml:"spec"`
	}
	if err := yaml.Unmarshal(data, &pr); err != nil {
		t.Fatal(err)
	}
	if pr.APIVersion != "monitoring.coreos.com/v1" || pr.Kind != "PrometheusRule" {
		t.Errorf("rtsec-prometheusrule.yaml is %s %s", pr.APIVersion, pr.Kind)
	}
	var n int
	for _, f := range []string{"alerts/rtsec-rules.yaml", "alerts/rtsec-alerts.yaml"} {
		for _, g := range loadRules(t, f).Groups {
			n += len(g.Rules)
		}
	}
	var m int
	for _, g := range pr.Spec.Groups {
		m += len(g.Rules)
	}
	if n != m {
		t.Errorf("PrometheusRule holds %d rules, the rule files %d", m, n)
	}
	writeYAML(t, filepath.Join(dir, "prometheusrule-spec.yaml"), map[string]any{"groups": pr.Spec.Groups})

	queries := dashboardQueries(t)
	keys := make([]string, 0, len(queries))
	for k := range queries {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var rules []map[string]string
	for i, k := range keys {
		rules = append(rules, map[string]string{"record": fmt.Sprintf("dashboard_query_%d", i), "expr": queries[k]})
	}
	writeYAML(t, filepath.Join(dir, "dashboards.yaml"), map[string]any{"groups": []any{map[string]any{"name": "dashboards", "rules": rules}}})

	abs, err := filepath.Abs(root)
	if err != nil {
		t.Fatal(err)
	}
	runPromtool(t, bin, abs, "check", "rules", "alerts/rtsec-rules.yaml", "alerts/rtsec-alerts.yaml")
	runPromtool(t, bin, dir, "check", "rules", "prometheusrule-spec.yaml", "dashboards.yaml")
}

func writeYAML(t *testing.T, path string, v any) {
	t.Helper()
	data, err := yaml.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}
