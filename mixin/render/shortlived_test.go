package render

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// shortLivedFiles are the unit-test files of the alerts on what containers
// do: their cases are replayed as short-lived containers.
var shortLivedFiles = []string{"files.yaml", "process-exec.yaml", "process-signals.yaml", "network.yaml", "falco-gaps.yaml", "startup.yaml"}

// stateAlerts report a state that lasts while its series exist (a
// gauge), not an event: a series that vanishes rightly ends them.
var stateAlerts = map[string]bool{
	"RtsecFileIntegrityChanged": true, "RtsecLateralMovementScan": true, "RtsecDNSNameBurst": true,
}

// bornOnce matches the values of a series that appears with its final
// value and keeps it: "_x20 1x10".
var bornOnce = regexp.MustCompile(`^_x([0-9]+) ([0-9.e+]+)x[0-9]+$`)

// TestShortLivedContainers replays every case of shortLivedFiles with the
// series that appear with their final value (a container's counters and
// its rtsec_container_info) rewritten twice: scraped once and then gone
// (a container that started, acted and exited between two scrapes), and
// held for 2 minutes then gone (the exporter's --container.gone-grace),
// born 2 minutes earlier so that the evaluations see it gone.
// Every firing case must give the same alerts at the same times: a rule
// that needs two samples of a series (increase() alone, an instant
// selector of a series that went stale) fails here. The files run one
// after another, each against the groups its cases need (ruleSubset):
// promtool evaluates every group loaded at every minute of every case, and
// the machine is shared.
func TestShortLivedContainers(t *testing.T) {
	bin := promtool(t)
	abs, err := filepath.Abs(root)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, name := range shortLivedFiles {
		data, err := os.ReadFile(filepath.Join(root, Dir, "tests", name))
		if err != nil {
			t.Fatal(err)
		}
		var f map[string]any
		if err := yaml.Unmarshal(data, &f); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		tests, _ := f["tests"].([]any)
		var out []any
		rewritten := 0
		for i, tc := range tests {
			for _, held := range []bool{false, true} {
				v, n, err := shortLived(tc, held)
				if err != nil {
					t.Fatalf("%s test %d: %v", name, i, err)
				}
				if v != nil {
					out = append(out, v)
					rewritten += n
				}
			}
		}
		if rewritten == 0 {
			t.Fatalf("%s: no series to replay as a short-lived container", name)
		}
		f["tests"] = out
		// Only the groups the cases need: promtool evaluates every group
		// loaded at every step (TestPromtoolUnitTests).
		rules := "rules-" + name
		writeYAML(t, filepath.Join(dir, rules), map[string]any{"groups": ruleSubset(t,
			[]string{filepath.Join(abs, "alerts", "rtsec-rules.yaml"), filepath.Join(abs, "alerts", "rtsec-alerts.yaml")}, f)})
		f["rule_files"] = []string{rules}
		gen, err := yaml.Marshal(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), gen, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Run(name, func(t *testing.T) {
			runPromtool(t, bin, dir, "test", "rules", name)
		})
	}
}

// heldShift is how much earlier a held series is born, so that the
// evaluations see it gone: born 2 minutes before, held 2 minutes, stale at
// the minute after its original birth. Cases whose evaluations would then
// fall out of the 5m event window keep the original birth.
const heldShift = 2

// shortLived returns a copy of test case tc whose born-once series are
// scraped once (held=false) or for 2 minutes (held=true) and then go stale,
// with its firing alert cases but those of state alerts, and how many
// series it rewrote; nil when it rewrote none or keeps no alert case.
func shortLived(tc any, held bool) (any, int, error) {
	m, ok := tc.(map[string]any)
	if !ok {
		return nil, 0, fmt.Errorf("a test is not a mapping")
	}
	interval, _ := m["interval"].(string)
	if interval != "1m" {
		return nil, 0, nil // the replay counts samples a minute apart
	}
	// Only the cases where an alert fires: the replay asks whether a short-lived container is still seen.
	var alerts []any
	lastEval := 0
	for _, a := range asList(m["alert_rule_test"]) {
		am, _ := a.(map[string]any)
		if name, _ := am["alertname"].(string); !stateAlerts[name] && len(asList(am["exp_alerts"])) > 0 {
			alerts = append(alerts, a)
			e, _ := am["eval_time"].(string)
			if minutes, err := strconv.Atoi(strings.TrimSuffix(e, "m")); err == nil && strings.HasSuffix(e, "m") && minutes > lastEval {
				lastEval = minutes
			}
		}
	}
	series, _ := m["input_series"].([]any)
	firstBirth := -1
	for _, s := range series {
		sm, _ := s.(map[string]any)
		values, _ := sm["values"].(string)
		if g := bornOnce.FindStringSubmatch(values); g != nil {
			if b, err := strconv.Atoi(g[1]); err == nil && (firstBirth < 0 || b < firstBirth) {
				firstBirth = b
			}
		}
	}
	shift := 0
	if held && firstBirth >= heldShift && lastEval-(firstBirth-heldShift) < 5 {
		shift = heldShift
	}
	var in []any
	n := 0
	for _, s := range series {
		sm, ok := s.(map[string]any)
		if !ok {
			return nil, 0, fmt.Errorf("an input series is not a mapping")
		}
		values, _ := sm["values"].(string)
		c := map[string]any{"series": sm["series"], "values": values}
		if g := bornOnce.FindStringSubmatch(values); g != nil {
			birth, err := strconv.Atoi(g[1])
			if err != nil {
				return nil, 0, err
			}
			samples := g[2]
			if held {
				samples = g[2] + " " + g[2] + " " + g[2]
			}
			c["values"] = fmt.Sprintf("_x%d %s stale", birth-shift, samples)
			n++
		}
		in = append(in, c)
	}
	if n == 0 || len(alerts) == 0 {
		return nil, 0, nil
	}
	return map[string]any{"interval": interval, "input_series": in, "alert_rule_test": alerts}, n, nil
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}
