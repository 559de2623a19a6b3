package render

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/rtsec/rtsec/exporter/metricdef"
	"github.com/rtsec/rtsec/internal/testenv"
)

// fixtureLabels are the label values of the test exporters' series: the same
// namespace, pod and container in both clusters.
var fixtureLabels = map[string]string{
	"container_id": "0123456789ab", "namespace": "shop", "pod": "web-1", "container": "web", "binary": "sh",
}

// fixtureExporter stands for one cluster's rtsec exporter: it serves every
// metric of metricdef as a container's series with each label's first value,
// the container's with each label's last value, and the host's (identity
// labels "", two host actors) with the first values. Counters grow by one at each scrape.
func fixtureExporter(t *testing.T) *httptest.Server {
	t.Helper()
	type variant struct {
		identity map[string]string
		last     bool
	}
	// The host's series carry its actor class in the container label
	// (docs/host.md): one of the node's daemons and a login session.
	host := func(actor string) map[string]string {
		h := map[string]string{}
		for _, l := range metricdef.Identity {
			h[l.Name] = ""
		}
		h["container"] = actor
		return h
	}
	variants := []variant{{fixtureLabels, false}, {fixtureLabels, true}, {host("runtime"), false}, {host("session"), false}}
	var scrapes atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		n := scrapes.Add(1)
		var b strings.Builder
		fmt.Fprintf(&b, "%s{version=\"test\"} 1\n", metricdef.BuildInfo)
		for _, d := range metricdef.All {
			value := int64(1)
			if d.Type == prometheus.CounterValue {
				value = n
			}
			seen := map[string]bool{}
			for _, v := range variants {
				var pairs []string
				for _, l := range d.Labels {
					lv, ok := v.identity[l.Name]
					switch {
					case ok:
					case len(l.Values) > 0 && v.last:
						lv = l.Values[len(l.Values)-1]
					case len(l.Values) > 0:
						lv = l.Values[0]
					case l.Example != "":
						lv = l.Example
					default:
						lv = "x"
					}
					pairs = append(pairs, fmt.Sprintf("%s=%q", l.Name, lv))
				}
				if series := strings.Join(pairs, ","); !seen[series] {
					seen[series] = true
					fmt.Fprintf(&b, "%s{%s} %d\n", d.Name, series, value)
				}
			}
		}
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		fmt.Fprint(w, b.String())
	}))
	t.Cleanup(srv.Close)
	return srv
}

// startPrometheus runs Debian's Prometheus on 127.0.0.1 with the mixin's rule
// files, scraping each target with the cluster label its key names.
func startPrometheus(t *testing.T, targets map[string]string) string {
	t.Helper()
	bin := testenv.RequireCommand(t, "prometheus")
	dir := t.TempDir()
	abs, err := filepath.Abs(root)
	if err != nil {
		t.Fatal(err)
	}
	var statics []string
	for cluster, target := range targets {
		statics = append(statics, fmt.Sprintf("      - targets: ['%s']\n        labels: {cluster: '%s'}\n", target, cluster))
	}
	sort.Strings(statics)
	config := fmt.Sprintf(`global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
rule_files: ['%s', '%s']
scrape_configs:
  - job_name: rtsec
    static_configs:
%s`, filepath.Join(abs, "alerts", "rtsec-rules.yaml"), filepath.Join(abs, "alerts", "rtsec-alerts.yaml"), strings.Join(statics, ""))
	if err := os.WriteFile(filepath.Join(dir, "prometheus.yml"), []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	log, err := os.Create(filepath.Join(dir, "prometheus.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer log.Close()
	cmd := exec.Command(bin, "--config.file="+filepath.Join(dir, "prometheus.yml"), "--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+addr)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		t.Fatalf("start prometheus: %v", err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	base := "http://" + addr
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(base + "/-/ready")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return base
			}
		}
		if time.Now().After(deadline) {
			out, _ := os.ReadFile(filepath.Join(dir, "prometheus.log"))
			t.Fatalf("prometheus not ready within 30s: %v\n%s", err, out)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// promSeries is one series of an instant query's result.
type promSeries struct {
	Metric map[string]string `json:"metric"`
}

// instantQuery evaluates expr now.
func instantQuery(base, expr string) ([]promSeries, error) {
	resp, err := http.Get(base + "/api/v1/query?query=" + url.QueryEscape(expr))
	if err != nil {
		return nil, fmt.Errorf("query: %w", err)
	}
	defer resp.Body.Close()
	var body struct {
		Status string `json:"status"`
		Error  string `json:"error"`
		Data   struct {
			ResultType string          `json:"resultType"`
			Result     json.RawMessage `json:"result"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		return nil, fmt.Errorf("decode query answer: %w", err)
	}
	if body.Status != "success" {
		return nil, fmt.Errorf("query %s: %s", expr, body.Error)
	}
	if body.Data.ResultType != "vector" {
		return nil, fmt.Errorf("query %s: result type %s, want vector", expr, body.Data.ResultType)
	}
	var out []promSeries
	if err := json.Unmarshal(body.Data.Result, &out); err != nil {
		return nil, fmt.Errorf("decode result: %w", err)
	}
	return out, nil
}

// labelValuesOf evaluates a variable's label_values(query, label) as Grafana does.
func labelValuesOf(base, query, label string) ([]string, error) {
	series, err := instantQuery(base, query)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var out []string
	for _, s := range series {
		if v, ok := s.Metric[label]; ok && !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	sort.Strings(out)
	return out, nil
}

// TestDashboardsTwoClusters runs the generated dashboards' queries on a real
// Prometheus holding two clusters with the same namespace, pod and container
// names: each cluster's selection shows only that cluster, every panel shows
// data, a cluster that does not exist shows nothing, and the variables list
// what a user would pick.
func TestDashboardsTwoClusters(t *testing.T) {
	a, b := fixtureExporter(t), fixtureExporter(t)
	base := startPrometheus(t, map[string]string{"a": strings.TrimPrefix(a.URL, "http://"), "b": strings.TrimPrefix(b.URL, "http://")})

	// The rules have evaluated on at least two scrapes of both clusters: the risk score, the last
	// rule of a chain, exists for the container and the two host actors of each (whatever labels it keeps).
	deadline := time.Now().Add(60 * time.Second)
	for {
		got, err := instantQuery(base, `namespace_pod_container:rtsec_risk:score`)
		if err == nil && len(got) == 6 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("risk score not recorded for 6 containers within 60s: %v %v", got, err)
		}
		time.Sleep(500 * time.Millisecond)
	}
	time.Sleep(3 * time.Second)

	// Grafana's interpolation for one selected value each.
	interpolate := func(expr, cluster string) string {
		return strings.NewReplacer("$__rate_interval", "1m", "$cluster", cluster, "$namespace", "shop",
			"$pod", ".*", "$container", ".*", "$instance", ".*").Replace(expr)
	}
	alwaysValued := regexp.MustCompile(`\bor vector\(`)
	var total int
	for name, d := range loadDashboards(t) {
		for _, v := range d.Templating.List {
			m := labelValues.FindStringSubmatch(v.Definition)
			if m == nil {
				continue
			}
			got, err := labelValuesOf(base, interpolate(m[1], "a"), m[2])
			if err != nil {
				t.Errorf("%s variable %s: %v", name, v.Name, err)
				continue
			}
			want := map[string]string{"cluster": "[a b]", "namespace": "[shop]", "pod": "[web-1]", "container": "[web]"}[v.Name]
			if want != "" && fmt.Sprint(got) != want {
				t.Errorf("%s variable %s offers %v, want %s", name, v.Name, got, want)
			}
		}
		for _, p := range d.Panels {
			// Whether alerts fire on the fixture is the alert tests' business, not the dashboards'.
			panelHasData, alertsOnly := false, true
			for i, tg := range p.Targets {
				where := fmt.Sprintf("%s panel %q target %d", name, p.Title, i)
				alertsOnly = alertsOnly && strings.Contains(tg.Expr, "ALERTS{")
				counts := map[string]int{}
				for _, cluster := range []string{"a", "b", "c"} {
					series, err := instantQuery(base, interpolate(tg.Expr, cluster))
					if err != nil {
						t.Errorf("%s: %v", where, err)
						continue
					}
					counts[cluster] = len(series)
					for _, s := range series {
						if c, ok := s.Metric["cluster"]; ok && c != cluster {
							t.Errorf("%s: cluster %s selected, series of cluster %s shown: %v", where, cluster, c, s.Metric)
						}
					}
				}
				total++
				if counts["c"] != 0 && !alwaysValued.MatchString(tg.Expr) {
					t.Errorf("%s: %d series for a cluster that does not exist: the query is not filtered by cluster", where, counts["c"])
				}
				if counts["a"] != counts["b"] {
					t.Errorf("%s: %d series for cluster a, %d for b, which hold the same series", where, counts["a"], counts["b"])
				}
				panelHasData = panelHasData || counts["a"] > 0
			}
			// Every series the panels show exists in both clusters: a panel empty for one
			// cluster filters on a label its series lost (a rule that drops the cluster label).
			if !panelHasData && !alertsOnly {
				t.Errorf("%s panel %q: no data for cluster a", name, p.Title)
			}
		}
	}
	if total == 0 {
		t.Fatal("no dashboard queries")
	}
}
