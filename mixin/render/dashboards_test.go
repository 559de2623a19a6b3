package render

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/rtsec/rtsec/exporter/metricdef"
)

// grafanaDashboard holds the fields of a dashboard that Grafana needs and the
// dashboard checks read.
type grafanaDashboard struct {
	UID           string `json:"uid"`
	Title         string `json:"title"`
	SchemaVersion int    `json:"schemaVersion"`
	Time          struct {
		From string `json:"from"`
		To   string `json:"to"`
	} `json:"time"`
	Templating struct {
		List []grafanaVariable `json:"list"`
	} `json:"templating"`
	Panels []grafanaPanel `json:"panels"`
}

type grafanaVariable struct {
	Name       string             `json:"name"`
	Type       string             `json:"type"`
	Query      json.RawMessage    `json:"query"`
	Definition string             `json:"definition"`
	Datasource *grafanaDatasource `json:"datasource"`
	Hide       int                `json:"hide"`
	IncludeAll bool               `json:"includeAll"`
	AllValue   string             `json:"allValue"`
}

type grafanaDatasource struct {
	Type string `json:"type"`
	UID  string `json:"uid"`
}

type grafanaPanel struct {
	ID         int                `json:"id"`
	Type       string             `json:"type"`
	Title      string             `json:"title"`
	Datasource *grafanaDatasource `json:"datasource"`
	GridPos    struct {
		X, Y, W, H int
	} `json:"gridPos"`
	Targets []struct {
		RefID      string             `json:"refId"`
		Expr       string             `json:"expr"`
		Datasource *grafanaDatasource `json:"datasource"`
	} `json:"targets"`
}

// The datasource variable every query goes through, so that one dashboard serves any Prometheus.
const datasourceUID = "${datasource}"

// panelTypes are the Grafana core panel types the mixin's builders emit.
var panelTypes = map[string]bool{"timeseries": true, "stat": true, "table": true}

// variableRef finds the variables a query interpolates ($name or ${name}), Grafana's own ($__…) excepted.
var variableRef = regexp.MustCompile(`\$\{?([a-zA-Z_][a-zA-Z0-9_]*)`)

// labelValues reads a query variable's label_values(query, label).
var labelValues = regexp.MustCompile(`^label_values\((.*),\s*([a-zA-Z_][a-zA-Z0-9_]*)\)$`)

// labelMatcher is one label matcher of a selector.
type labelMatcher struct {
	label, op, value string
}

// parseMatchers splits the text between a selector's braces into its matchers.
func parseMatchers(s string) ([]labelMatcher, error) {
	var out []labelMatcher
	for i := 0; i < len(s); {
		if c := s[i]; c == ' ' || c == ',' || c == '\n' || c == '\t' {
			i++
			continue
		}
		j := i
		for j < len(s) && isWordByte(s[j]) {
			j++
		}
		m := labelMatcher{label: s[i:j]}
		for _, op := range []string{"=~", "!~", "!=", "="} {
			if strings.HasPrefix(s[j:], op) {
				m.op = op
				break
			}
		}
		j += len(m.op)
		if m.label == "" || m.op == "" || j >= len(s) || s[j] != '"' {
			return nil, fmt.Errorf("cannot read matcher at %q", s[i:])
		}
		k := j + 1
		for k < len(s) && s[k] != '"' {
			if s[k] == '\\' {
				k++
			}
			k++
		}
		if k >= len(s) {
			return nil, fmt.Errorf("unterminated value in %q", s[i:])
		}
		m.value = s[j+1 : k]
		out = append(out, m)
		i = k + 1
	}
	return out, nil
}

// namespaced reports which series carry a namespace label: exporter metrics
// by their metricdef labels, recorded series by their level (the labels they
// keep, level:metric:operations), and ALERTS of container alerts.
func namespaced(t *testing.T) func(name string) bool {
	t.Helper()
	recorded := map[string]bool{}
	for _, g := range loadRules(t, "alerts/rtsec-rules.yaml").Groups {
		for _, r := range g.Rules {
			level := strings.Split(r.Record, ":")[0]
			recorded[r.Record] = strings.Contains("_"+level+"_", "_namespace_")
		}
	}
	return func(name string) bool {
		if name == "ALERTS" {
			return true
		}
		if d, err := metricdef.Lookup(name); err == nil {
			for _, l := range d.LabelNames() {
				if l == "namespace" {
					return true
				}
			}
			return false
		}
		return recorded[name]
	}
}

// dashboardProblems lints one rendered dashboard: the structure Grafana expects,
// the datasource variable in every query, and the cluster and namespace filters.
func dashboardProblems(name string, data []byte, clusterLabel string, hasNamespace func(string) bool) []string {
	var problems []string
	errorf := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	var d grafanaDashboard
	if err := json.Unmarshal(data, &d); err != nil {
		return []string{fmt.Sprintf("%s: %v", name, err)}
	}
	if d.Title == "" || d.UID == "" {
		errorf("%s: needs a title and a uid", name)
	}
	if d.SchemaVersion < 36 {
		errorf("%s: schemaVersion %d, want ≥ 36 (the timeseries panel and datasource uids)", name, d.SchemaVersion)
	}
	if d.Time.From == "" || d.Time.To == "" {
		errorf("%s: no time range", name)
	}

	// Variables: unique names; datasource first, then cluster.
	vars := map[string]grafanaVariable{}
	var queries []struct{ where, expr string }
	for i, v := range d.Templating.List {
		if _, ok := vars[v.Name]; ok {
			errorf("%s: template variable %q defined twice", name, v.Name)
		}
		vars[v.Name] = v
		if v.Hide < 0 || v.Hide > 2 {
			errorf("%s variable %s: hide %d not in 0..2", name, v.Name, v.Hide)
		}
		switch v.Type {
		case "datasource":
			if i != 0 || v.Name != "datasource" || string(v.Query) != `"prometheus"` {
				errorf("%s: variable %d %s: the prometheus datasource variable comes first and is the only one", name, i, v.Name)
			}
		case "query":
			if v.Datasource == nil || v.Datasource.UID != datasourceUID {
				errorf("%s variable %s: datasource %+v, want uid %s", name, v.Name, v.Datasource, datasourceUID)
			}
			var q struct {
				Query string `json:"query"`
			}
			if err := json.Unmarshal(v.Query, &q); err != nil || q.Query != v.Definition || v.Definition == "" {
				errorf("%s variable %s: query %s does not match definition %q", name, v.Name, v.Query, v.Definition)
			}
			if v.IncludeAll && v.AllValue != ".*" {
				errorf("%s variable %s: allValue %q, want .* (it also matches series without the label)", name, v.Name, v.AllValue)
			}
			m := labelValues.FindStringSubmatch(v.Definition)
			if m == nil {
				errorf("%s variable %s: cannot read query %q", name, v.Name, v.Definition)
				continue
			}
			queries = append(queries, struct{ where, expr string }{"variable " + v.Name, m[1]})
		default:
			errorf("%s variable %s: type %q", name, v.Name, v.Type)
		}
	}
	cluster, ok := vars["cluster"]
	if !ok || len(d.Templating.List) < 2 || d.Templating.List[1].Name != "cluster" {
		errorf("%s: the cluster variable must follow the datasource variable", name)
	} else if !strings.HasPrefix(cluster.Definition, "label_values(up{") || !strings.HasSuffix(cluster.Definition, "}, "+clusterLabel+")") {
		errorf("%s: cluster variable query %q, want label_values(up{…}, %s)", name, cluster.Definition, clusterLabel)
	}

	// Panels: Grafana's layout and the datasource of every query.
	ids := map[int]bool{}
	for i, p := range d.Panels {
		where := fmt.Sprintf("%s panel %d %q", name, p.ID, p.Title)
		if p.ID <= 0 || ids[p.ID] {
			errorf("%s: id must be positive and unique", where)
		}
		ids[p.ID] = true
		if !panelTypes[p.Type] || p.Title == "" {
			errorf("%s: type %q, title %q", where, p.Type, p.Title)
		}
		g := p.GridPos
		if g.X < 0 || g.Y < 0 || g.W <= 0 || g.H <= 0 || g.X+g.W > 24 {
			errorf("%s: gridPos %+v outside the 24-column grid", where, g)
		}
		for _, q := range d.Panels[:i] {
			o := q.GridPos
			if g.X < o.X+o.W && o.X < g.X+g.W && g.Y < o.Y+o.H && o.Y < g.Y+g.H {
				errorf("%s: gridPos %+v overlaps panel %d %q at %+v", where, g, q.ID, q.Title, o)
			}
		}
		if p.Datasource == nil || p.Datasource.UID != datasourceUID {
			errorf("%s: datasource %+v, want uid %s", where, p.Datasource, datasourceUID)
		}
		if len(p.Targets) == 0 {
			errorf("%s: no queries", where)
		}
		refs := map[string]bool{}
		for j, tg := range p.Targets {
			if tg.RefID == "" || refs[tg.RefID] {
				errorf("%s target %d: refId %q empty or repeated", where, j, tg.RefID)
			}
			refs[tg.RefID] = true
			if tg.Datasource == nil || tg.Datasource.UID != datasourceUID {
				errorf("%s target %d: datasource %+v, want uid %s", where, j, tg.Datasource, datasourceUID)
			}
			queries = append(queries, struct{ where, expr string }{fmt.Sprintf("panel %q target %s", p.Title, tg.RefID), tg.Expr})
		}
	}

	// Filters: every selector is of the selected cluster; series with namespaces are of the selected namespaces.
	_, hasNamespaceVar := vars["namespace"]
	namespaceData := false
	for _, q := range queries {
		for _, ref := range variableRef.FindAllStringSubmatch(q.expr, -1) {
			if _, ok := vars[ref[1]]; !ok && !strings.HasPrefix(ref[1], "__") {
				errorf("%s %s: uses undefined variable $%s", name, q.where, ref[1])
			}
		}
		if q.where == "variable cluster" {
			continue
		}
		sels := selectors(q.expr)
		if len(sels) == 0 {
			errorf("%s %s: no selector in %q", name, q.where, q.expr)
		}
		for _, s := range sels {
			ms, err := parseMatchers(s.matchers)
			if err != nil {
				errorf("%s %s: %s: %v", name, q.where, s.name, err)
				continue
			}
			// has reports a matcher label="value" (or =~ when regexp).
			has := func(label, value string, regexp bool) bool {
				for _, m := range ms {
					if m.label == label && m.value == value && (m.op == "=" || regexp && m.op == "=~") {
						return true
					}
				}
				return false
			}
			if !has(clusterLabel, "$cluster", false) {
				errorf("%s %s: %s{%s} lacks %s=\"$cluster\"", name, q.where, s.name, s.matchers, clusterLabel)
			}
			if !hasNamespace(s.name) || q.where == "variable namespace" {
				continue
			}
			host := false
			for _, m := range ms {
				host = host || m.label == "container_id" && m.op == "=" && m.value == ""
			}
			if host {
				continue // The host's own series have no namespace to filter.
			}
			namespaceData = true
			if !has("namespace", "$namespace", true) {
				errorf("%s %s: %s{%s} has namespaces but no namespace=~\"$namespace\" filter", name, q.where, s.name, s.matchers)
			}
		}
	}
	if namespaceData && !hasNamespaceVar {
		errorf("%s: shows series with namespaces but has no namespace variable", name)
	}
	return problems
}

// TestDashboardsLint checks every generated dashboard (see lintDashboard).
func TestDashboardsLint(t *testing.T) {
	paths, err := filepath.Glob(filepath.Join(root, "dashboards", "*.json"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no dashboards: %v", err)
	}
	hasNamespace := namespaced(t)
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range dashboardProblems(filepath.Base(p), data, "cluster", hasNamespace) {
			t.Error(p)
		}
	}
}

// TestDashboardsMultiCluster renders the mixin with another cluster label and
// showMultiCluster: every query must follow the label, and the variable show.
func TestDashboardsMultiCluster(t *testing.T) {
	for _, show := range []bool{false, true} {
		dir := t.TempDir()
		overrides := filepath.Join(dir, "o.libsonnet")
		src := fmt.Sprintf(`{ _config+:: { clusterLabel: 'k8s_cluster', showMultiCluster: %t } }`, show)
		if err := os.WriteFile(overrides, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		files, err := Files(root, overrides)
		if err != nil {
			t.Fatal(err)
		}
		hasNamespace := namespaced(t)
		n := 0
		for _, name := range SortedNames(files) {
			if !strings.HasPrefix(name, "dashboards/") || !strings.HasSuffix(name, ".json") {
				continue
			}
			n++
			data := files[name]
			if strings.Contains(string(data), `cluster=\"$cluster\"`) && !strings.Contains(string(data), `k8s_cluster=\"$cluster\"`) {
				t.Errorf("%s: a query ignores clusterLabel", name)
			}
			for _, p := range dashboardProblems(name, data, "k8s_cluster", hasNamespace) {
				t.Error(p)
			}
			var d grafanaDashboard
			if err := json.Unmarshal(data, &d); err != nil {
				t.Fatal(err)
			}
			want := map[bool]int{false: 2, true: 0}[show]
			for _, v := range d.Templating.List {
				if v.Name == "cluster" && v.Hide != want {
					t.Errorf("%s: showMultiCluster %t: cluster variable hide %d, want %d", name, show, v.Hide, want)
				}
			}
		}
		if n == 0 {
			t.Fatal("no dashboards rendered")
		}
	}
}

// TestDashboardProblemsCatches feeds the linter a dashboard with one of each
// mistake: each must be reported.
func TestDashboardProblemsCatches(t *testing.T) {
	bad := `{"uid": "u", "title": "t", "schemaVersion": 39, "time": {"from": "now-6h", "to": "now"},
	"templating": {"list": [
		{"name": "datasource", "type": "datasource", "query": "prometheus"},
		{"name": "cluster", "type": "query", "datasource": {"uid": "${datasource}"}, "hide": 2,
		 "query": {"query": "label_values(up{job=\"rtsec\"}, cluster)"}, "definition": "label_values(up{job=\"rtsec\"}, cluster)"},
		{"name": "datasource", "type": "datasource", "query": "prometheus"}]},
	"panels": [
		{"id": 1, "type": "stat", "title": "a", "datasource": {"uid": "${datasource}"}, "gridPos": {"x": 0, "y": 0, "w": 12, "h": 5},
		 "targets": [{"refId": "A", "datasource": {"uid": "${datasource}"}, "expr": "sum(rtsec_process_execs_total{job=\"rtsec\", cluster=\"$cluster\"})"}]},
		{"id": 2, "type": "graph", "title": "b", "datasource": {"uid": "prom"}, "gridPos": {"x": 6, "y": 4, "w": 20, "h": 5},
		 "targets": [{"refId": "A", "datasource": {"uid": "${datasource}"}, "expr": "up{job=\"rtsec\", instance=~\"$instance\"}"}]}]}`
	problems := strings.Join(dashboardProblems("bad.json", []byte(bad), "cluster", namespaced(t)), "\n")
	for _, want := range []string{
		`template variable "datasource" defined twice`,
		`panel "a" target A: rtsec_process_execs_total{job="rtsec", cluster="$cluster"} has namespaces but no namespace`,
		`shows series with namespaces but has no namespace variable`,
		`panel 2 "b": gridPos {X:6 Y:4 W:20 H:5} outside the 24-column grid`,
		`panel 2 "b": gridPos {X:6 Y:4 W:20 H:5} overlaps panel 1 "a"`,
		`panel 2 "b": type "graph"`,
		`panel 2 "b": datasource &{Type: UID:prom}, want uid ${datasource}`,
		`panel "b" target A: up{job="rtsec", instance=~"$instance"} lacks cluster="$cluster"`,
		`uses undefined variable $instance`,
	} {
		if !strings.Contains(problems, want) {
			t.Errorf("not reported: %s", want)
		}
	}
	if t.Failed() {
		t.Logf("reported:\n%s", problems)
	}
}

// TestParseMatchers checks the matcher reader the filter checks rely on.
func TestParseMatchers(t *testing.T) {
	ms, err := parseMatchers(`job="rtsec", cluster="$cluster",namespace=~"$namespace", container_id="", a!~"x\"}y"`)
	if err != nil {
		t.Fatal(err)
	}
	got := fmt.Sprint(ms)
	want := `[{job = rtsec} {cluster = $cluster} {namespace =~ $namespace} {container_id = } {a !~ x\"}y}]`
	if got != want {
		t.Errorf("parseMatchers = %s, want %s", got, want)
	}
	for _, bad := range []string{`a`, `a=b`, `a="b`, `="b"`} {
		if _, err := parseMatchers(bad); err == nil {
			t.Errorf("parseMatchers(%q) accepted", bad)
		}
	}
	sels := selectors(`sum(rate(a_total{x="}", y=~"$y"}[5m])) / b{c=""} + c`)
	if fmt.Sprint(sels) != `[{a_total x="}", y=~"$y"} {b c=""} {c }]` {
		t.Errorf("selectors = %v", sels)
	}
}
