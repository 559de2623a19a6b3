package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rtsec/rtsec/internal/testenv"
	"github.com/rtsec/rtsec/test/containerd"
)

// ReportDirEnv names a directory the report is also written to (e.g.
// test/e2e/report); unset, it goes to a temporary directory only.
const ReportDirEnv = "RTSEC_E2E_REPORT_DIR"

// ScenariosEnv is a regular expression of the scenario names to run
// (e.g. "^file-"); unset, all run.
const ScenariosEnv = "RTSEC_E2E_SCENARIOS"

// summary is TestE2E's summary line, printed by TestMain as the last line
// of the output.
var summary string

func TestMain(m *testing.M) {
	code := m.Run()
	if summary != "" {
		fmt.Println(summary)
	}
	os.Exit(code)
}

// TestE2E runs every scenario against a real exporter → Prometheus →
// Alertmanager → webhook pipeline and writes the detection report.
func TestE2E(t *testing.T) {
	started := time.Now()
	scenarios := Scenarios
	if expr := os.Getenv(ScenariosEnv); expr != "" {
		re, err := regexp.Compile(expr)
		if err != nil {
			t.Fatalf("%s: %v", ScenariosEnv, err)
		}
		scenarios = slices.DeleteFunc(slices.Clone(Scenarios), func(s Scenario) bool { return !re.MatchString(s.Name) })
	}
	opts := Options{Fast: true}
	var cri *containerd.Daemon
	if slices.ContainsFunc(scenarios, func(s Scenario) bool { return s.CRI }) {
		// Before the exporter, which reads pod names from its CRI.
		cri = containerd.Start(t)
		opts.ExporterArgs = append(opts.ExporterArgs, "--runtime.cri-socket="+cri.Socket())
	}
	stack := Start(t, opts)
	t.Logf("stack: exporter %s, prometheus %s, alertmanager %s, webhook %s, rules %s",
		stack.Exporter, stack.Prometheus, stack.Alertmanager, stack.Webhook, stack.Rules)
	results := Run(t, Harness{Webhook: stack.Webhook, CRI: cri}, scenarios, DefaultTiming)
	report := NewReport(results, started)
	scrapes, err := stack.ScrapeHealth(started)
	report.Scrapes = scrapes
	if err != nil {
		t.Errorf("scrape health: %v", err)
	}
	if report.Rules, err = stack.RuleHealth(); err != nil {
		t.Errorf("rule health: %v", err)
	}
	if s := report.Scrapes; s.OK < s.Total*9/10 {
		t.Logf("only %d of %d scrapes of the exporter succeeded (longest %.2fs): the machine is too loaded for 1s scrapes, detections miss samples", s.OK, s.Total, s.MaxDuration)
	}

	for _, r := range results {
		for _, f := range r.Forbidden {
			from := r.Action
			if from.IsZero() {
				from = started
			}
			sel := EvidenceSelector(f.Labels)
			series, err := stack.Series(sel, from.Add(-30*time.Second), f.Received.Add(5*time.Second))
			if err != nil {
				t.Errorf("evidence of %s: %v", r.Name, err)
				continue
			}
			report.Evidence = append(report.Evidence, Evidence{Scenario: r.Name, Variant: r.Variant, Alert: f.Labels, Selector: sel, Series: series})
		}
	}

	dir, err := os.MkdirTemp("", "rtsec-e2e-report-")
	if err != nil {
		t.Fatal(err)
	}
	dirs := []string{dir}
	if extra := os.Getenv(ReportDirEnv); extra != "" {
		dirs = append(dirs, extra)
	}
	for _, d := range dirs {
		if err := report.Write(d); err != nil {
			t.Error(err)
		}
	}
	fmt.Print(report.Markdown())
	fmt.Printf("\nreport written to %s (report.json, report.md)\n", strings.Join(dirs, " and "))
	summary = report.Summary()

	events := stack.ExporterOutput()
	for _, s := range scenarios {
		t.Run(s.Name, func(t *testing.T) {
			for _, r := range results {
				if r.Name != s.Name {
					continue
				}
				t.Run(string(r.Variant), func(t *testing.T) {
					for _, e := range MissingEvents(s, r.Containers, events) {
						t.Errorf("expected event log line %s, not written", e)
					}
					for _, e := range r.Expected {
						if !e.Detected {
							t.Errorf("expected %s within %v of the action, not received; received: %s",
								e.Match, DefaultTiming.Timeout, orNone(alertNames(r.Received)))
						}
					}
					for _, f := range r.Forbidden {
						t.Errorf("forbidden alert received %.1fs after the action: %v", f.Seconds, f.Labels)
					}
					if r.Variant == ShortLived && r.Lifetime > shortLifetime.Seconds() {
						t.Errorf("the short-lived container lived %.1fs, more than %v", r.Lifetime, shortLifetime)
					}
				})
			}
		})
	}
	t.Run("exemplars", func(t *testing.T) {
		if os.Getenv(ScenariosEnv) != "" {
			t.Skipf("%s selects scenarios: the exemplars need the whole table's execs and reads", ScenariosEnv)
		}
		// Prometheus negotiated OpenMetrics and stored exemplars that name
		// lines of the event log.
		output := stack.ExporterOutput()
		for _, metric := range []string{"rtsec_process_suspicious_execs_total", "rtsec_file_sensitive_reads_total"} {
			ids, err := stack.ExemplarEventIDs(metric, started)
			if err != nil {
				t.Fatal(err)
			}
			if len(ids) == 0 {
				t.Errorf("Prometheus stored no exemplar of %s", metric)
			}
			for _, id := range ids {
				if id == "" || !strings.Contains(output, `"event_id":"`+id+`"`) {
					t.Errorf("%s: exemplar event_id %q names no line of the event log", metric, id)
				}
			}
		}
	})
	if t.Failed() {
		t.Logf("exporter output:\n%s", stack.ExporterOutput())
	}
}

// TestScenarioTable checks the table: unique names, an action or steps
// each, benign scenarios that forbid and expect nothing else, and attacks
// that either run in every variant or say why not.
func TestScenarioTable(t *testing.T) {
	seen := map[string]bool{}
	for _, s := range Scenarios {
		if s.Name == "" || seen[s.Name] || (s.Action == nil) == (len(s.Steps) == 0) || s.Description == "" {
			t.Errorf("scenario %q: needs a unique name, a description and either an action or steps", s.Name)
		}
		if !s.Benign && len(s.Steps) == 0 && s.NoVariants == "" {
			t.Errorf("attack scenario %s has an Action, not Steps: it needs NoVariants, the reason it runs late only", s.Name)
		}
		if len(s.Variants()) > 1 && s.Container.Args != nil {
			t.Errorf("attack scenario %s sets its container's Args: its entrypoint variants replace them", s.Name)
		}
		if s.CRI && (s.Action == nil || s.Setup != nil) {
			t.Errorf("CRI scenario %s: needs an Action (running its pods) and no Setup (it has no runc container)", s.Name)
		}
		if s.Startup && !s.Benign {
			t.Errorf("startup suite scenario %s must be benign", s.Name)
		}
		seen[s.Name] = true
		if s.Benign && (len(s.Expect) > 0 || len(s.Forbid) == 0) {
			t.Errorf("benign scenario %s: expects %v, forbids %v; want nothing expected and something forbidden", s.Name, s.Expect, s.Forbid)
		}
		if !s.Benign && len(s.Expect) == 0 {
			t.Errorf("attack scenario %s expects no alert", s.Name)
		}
	}
}

// TestEvaluate checks matching: own containers only, expected alerts only
// after the action, forbidden ones whenever, resolved ones never.
func TestEvaluate(t *testing.T) {
	action := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	alert := func(status, name, container, binary string) Alert {
		return Alert{Status: status, Labels: map[string]string{"alertname": name, "container_id": container, "binary": binary}}
	}
	ns := []Notification{
		{Received: action.Add(-time.Second), Alerts: []Alert{alert("firing", "RtsecMinerExecuted", "", "xmrig")}},
		{Received: action.Add(2 * time.Second), Alerts: []Alert{alert("firing", "RtsecShellInContainer", "other", "sh")}},
		{Received: action.Add(3 * time.Second), Alerts: []Alert{alert("firing", "RtsecShellInContainer", "mine", "sh")}},
		{Received: action.Add(4 * time.Second), Alerts: []Alert{alert("firing", "RtsecShellInContainer", "mine", "sh"), alert("firing", "RtsecNetworkToolInContainer", "mine", "nc")}},
		{Received: action.Add(5 * time.Second), Alerts: []Alert{alert("resolved", "RtsecMinerExecuted", "mine", "xmrig")}},
	}
	cases := []struct {
		name          string
		scenario      Scenario
		wantDetected  []bool
		wantSeconds   float64
		wantReceived  int
		wantForbidden int
	}{
		{
			name:         "own container, first notification",
			scenario:     Scenario{Expect: []Match{Named("RtsecShellInContainer", "binary", "sh")}},
			wantDetected: []bool{true}, wantSeconds: 3, wantReceived: 2,
		},
		{
			name:         "host alert before the action does not count",
			scenario:     Scenario{Expect: []Match{Named("RtsecMinerExecuted", "container_id", "")}},
			wantDetected: []bool{false}, wantReceived: 2,
		},
		{
			name:         "resolved alerts are not received",
			scenario:     Scenario{Expect: []Match{Named("RtsecMinerExecuted")}},
			wantDetected: []bool{false}, wantReceived: 2,
		},
		{
			name:         "forbidden",
			scenario:     Scenario{Benign: true, Forbid: anyAlert},
			wantDetected: nil, wantReceived: 2, wantForbidden: 2,
		},
		{
			name:         "forbidden by name",
			scenario:     Scenario{Forbid: []Match{Named("RtsecNetworkToolInContainer")}},
			wantDetected: nil, wantReceived: 2, wantForbidden: 1,
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := Evaluate(c.scenario, []string{"mine"}, action, ns)
			var detected []bool
			for i, e := range r.Expected {
				detected = append(detected, e.Detected)
				if e.Detected && i == 0 && e.Alert.Seconds != c.wantSeconds {
					t.Errorf("time-to-alert = %v, want %v", e.Alert.Seconds, c.wantSeconds)
				}
			}
			if fmt.Sprint(detected) != fmt.Sprint(c.wantDetected) {
				t.Errorf("detected = %v, want %v", detected, c.wantDetected)
			}
			if len(r.Received) != c.wantReceived || len(r.Forbidden) != c.wantForbidden {
				t.Errorf("received %d, forbidden %d; want %d, %d", len(r.Received), len(r.Forbidden), c.wantReceived, c.wantForbidden)
			}
		})
	}
}

// TestSummary pins the summary line's form.
func TestSummary(t *testing.T) {
	got := func(s float64) *Received { return &Received{Seconds: s} }
	results := []Result{
		{Name: "a", Variant: Late, Expected: []Expected{{Detected: true, Alert: got(2)}, {Detected: true, Alert: got(4.25)}}},
		{Name: "a", Variant: Entrypoint, Expected: []Expected{{Detected: true, Alert: got(5)}, {Detected: false}}},
		{Name: "a", Variant: ShortLived, Expected: []Expected{{Detected: true, Alert: got(6)}, {Detected: true, Alert: got(8)}}},
		{Name: "b", Variant: Late, Expected: []Expected{{Detected: true, Alert: got(3)}, {Detected: false}}},
		{Name: "c", Variant: Late, Benign: true, Received: []Received{{}}, Forbidden: []Received{{}}},
		{Name: "d", Variant: Late, Benign: true, Startup: true, Received: []Received{{}}},
	}
	want := "e2e: detected 1/2 scenarios, false positives 1, time-to-alert median 3.0s max 4.2s\n" +
		"e2e late: detected 1/2, time-to-alert median 3.0s max 4.2s\n" +
		"e2e entrypoint: detected 0/1, time-to-alert median 5.0s max 5.0s\n" +
		"e2e short-lived: detected 1/1, time-to-alert median 7.0s max 8.0s\n" +
		"e2e startup suite: false positives 0 in 1 scenarios, allowed alerts in benign scenarios 1"
	if s := NewReport(results, time.Now()).Summary(); s != want {
		t.Errorf("summary = %q, want %q", s, want)
	}
}

// TestRulesRender generates the e2e rules and checks them with promtool.
func TestRulesRender(t *testing.T) {
	for _, fast := range []bool{true, false} {
		dir := t.TempDir()
		files, err := RenderRules(dir, fast)
		if err != nil {
			t.Fatal(err)
		}
		data, err := os.ReadFile(filepath.Join(dir, "alerts", "rtsec-alerts.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		if fast != strings.Contains(string(data), "increase1m") {
			t.Errorf("fast=%v: alerts use the 1m event window: %v, want %v", fast, !fast, fast)
		}
		promtool := testenv.RequireCommand(t, "promtool")
		if out, err := exec.Command(promtool, append([]string{"check", "rules"}, files...)...).CombinedOutput(); err != nil {
			t.Errorf("promtool check rules (fast=%v): %v\n%s", fast, err, out)
		}
	}
}

// TestEvidenceSelector checks that a forbidden alert's evidence selects its
// pod's namespace or its container, and is PromQL (promtool) even when a
// label value is hostile.
func TestEvidenceSelector(t *testing.T) {
	cases := []struct {
		labels map[string]string
		want   string
	}{
		{map[string]string{"namespace": "db", "pod": "pg-1", "container_id": "0706"}, `namespace="db"}`},
		{map[string]string{"namespace": "", "container_id": "rtsec-test-1"}, `container_id="rtsec-test-1"}`},
		{map[string]string{"namespace": "a\"b\\c\nd"}, `namespace="a\"b\\c\nd"}`},
	}
	rules := "groups:\n- name: evidence\n  rules:\n"
	for i, c := range cases {
		sel := EvidenceSelector(c.labels)
		if !strings.HasSuffix(sel, c.want) || !strings.Contains(sel, "rtsec_container_info|") {
			t.Errorf("EvidenceSelector(%v) = %s, want it to end in %s", c.labels, sel, c.want)
		}
		quoted, err := json.Marshal(sel)
		if err != nil {
			t.Fatal(err)
		}
		rules += fmt.Sprintf("  - record: evidence_%d\n    expr: %s\n", i, quoted)
	}
	file := filepath.Join(t.TempDir(), "evidence.yaml")
	if err := os.WriteFile(file, []byte(rules), 0o644); err != nil {
		t.Fatal(err)
	}
	promtool := testenv.RequireCommand(t, "promtool")
	if out, err := exec.Command(promtool, "check", "rules", file).CombinedOutput(); err != nil {
		t.Errorf("promtool check rules: %v\n%s", err, out)
	}
}
