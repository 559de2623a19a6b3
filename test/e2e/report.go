package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Report is the detection report of a run: per scenario and in total.
type Report struct {
	Started time.Time `json:"started"`
	// Seconds is the run's duration, stack start to evaluation.
	Seconds   float64  `json:"seconds"`
	Scenarios []Result `json:"scenarios"`
	Totals    Totals   `json:"totals"`
	// Scrapes is how the exporter's scrapes went during the run.
	Scrapes Scrapes `json:"scrapes"`
	// Rules is how Prometheus's rule groups kept up.
	Rules RuleHealth `json:"rules"`
	// Evidence holds, for each forbidden alert, the series its rule read.
	Evidence []Evidence `json:"evidence,omitempty"`
}

// Evidence is what Prometheus held around a forbidden alert: its
// container's (or, for a pod, its namespace's) counters, container info and
// startup profile records, from before the action to the notification. A
// false positive seen once in CI is explained from these, not rerun.
type Evidence struct {
	Scenario string            `json:"scenario"`
	Variant  Variant           `json:"variant"`
	Alert    map[string]string `json:"alert"`
	Selector string            `json:"selector"`
	// Series is the data of Prometheus's range answer, as it sent it.
	Series json.RawMessage `json:"series"`
}

// EvidenceSelector selects what the rule of forbidden alert labels read:
// the counters, rtsec_container_info and startup profile records of its
// namespace (whose workloads' earlier containers are its profile) or, out
// of Kubernetes, of its container.
func EvidenceSelector(labels map[string]string) string {
	names := `__name__=~"rtsec_container_info|rtsec_.+_total|.+:(during_startup|after_startup|startup_unprofiled)"`
	if ns := labels["namespace"]; ns != "" {
		return fmt.Sprintf("{%s, namespace=%s}", names, strconv.Quote(ns))
	}
	return fmt.Sprintf("{%s, container_id=%s}", names, strconv.Quote(labels["container_id"]))
}

// Totals sum up a run. Time-to-alert is measured per expected alert: from
// its run's action (the first command of the attack) to the first webhook
// POST carrying it.
type Totals struct {
	// Scenarios counts the attack (non-benign) scenarios, Detected those
	// whose expected alerts all arrived in the late variant.
	Scenarios int `json:"scenarios"`
	Detected  int `json:"detected"`
	// FalsePositives counts distinct forbidden alerts on benign scenarios
	// (every alert, but for a first replica's allowed warnings);
	// StartupFalsePositives those of the benign startup suite, and
	// AllowedAlerts the benign scenarios' alerts their Forbid allows.
	FalsePositives        int `json:"false_positives"`
	StartupFalsePositives int `json:"startup_false_positives"`
	StartupScenarios      int `json:"startup_scenarios"`
	AllowedAlerts         int `json:"allowed_alerts_in_benign"`
	// ForbiddenInAttacks counts forbidden alerts raised by attack runs.
	ForbiddenInAttacks int `json:"forbidden_in_attacks"`
	// MedianSeconds and MaxSeconds are the late variant's time-to-alert.
	MedianSeconds float64 `json:"time_to_alert_median_seconds"`
	MaxSeconds    float64 `json:"time_to_alert_max_seconds"`
	// Variants sum up the attack runs per variant, in AllVariants order.
	Variants []VariantTotals `json:"variants"`
	// LateOnly are the attack scenarios without entrypoint and short-lived
	// variants, each with its reason.
	LateOnly []LateOnly `json:"late_only"`
}

// VariantTotals sum up the attack runs of one variant.
type VariantTotals struct {
	Variant Variant `json:"variant"`
	// Attempted counts the attack scenarios run in this variant, Detected
	// those whose expected alerts all arrived; Missed names the others.
	Attempted     int      `json:"attempted"`
	Detected      int      `json:"detected"`
	Missed        []string `json:"missed"`
	MedianSeconds float64  `json:"time_to_alert_median_seconds"`
	MaxSeconds    float64  `json:"time_to_alert_max_seconds"`
	// LifetimeMaxSeconds is the longest short-lived container's life;
	// AttackAfterStartMaxSeconds the longest delay from a container's start
	// to its entrypoint's attack (the Setup).
	LifetimeMaxSeconds         float64 `json:"lifetime_max_seconds,omitempty"`
	AttackAfterStartMaxSeconds float64 `json:"attack_after_start_max_seconds,omitempty"`
}

// LateOnly is an attack scenario that runs in the late variant only.
type LateOnly struct {
	Name   string `json:"name"`
	Reason string `json:"reason"`
}

// NewReport sums up results of a run that started at started.
func NewReport(results []Result, started time.Time) Report {
	r := Report{Started: started, Seconds: time.Since(started).Seconds(), Scenarios: results}
	latencies := map[Variant][]float64{}
	perVariant := map[Variant]*VariantTotals{}
	for _, v := range AllVariants {
		perVariant[v] = &VariantTotals{Variant: v, Missed: []string{}}
	}
	r.Totals.LateOnly = []LateOnly{}
	for _, res := range results {
		if res.Benign {
			r.Totals.FalsePositives += len(res.Forbidden)
			r.Totals.AllowedAlerts += len(res.Received) - len(res.Forbidden)
			if res.Startup {
				r.Totals.StartupScenarios++
				r.Totals.StartupFalsePositives += len(res.Forbidden)
			}
			continue
		}
		v := perVariant[res.Variant]
		if v == nil {
			continue
		}
		if res.Variant == Late {
			r.Totals.Scenarios++
			if res.Detected() {
				r.Totals.Detected++
			}
			if res.NoVariants != "" {
				r.Totals.LateOnly = append(r.Totals.LateOnly, LateOnly{Name: res.Name, Reason: res.NoVariants})
			}
		}
		v.Attempted++
		if res.Detected() {
			v.Detected++
		} else {
			v.Missed = append(v.Missed, res.Name)
		}
		v.LifetimeMaxSeconds = max(v.LifetimeMaxSeconds, res.Lifetime)
		v.AttackAfterStartMaxSeconds = max(v.AttackAfterStartMaxSeconds, res.AttackAfterStart)
		r.Totals.ForbiddenInAttacks += len(res.Forbidden)
		for _, e := range res.Expected {
			if e.Detected {
				latencies[res.Variant] = append(latencies[res.Variant], e.Alert.Seconds)
			}
		}
	}
	for _, v := range AllVariants {
		t := perVariant[v]
		t.MedianSeconds, t.MaxSeconds = medianMax(latencies[v])
		r.Totals.Variants = append(r.Totals.Variants, *t)
	}
	r.Totals.MedianSeconds, r.Totals.MaxSeconds = medianMax(latencies[Late])
	return r
}

// medianMax returns the median and maximum of xs, zeros for none.
func medianMax(xs []float64) (median, maximum float64) {
	if len(xs) == 0 {
		return 0, 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2], s[n-1]
	}
	return (s[n/2-1] + s[n/2]) / 2, s[n-1]
}

// Summary is the report's machine-readable lines; keep their form stable.
// The first is the late variant's and the benign scenarios', then one line
// per variant and one for the benign startup suite.
func (r Report) Summary() string {
	t := r.Totals
	b := &strings.Builder{}
	fmt.Fprintf(b, "e2e: detected %d/%d scenarios, false positives %d, time-to-alert median %.1fs max %.1fs",
		t.Detected, t.Scenarios, t.FalsePositives, t.MedianSeconds, t.MaxSeconds)
	for _, v := range t.Variants {
		fmt.Fprintf(b, "\ne2e %s: detected %d/%d, time-to-alert median %.1fs max %.1fs",
			v.Variant, v.Detected, v.Attempted, v.MedianSeconds, v.MaxSeconds)
	}
	fmt.Fprintf(b, "\ne2e startup suite: false positives %d in %d scenarios, allowed alerts in benign scenarios %d",
		t.StartupFalsePositives, t.StartupScenarios, t.AllowedAlerts)
	if r.Scrapes.Total > 0 {
		fmt.Fprintf(b, "\ne2e scrapes: %d/%d succeeded, longest %.2fs", r.Scrapes.OK, r.Scrapes.Total, r.Scrapes.MaxDuration)
	}
	return b.String()
}

// Markdown renders the report as a table of runs, the totals per variant
// and the late-only scenarios, without the summary lines (report.md ends
// with them).
func (r Report) Markdown() string {
	b := &strings.Builder{}
	fmt.Fprintf(b, "# rtsec e2e detection report\n\nRun started %s, took %.0fs.\n\n", r.Started.UTC().Format(time.RFC3339), r.Seconds)
	b.WriteString("| scenario | variant | kind | result | expected → time-to-alert | received | forbidden received |\n|---|---|---|---|---|---|---|\n")
	for _, s := range r.Scenarios {
		kind, result := "attack", "detected"
		switch {
		case s.Startup:
			kind, result = "benign startup", "quiet"
		case s.Benign:
			kind, result = "benign", "quiet"
		}
		switch {
		case !s.Detected():
			result = "**missed**"
		case len(s.Forbidden) > 0:
			result = "**forbidden alert**"
		case s.Benign && len(s.Received) > 0:
			result = "allowed alerts only"
		}
		var expected []string
		for _, e := range s.Expected {
			at := "not received"
			if e.Detected {
				at = fmt.Sprintf("%.1fs", e.Alert.Seconds)
			}
			expected = append(expected, fmt.Sprintf("`%s` → %s", e.Match, at))
		}
		fmt.Fprintf(b, "| %s | %s | %s | %s | %s | %s | %s |\n", s.Name, s.Variant, kind, result,
			orNone(expected), orNone(alertNames(s.Received)), orNone(alertNames(s.Forbidden)))
	}
	t := r.Totals
	b.WriteString("\n| variant | detected/attempted | time-to-alert median | max | longest start→attack | longest lifetime | missed |\n|---|---|---|---|---|---|---|\n")
	for _, v := range t.Variants {
		fmt.Fprintf(b, "| %s | %d/%d | %.1fs | %.1fs | %s | %s | %s |\n", v.Variant, v.Detected, v.Attempted,
			v.MedianSeconds, v.MaxSeconds, seconds(v.AttackAfterStartMaxSeconds), seconds(v.LifetimeMaxSeconds), orNone(v.Missed))
	}
	if len(t.LateOnly) > 0 {
		b.WriteString("\nAttack scenarios without every variant (late only, unless the reason says otherwise):\n\n")
		for _, l := range t.LateOnly {
			fmt.Fprintf(b, "- %s: %s.\n", l.Name, l.Reason)
		}
	}
	if r.Scrapes.Total > 0 {
		fmt.Fprintf(b, "\nScrapes of the exporter: %d/%d succeeded, the longest took %.2fs (timeout 1s).\n",
			r.Scrapes.OK, r.Scrapes.Total, r.Scrapes.MaxDuration)
	}
	if r.Rules.Iterations > 0 {
		fmt.Fprintf(b, "\nRule group evaluations: %d of %d iterations missed (a group slower than the 1s interval skips them; its alerts come that much later).\n",
			r.Rules.Missed, r.Rules.Iterations)
	}
	fmt.Fprintf(b, "\n**Totals:** detection rate (late) %d/%d scenarios, false positives on the benign set %d "+
		"(startup suite %d in %d scenarios; alerts the benign scenarios allow %d), forbidden alerts in attack runs %d, "+
		"late time-to-alert median %.1fs, max %.1fs.\n",
		t.Detected, t.Scenarios, t.FalsePositives, t.StartupFalsePositives, t.StartupScenarios, t.AllowedAlerts,
		t.ForbiddenInAttacks, t.MedianSeconds, t.MaxSeconds)
	if len(r.Evidence) > 0 {
		fmt.Fprintf(b, "\nThe series behind the %d forbidden alerts are in report.json (evidence).\n", len(r.Evidence))
	}
	return b.String()
}

// seconds is a table cell of a duration in seconds, "—" for none.
func seconds(s float64) string {
	if s == 0 {
		return "—"
	}
	return fmt.Sprintf("%.1fs", s)
}

// alertNames lists received alerts as name{binary} with counts of repeats.
func alertNames(rs []Received) []string {
	counts := map[string]int{}
	var names []string
	for _, got := range rs {
		name := got.Labels["alertname"]
		if b := got.Labels["binary"]; b != "" {
			name += "{" + b + "}"
		}
		if counts[name] == 0 {
			names = append(names, name)
		}
		counts[name]++
	}
	for i, name := range names {
		if counts[name] > 1 {
			names[i] = fmt.Sprintf("%s ×%d", name, counts[name])
		}
	}
	return names
}

// orNone joins items for a table cell, "—" for none. Runs of many items
// (the overflow scenario's per-binary alerts) are cut short.
func orNone(items []string) string {
	const most = 8
	switch {
	case len(items) == 0:
		return "—"
	case len(items) > most:
		return strings.Join(items[:most], ", ") + fmt.Sprintf(", … (%d more)", len(items)-most)
	}
	return strings.Join(items, ", ")
}

// Write stores the report in dir as report.json and report.md.
func (r Report) Write(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("report dir: %w", err)
	}
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return fmt.Errorf("encode report: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "report.json"), append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "report.md"), []byte(r.Markdown()+"\n"+r.Summary()+"\n"), 0o644); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	return nil
}
