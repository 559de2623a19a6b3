package e2e

import (
	"fmt"
	"slices"
	"testing"
	"time"
)

// Timing bounds a run of scenarios.
type Timing struct {
	// Timeout is how long after its action a scenario's expected alerts
	// may take to reach the webhook.
	Timeout time.Duration
	// Settle is how long the run keeps listening after the last action, so
	// that a forbidden alert has the time a detection takes to show up.
	Settle time.Duration
	// Poll is how often the webhook's record is read.
	Poll time.Duration
	// MinAge is how long every action waits at least after its setup: past
	// the rules' startup grace, which hides a young container's execs.
	MinAge time.Duration
}

// DefaultTiming is what TestE2E and cmd/scenario use with the e2e rules.
var DefaultTiming = Timing{
	Timeout: 90 * time.Second,
	Settle:  15 * time.Second,
	Poll:    500 * time.Millisecond,
	MinAge:  duration(StartupGrace) + 5*time.Second,
}

// Run runs scenarios against the stack whose webhook records at webhook:
// every scenario's main container and Setup (the longest Age first), then
// each Action once its Age (at least timing.MinAge) has passed, one after
// another, then waits until each scenario's expected alerts arrived or
// timed out, and evaluates them. Containers are removed when t ends.
func Run(t testing.TB, webhook string, scenarios []Scenario, timing Timing) []Result {
	t.Helper()
	order := make([]int, len(scenarios))
	for i := range order {
		order[i] = i
	}
	// Longest Age first: its clock starts before the others' setups.
	slices.SortStableFunc(order, func(a, b int) int { return int(scenarios[b].Age - scenarios[a].Age) })

	envs := make([]*Env, len(scenarios))
	due := make([]time.Time, len(scenarios))
	for _, i := range order {
		s := scenarios[i]
		envs[i] = &Env{T: t, Name: s.Name}
		envs[i].main = envs[i].Start(s.Container)
		if s.Setup != nil {
			s.Setup(envs[i])
		}
		due[i] = time.Now().Add(max(s.Age, timing.MinAge))
		t.Logf("%s: set up %v", s.Name, envs[i].Containers)
	}

	slices.SortStableFunc(order, func(a, b int) int { return due[a].Compare(due[b]) })
	actions := make([]time.Time, len(scenarios))
	for _, i := range order {
		s := scenarios[i]
		if wait := time.Until(due[i]); wait > 0 {
			if wait >= time.Second {
				t.Logf("%s: waiting %v for its container to age", s.Name, wait.Round(time.Second))
			}
			sleep(t, wait)
		}
		actions[i] = time.Now()
		s.Action(envs[i])
		t.Logf("%s: action done in %v", s.Name, time.Since(actions[i]).Round(time.Millisecond))
	}

	settled := time.Now().Add(timing.Settle)
	for {
		ns, err := FetchNotifications(webhook)
		if err != nil {
			t.Fatal(err)
		}
		results := make([]Result, len(scenarios))
		pending := time.Now().Before(settled)
		for i, s := range scenarios {
			results[i] = Evaluate(s, envs[i].Containers, actions[i], ns)
			if !results[i].Detected() && time.Since(actions[i]) < timing.Timeout {
				pending = true
			}
		}
		if !pending {
			return results
		}
		sleep(t, timing.Poll)
	}
}

// sleep waits d or until the run is cancelled (a signal in a command).
func sleep(t testing.TB, d time.Duration) {
	t.Helper()
	select {
	case <-time.After(d):
	case <-t.Context().Done():
		t.Fatalf("interrupted: %v", t.Context().Err())
	}
}

// Result is what a scenario raised, against what it expects and forbids.
type Result struct {
	Name        string     `json:"name"`
	Description string     `json:"description"`
	Benign      bool       `json:"benign"`
	Containers  []string   `json:"containers"`
	Action      time.Time  `json:"action"`
	Expected    []Expected `json:"expected"`
	// Received are the distinct firing alerts of the scenario's containers
	// and those its Expect selects, each with its first notification.
	Received []Received `json:"received"`
	// Forbidden are the received alerts that Forbid selects.
	Forbidden []Received `json:"forbidden"`
}

// Expected is one Expect entry and the first alert it selected.
type Expected struct {
	Match    string `json:"match"`
	Detected bool   `json:"detected"`
	// Alert is the first firing alert selected, if any.
	Alert *Received `json:"alert,omitempty"`
}

// Received is a firing alert and when its first notification arrived.
type Received struct {
	Labels   map[string]string `json:"labels"`
	Received time.Time         `json:"received"`
	// Seconds is the time from the scenario's action to the notification.
	Seconds float64 `json:"seconds"`
}

// Detected reports whether every expected alert arrived.
func (r Result) Detected() bool {
	for _, e := range r.Expected {
		if !e.Detected {
			return false
		}
	}
	return true
}

// Passed reports whether every expected alert and no forbidden one arrived.
func (r Result) Passed() bool { return r.Detected() && len(r.Forbidden) == 0 }

// Evaluate checks the notifications against scenario s, whose containers
// are containers and whose action started at action (zero: not yet). An
// expected alert counts only from a notification after the action; a
// forbidden one counts whenever it arrived.
func Evaluate(s Scenario, containers []string, action time.Time, ns []Notification) Result {
	r := Result{Name: s.Name, Description: s.Description, Benign: s.Benign, Containers: containers, Action: action,
		Expected: []Expected{}, Received: []Received{}, Forbidden: []Received{}}
	seen := map[string]bool{}
	for _, n := range ns {
		for _, a := range n.Alerts {
			if a.Status != "firing" {
				continue
			}
			got := Received{Labels: a.Labels, Received: n.Received, Seconds: n.Received.Sub(action).Seconds()}
			key := fmt.Sprint(a.Labels)
			ours := slices.Contains(containers, a.Labels["container_id"])
			for _, m := range s.Expect {
				ours = ours || (m.Matches(a, containers) && !n.Received.Before(action))
			}
			if !ours || seen[key] {
				continue
			}
			seen[key] = true
			r.Received = append(r.Received, got)
			if slices.ContainsFunc(s.Forbid, func(m Match) bool { return m.Matches(a, containers) }) {
				r.Forbidden = append(r.Forbidden, got)
			}
		}
	}
	for _, m := range s.Expect {
		e := Expected{Match: m.String()}
		for _, got := range r.Received {
			if !action.IsZero() && !got.Received.Before(action) && m.Matches(Alert{Labels: got.Labels}, containers) {
				e.Detected, e.Alert = true, &got
				break
			}
		}
		r.Expected = append(r.Expected, e)
	}
	return r
}
