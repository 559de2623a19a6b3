package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
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
}

// Totals sum up a run. Time-to-alert is measured per expected alert: from
// its scenario's action to the first webhook POST carrying it.
type Totals struct {
	// Scenarios counts the attack (non-benign) scenarios, Detected those
	// whose expected alerts all arrived.
	Scenarios int `json:"scenarios"`
	Detected  int `json:"detected"`
	// FalsePositives counts distinct alerts on benign scenarios.
	FalsePositives int `json:"false_positives"`
	// ForbiddenInAttacks counts forbidden alerts raised by attack scenarios.
	ForbiddenInAttacks int     `json:"forbidden_in_attacks"`
	MedianSeconds      float64 `json:"time_to_alert_median_seconds"`
	MaxSeconds         float64 `json:"time_to_alert_max_seconds"`
}

// NewReport sums up results of a run that started at started.
func NewReport(results []Result, started time.Time) Report {
	r := Report{Started: started, Seconds: time.Since(started).Seconds(), Scenarios: results}
	var latencies []float64
	for _, res := range results {
		if res.Benign {
			r.Totals.FalsePositives += len(res.Received)
			continue
		}
		r.Totals.Scenarios++
		if res.Detected() {
			r.Totals.Detected++
		}
		r.Totals.ForbiddenInAttacks += len(res.Forbidden)
		for _, e := range res.Expected {
			if e.Detected {
				latencies = append(latencies, e.Alert.Seconds)
			}
		}
	}
	r.Totals.MedianSeconds, r.Totals.MaxSeconds = medianMax(latencies)
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

// Summary is the report's one machine-readable line; keep its form stable.
func (r Report) Summary() string {
	return fmt.Sprintf("e2e: detected %d/%d scenarios, false positives %d, time-to-alert median %.1fs max %.1fs",
		r.Totals.Detected, r.Totals.Scenarios, r.Totals.FalsePositives, r.Totals.MedianSeconds, r.Totals.MaxSeconds)
}

// Markdown renders the report as a table of scenarios and the totals,
// without the summary line (report.md ends with it).
func (r Report) Markdown() string {
	b := &strings.Builder{}
	fmt.Fprintf(b, "# rtsec e2e detection report\n\nRun started %s, took %.0fs.\n\n", r.Started.UTC().Format(time.RFC3339), r.Seconds)
	b.WriteString("| scenario | kind | result | expected → time-to-alert | received | forbidden received |\n|---|---|---|---|---|---|\n")
	for _, s := range r.Scenarios {
		kind, result := "attack", "detected"
		if s.Benign {
			kind, result = "benign", "quiet"
		}
		switch {
		case !s.Detected():
			result = "**missed**"
		case len(s.Forbidden) > 0:
			result = "**forbidden alert**"
		}
		var expected []string
		for _, e := range s.Expected {
			at := "not received"
			if e.Detected {
				at = fmt.Sprintf("%.1fs", e.Alert.Seconds)
			}
			expected = append(expected, fmt.Sprintf("`%s` → %s", e.Match, at))
		}
		fmt.Fprintf(b, "| %s | %s | %s | %s | %s | %s |\n", s.Name, kind, result,
			orNone(expected), orNone(alertNames(s.Received)), orNone(alertNames(s.Forbidden)))
	}
	t := r.Totals
	fmt.Fprintf(b, "\n**Totals:** detection rate %d/%d scenarios, false positives on the benign set %d, "+
		"forbidden alerts in attack scenarios %d, time-to-alert median %.1fs, max %.1fs.\n",
		t.Detected, t.Scenarios, t.FalsePositives, t.ForbiddenInAttacks, t.MedianSeconds, t.MaxSeconds)
	return b.String()
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
