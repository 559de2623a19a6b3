// Package e2e is rtsec's end-to-end detection harness: the real exporter,
// Prometheus with rules generated from the mixin, Alertmanager and a
// recording webhook on 127.0.0.1, and attack and benign scenarios run in
// real runc containers whose alerts are checked at the webhook.
package e2e

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rtsec/rtsec/internal/testenv"
	"github.com/rtsec/rtsec/test/exporter"
)

// Binaries of Debian's prometheus and prometheus-alertmanager packages.
const (
	PrometheusBinary   = "prometheus"
	AlertmanagerBinary = "prometheus-alertmanager"
)

// Options configures a Stack.
type Options struct {
	// Fast generates the rules with Overrides (what the scenarios expect);
	// false loads the mixin as shipped.
	Fast bool
	// ExporterArgs are extra flags of the exporter.
	ExporterArgs []string
	// OnNotify, when not nil, is called with each webhook notification.
	OnNotify func(Notification)
}

// Stack is a running exporter → Prometheus → Alertmanager → webhook
// pipeline on 127.0.0.1. Its URLs are what a scenario run needs.
type Stack struct {
	Exporter        string `json:"exporter"`
	Prometheus      string `json:"prometheus"`
	Alertmanager    string `json:"alertmanager"`
	Webhook         string `json:"webhook"`
	Rules           string `json:"rules"`
	Fast            bool   `json:"fast"`
	exporterProcess *exporter.Exporter
}

// Start starts the pipeline and stops every part of it when t ends. It
// skips (fails in CI) without root, Prometheus or Alertmanager.
func Start(t testing.TB, opts Options) *Stack {
	t.Helper()
	testenv.RequireRoot(t)
	prometheus := testenv.RequireCommand(t, PrometheusBinary)
	alertmanager := testenv.RequireCommand(t, AlertmanagerBinary)
	dir := t.TempDir()
	rules, err := RenderRules(filepath.Join(dir, "mixin"), opts.Fast)
	if err != nil {
		t.Fatal(err)
	}
	s := &Stack{Rules: filepath.Dir(rules[0]), Fast: opts.Fast}
	s.Webhook = StartWebhook(t, opts.OnNotify).URL

	amAddr := exporter.FreeAddress(t)
	amDir := filepath.Join(dir, "alertmanager")
	writeFile(t, filepath.Join(amDir, "alertmanager.yml"), alertmanagerConfig(s.Webhook))
	s.Alertmanager = "http://" + amAddr
	startDaemon(t, "alertmanager", amDir, s.Alertmanager+"/-/ready", alertmanager,
		"--config.file="+filepath.Join(amDir, "alertmanager.yml"),
		"--storage.path="+filepath.Join(amDir, "data"),
		"--web.listen-address="+amAddr,
		"--cluster.listen-address=",
	)

	// The default per-container rate limit: it keeps the host's other
	// workloads (BPF loaders' sensitive syscalls on a shared machine) from
	// spending the CPUs' budget before the scenarios' lines. The per-CPU
	// budget is four times the default: the run starts about 180 containers
	// and CRI pods in three minutes, bursts a node sees only in a mass
	// rollout, and at the default a container's second line in such a
	// second can be refused (counted as rate_limited), which the event
	// checks would report as missing.
	// Its own integrity state file: other exporters on the host (other
	// tests) rewrite the default one, and each rewrite reloads the baseline.
	flags := append(slices.Clone(ExporterFlags), "--events.rate-limit=200",
		"--collector.integrity.state-file="+filepath.Join(dir, "integrity.json"))
	s.exporterProcess = exporter.Start(t, append(flags, opts.ExporterArgs...)...)
	s.Exporter = s.exporterProcess.URL
	target, err := url.Parse(s.Exporter)
	if err != nil {
		t.Fatalf("exporter URL: %v", err)
	}

	promAddr := exporter.FreeAddress(t)
	promDir := filepath.Join(dir, "prometheus")
	writeFile(t, filepath.Join(promDir, "prometheus.yml"), prometheusConfig(target.Host, target.Path, amAddr, rules))
	s.Prometheus = "http://" + promAddr
	startDaemon(t, "prometheus", promDir, s.Prometheus+"/-/ready", prometheus,
		"--config.file="+filepath.Join(promDir, "prometheus.yml"),
		"--storage.tsdb.path="+filepath.Join(promDir, "data"),
		"--web.listen-address="+promAddr,
		// Keeps the exemplars linking counters to event log lines.
		"--enable-feature=exemplar-storage",
	)
	if err := s.waitPipeline(30 * time.Second); err != nil {
		t.Fatal(err)
	}
	return s
}

// waitPipeline waits until Prometheus scrapes the exporter and knows the
// Alertmanager (its discovery updates every 5s): until then an alert would
// wait, and time-to-alert would measure the start-up.
func (s *Stack) waitPipeline(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		var ams struct {
			Data struct {
				Active []json.RawMessage `json:"activeAlertmanagers"`
			} `json:"data"`
		}
		var up struct {
			Data struct {
				Result []struct {
					Value []any `json:"value"`
				} `json:"result"`
			} `json:"data"`
		}
		errAM := getJSON(s.Prometheus+"/api/v1/alertmanagers", &ams)
		errUp := getJSON(s.Prometheus+"/api/v1/query?query="+url.QueryEscape(`up{job="rtsec"}`), &up)
		ready := errAM == nil && errUp == nil && len(ams.Data.Active) > 0 &&
			len(up.Data.Result) == 1 && len(up.Data.Result[0].Value) == 2 && up.Data.Result[0].Value[1] == "1"
		if ready {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("pipeline not ready within %v: alertmanagers %d (%v), up{job=\"rtsec\"} %v (%v)",
				timeout, len(ams.Data.Active), errAM, up.Data.Result, errUp)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// getJSON decodes the JSON answer of a GET into v.
func getJSON(u string, v any) error {
	resp, err := http.Get(u)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", u, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		return fmt.Errorf("GET %s: %w", u, err)
	}
	return nil
}

// Scrapes is how Prometheus's scrapes of the exporter went over a run: a
// failed scrape (slower than the 1s timeout, on a starved machine) loses
// the samples every detection needs, so the report shows it.
type Scrapes struct {
	OK          int     `json:"ok"`
	Total       int     `json:"total"`
	MaxDuration float64 `json:"max_duration_seconds"`
}

// ScrapeHealth counts the successful and all scrapes of the exporter since
// start and their longest duration.
func (s *Stack) ScrapeHealth(start time.Time) (Scrapes, error) {
	window := fmt.Sprintf("%ds", int(time.Since(start).Seconds())+1)
	var h Scrapes
	for _, q := range []struct {
		expr string
		set  func(float64)
	}{
		{`sum_over_time(up{job="rtsec"}[` + window + `])`, func(v float64) { h.OK = int(v) }},
		{`count_over_time(up{job="rtsec"}[` + window + `])`, func(v float64) { h.Total = int(v) }},
		{`max_over_time(scrape_duration_seconds{job="rtsec"}[` + window + `])`, func(v float64) { h.MaxDuration = v }},
	} {
		var answer struct {
			Data struct {
				Result []struct {
					Value []any `json:"value"`
				} `json:"result"`
			} `json:"data"`
		}
		if err := getJSON(s.Prometheus+"/api/v1/query?query="+url.QueryEscape(q.expr), &answer); err != nil {
			return h, err
		}
		if len(answer.Data.Result) != 1 || len(answer.Data.Result[0].Value) != 2 {
			return h, fmt.Errorf("%s: %d series, want 1", q.expr, len(answer.Data.Result))
		}
		v, err := strconv.ParseFloat(fmt.Sprint(answer.Data.Result[0].Value[1]), 64)
		if err != nil {
			return h, fmt.Errorf("%s: %w", q.expr, err)
		}
		q.set(v)
	}
	return h, nil
}

// RuleHealth is how Prometheus's rule groups kept up over a run: a group
// whose evaluation outlasts the 1s interval skips iterations, and its
// alerts come that much later.
type RuleHealth struct {
	Iterations int `json:"iterations"`
	Missed     int `json:"missed"`
}

// RuleHealth sums the iterations of every rule group and those missed, from
// Prometheus's own metrics.
func (s *Stack) RuleHealth() (RuleHealth, error) {
	resp, err := http.Get(s.Prometheus + "/metrics")
	if err != nil {
		return RuleHealth{}, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return RuleHealth{}, fmt.Errorf("GET %s/metrics: %s", s.Prometheus, resp.Status)
	}
	var h RuleHealth
	var groups int
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		name, rest, ok := strings.Cut(sc.Text(), "{")
		var sum *int
		switch {
		case !ok:
			continue
		case name == "prometheus_rule_group_iterations_total":
			sum = &h.Iterations
			groups++
		case name == "prometheus_rule_group_iterations_missed_total":
			sum = &h.Missed
		default:
			continue
		}
		fields := strings.Fields(rest)
		v, err := strconv.ParseFloat(fields[len(fields)-1], 64)
		if err != nil {
			return h, fmt.Errorf("%s: %w", sc.Text(), err)
		}
		*sum += int(v)
	}
	if err := sc.Err(); err != nil {
		return h, err
	}
	if groups == 0 {
		return h, fmt.Errorf("%s/metrics: no prometheus_rule_group_iterations_total", s.Prometheus)
	}
	return h, nil
}

// ExemplarEventIDs returns the event_id of every exemplar Prometheus stored
// for metric since start.
func (s *Stack) ExemplarEventIDs(metric string, start time.Time) ([]string, error) {
	var answer struct {
		Data []struct {
			Exemplars []struct {
				Labels map[string]string `json:"labels"`
			} `json:"exemplars"`
		} `json:"data"`
	}
	q := url.Values{"query": {metric}, "start": {fmt.Sprint(start.Unix())}, "end": {fmt.Sprint(time.Now().Unix() + 1)}}
	if err := getJSON(s.Prometheus+"/api/v1/query_exemplars?"+q.Encode(), &answer); err != nil {
		return nil, err
	}
	var ids []string
	for _, series := range answer.Data {
		for _, e := range series.Exemplars {
			ids = append(ids, e.Labels["event_id"])
		}
	}
	return ids, nil
}

// Series returns Prometheus's range answer (its data field, as sent) to
// selector between start and end at a one-second step: the evidence of a
// forbidden alert, read before the stack goes.
func (s *Stack) Series(selector string, start, end time.Time) (json.RawMessage, error) {
	var answer struct {
		Data json.RawMessage `json:"data"`
	}
	q := url.Values{"query": {selector}, "start": {fmt.Sprint(start.Unix())}, "end": {fmt.Sprint(end.Unix() + 1)}, "step": {"1"}}
	if err := getJSON(s.Prometheus+"/api/v1/query_range?"+q.Encode(), &answer); err != nil {
		return nil, err
	}
	return answer.Data, nil
}

// ExporterOutput is what the exporter logged so far.
func (s *Stack) ExporterOutput() string { return s.exporterProcess.Output() }

// prometheusConfig scrapes the exporter as job "rtsec" and evaluates the
// rules every second, sending alerts to the Alertmanager at amAddr.
func prometheusConfig(target, metricsPath, amAddr string, rules []string) string {
	return fmt.Sprintf(`global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
rule_files: [%s]
alerting:
  alertmanagers:
    - static_configs:
        - targets: ['%s']
scrape_configs:
  - job_name: rtsec
    metrics_path: '%s'
    static_configs:
      - targets: ['%s']
`, quoteAll(rules), amAddr, metricsPath, target)
}

// alertmanagerConfig sends each alert on its own (group_by '...') to the
// webhook a second after it fires, and never repeats it during a run.
func alertmanagerConfig(webhook string) string {
	return fmt.Sprintf(`route:
  receiver: webhook
  group_by: ['...']
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 24h
receivers:
  - name: webhook
    webhook_configs:
      - url: '%s'
        send_resolved: true
`, webhook)
}

func quoteAll(items []string) string {
	quoted := make([]string, len(items))
	for i, s := range items {
		quoted[i] = "'" + s + "'"
	}
	return strings.Join(quoted, ", ")
}

func writeFile(t testing.TB, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// StateFile is where cmd/stack writes the running stack's URLs for
// cmd/scenario.
func StateFile() string { return filepath.Join(os.TempDir(), "rtsec-e2e-stack.json") }

// Save writes the stack's URLs to path.
func (s *Stack) Save(path string) error {
	data, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return fmt.Errorf("encode stack: %w", err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		return fmt.Errorf("write stack state: %w", err)
	}
	return nil
}

// Load reads the URLs of a stack saved to path.
func Load(path string) (*Stack, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read stack state: %w", err)
	}
	var s Stack
	if err := json.Unmarshal(data, &s); err != nil {
		return nil, fmt.Errorf("decode stack state %s: %w", path, err)
	}
	return &s, nil
}
