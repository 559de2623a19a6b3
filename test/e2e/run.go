package e2e

import (
	"bytes"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/rtsec/rtsec/test/containerd"
	"github.com/rtsec/rtsec/test/e2e/internal/entry"
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
	// MinAge is how long every late action waits at least after its
	// setup: past the rules' startup grace.
	MinAge time.Duration
	// Parallel is how many entrypoint and short-lived variants run at once.
	Parallel int
}

// DefaultTiming is what TestE2E and cmd/scenario use with the e2e rules.
var DefaultTiming = Timing{
	Timeout:  90 * time.Second,
	Settle:   15 * time.Second,
	Poll:     500 * time.Millisecond,
	MinAge:   duration(StartupGrace) + 5*time.Second,
	Parallel: 2,
}

// Harness is what a run acts through: the webhook that records the
// notifications and, for CRI scenarios, containerd.
type Harness struct {
	Webhook string
	// CRI runs the CRI scenarios' pods; nil when none is selected.
	CRI *containerd.Daemon
}

// run is one scenario in one variant.
type run struct {
	scenario Scenario
	variant  Variant
	env      *Env
	// action is when the attack started; started when its container did
	// (zero in the late variant); lifetime how long a short-lived
	// container lived.
	action, started time.Time
	lifetime        time.Duration
}

// Run runs scenarios against the harness h: first every scenario's main
// container and Setup (the longest Age first); then, in the background and
// at most timing.Parallel at a time, the entrypoint and short-lived
// variants, each in a new container; meanwhile each late Action (or Steps
// by runc exec) once its Age (at least timing.MinAge) has passed, one after
// another. Then it waits until each run's expected alerts arrived or timed
// out, and evaluates them. Containers are removed when t ends.
func Run(t testing.TB, h Harness, scenarios []Scenario, timing Timing) []Result {
	t.Helper()
	var late, variants []*run
	for _, s := range scenarios {
		for _, v := range s.Variants() {
			r := &run{scenario: s, variant: v, env: &Env{T: t, Name: s.Name, cri: h.CRI}}
			if v == Late {
				late = append(late, r)
			} else {
				r.env.Name += " (" + string(v) + ")"
				variants = append(variants, r)
			}
		}
	}
	// Longest Age first: its clock starts before the others' setups.
	slices.SortStableFunc(late, func(a, b *run) int { return int(b.scenario.Age - a.scenario.Age) })
	due := map[*run]time.Time{}
	for _, r := range late {
		if !r.scenario.CRI {
			r.env.main = r.env.Start(r.scenario.Container)
		}
		if r.scenario.Setup != nil {
			r.scenario.Setup(r.env)
		}
		due[r] = time.Now().Add(max(r.scenario.Age, timing.MinAge))
		t.Logf("%s: set up %v", r.scenario.Name, r.env.Containers)
	}

	var wg sync.WaitGroup
	// Variant runs come back here when done (or failed): only then does
	// this goroutine read them.
	finished := make(chan *run, len(variants))
	if len(variants) > 0 {
		program := entry.Program(t)
		slots := make(chan struct{}, max(timing.Parallel, 1))
		for _, r := range variants {
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer func() { finished <- r }()
				slots <- struct{}{}
				defer func() { <-slots }()
				r.env.T = goroutineTB{TB: t, prefix: r.env.Name + ": "}
				runVariant(r, program)
			}()
		}
	}

	reaper := &reaper{t: t, webhook: h.Webhook, timing: timing, finished: finished}
	slices.SortStableFunc(late, func(a, b *run) int { return due[a].Compare(due[b]) })
	for _, r := range late {
		if wait := time.Until(due[r]); wait > 0 {
			if wait >= time.Second {
				t.Logf("%s: waiting %v for its container to age", r.scenario.Name, wait.Round(time.Second))
			}
			reaper.until(due[r])
		}
		r.action = time.Now()
		if r.scenario.Action != nil {
			r.scenario.Action(r.env)
		} else {
			r.env.runSteps(r.scenario.Steps)
		}
		t.Logf("%s: action done in %v", r.scenario.Name, time.Since(r.action).Round(time.Millisecond))
		reaper.done = append(reaper.done, r)
	}
	wg.Wait()

	runs := append(late, variants...)
	last := time.Time{}
	for _, r := range runs {
		last = later(last, r.action)
	}
	settled := last.Add(timing.Settle)
	for {
		ns, err := FetchNotifications(h.Webhook)
		if err != nil {
			t.Fatal(err)
		}
		results := make([]Result, len(runs))
		pending := time.Now().Before(settled)
		for i, r := range runs {
			results[i] = r.result(ns)
			if !r.action.IsZero() && !results[i].Detected() && time.Since(r.action) < timing.Timeout {
				pending = true
			}
		}
		if !pending {
			return order(results, scenarios)
		}
		reaper.reap(ns)
		sleep(t, timing.Poll)
	}
}

// result evaluates run r against the notifications ns.
func (r *run) result(ns []Notification) Result {
	res := Evaluate(r.scenario, r.env.Containers, r.action, ns)
	res.Variant = r.variant
	if !r.started.IsZero() && !r.action.IsZero() {
		res.AttackAfterStart = r.action.Sub(r.started).Seconds()
	}
	res.Lifetime = r.lifetime.Seconds()
	return res
}

// reaper deletes the runc containers of runs whose outcome is known: every
// expected alert arrived and timing.Settle passed for forbidden ones, or
// timing.Timeout passed. The exporter's scrape grows with the containers
// alive, and a run's containers have nothing left to show.
type reaper struct {
	t        testing.TB
	webhook  string
	timing   Timing
	finished chan *run
	// done are the runs whose action is over; reaped those deleted.
	done   []*run
	reaped map[*run]bool
}

// until reaps every second until deadline.
func (p *reaper) until(deadline time.Time) {
	for {
		if wait := time.Until(deadline); wait <= time.Second {
			sleep(p.t, max(wait, 0))
			return
		}
		ns, err := FetchNotifications(p.webhook)
		if err != nil {
			p.t.Fatal(err)
		}
		p.reap(ns)
		sleep(p.t, time.Second)
	}
}

// reap deletes the containers of the done runs whose outcome ns settles.
func (p *reaper) reap(ns []Notification) {
	for {
		select {
		case r := <-p.finished:
			p.done = append(p.done, r)
			continue
		default:
		}
		break
	}
	if p.reaped == nil {
		p.reaped = map[*run]bool{}
	}
	for _, r := range p.done {
		if p.reaped[r] || r.action.IsZero() {
			continue
		}
		since := time.Since(r.action)
		if since < p.timing.Timeout && (since < p.timing.Settle || !r.result(ns).Detected()) {
			continue
		}
		p.reaped[r] = true
		for _, c := range r.env.runcs {
			c.Delete(p.t)
		}
	}
}

// later returns the later of a and b.
func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// order sorts results as the scenarios table, variants in report order.
func order(results []Result, scenarios []Scenario) []Result {
	index := map[string]int{}
	for i, s := range scenarios {
		index[s.Name] = i
	}
	slices.SortStableFunc(results, func(a, b Result) int {
		if c := index[a.Name] - index[b.Name]; c != 0 {
			return c
		}
		return slices.Index(AllVariants, a.Variant) - slices.Index(AllVariants, b.Variant)
	})
	return results
}

// runSteps runs steps in the main container by runc exec.
func (e *Env) runSteps(steps []Step) {
	e.T.Helper()
	for _, s := range steps {
		if s.MayFail {
			e.Try(s.Args...)
		} else {
			e.Exec(s.Args...)
		}
	}
}

// Short-lived containers must be gone this soon after their start.
const shortLifetime = 5 * time.Second

// runVariant runs r's steps as the entrypoint of a new container: it
// starts the container with rtsec-entry (program) as init, runs the Setup
// while the entrypoint waits for its go file, writes the go file (the
// attack starts) and waits for the entrypoint's last line. A short-lived
// container exits then and is deleted, as a finished Job's pod.
func runVariant(r *run, program []byte) {
	e, s := r.env, r.scenario
	e.T.Helper()
	steps, err := entry.Encode(s.Steps)
	if err != nil {
		e.T.Fatalf("steps: %v", err)
	}
	opts := s.Container
	opts.Files = maps.Clone(opts.Files)
	if opts.Files == nil {
		opts.Files = map[string][]byte{}
	}
	opts.Files[strings.TrimPrefix(entry.Binary, "/")] = program
	opts.Files[strings.TrimPrefix(entry.StepsFile, "/")] = steps
	opts.Args = entry.Args(r.variant == Entrypoint)

	e.main = e.Start(opts)
	r.started = processStart(e.T, e.Main().Pid())
	if s.Setup != nil {
		s.Setup(e)
	}
	r.action = time.Now()
	if err := os.WriteFile(filepath.Join(e.Main().Rootfs(), entry.GoFile), nil, 0o644); err != nil {
		e.T.Fatalf("go file: %v", err)
	}
	// runc's bundle keeps the init's standard output next to the rootfs.
	stdio := filepath.Join(filepath.Dir(e.Main().Rootfs()), "stdio.log")
	out := waitFor(e.T, 60*time.Second, func() (string, bool) {
		data, _ := os.ReadFile(stdio)
		return string(data), strings.Contains(string(data), entry.DoneLine)
	})
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, entry.FailPrefix) {
			e.T.Errorf("%s", line)
		}
	}
	e.T.Logf("attack done %v after the container's start", time.Since(r.started).Round(time.Millisecond))
	if r.variant != ShortLived {
		return
	}
	// The init's exit ends the container; then it is deleted (its cgroup
	// goes), as the runtime does when a Job's pod ends.
	// TestE2E fails a lifetime above shortLifetime; the wait is longer, so
	// that the report shows how long it was.
	proc := fmt.Sprintf("/proc/%d", e.Main().Pid())
	waitFor(e.T, 30*time.Second, func() (string, bool) {
		_, err := os.Stat(proc)
		return "the entrypoint still runs", os.IsNotExist(err)
	})
	r.lifetime = time.Since(r.started)
	e.Delete(e.Main())
}

// processStart is when process pid started: a container's start without
// runc's set-up. /proc/pid/stat's field 22 counts clock ticks since boot,
// on the boot-time clock.
func processStart(t testing.TB, pid int) time.Time {
	t.Helper()
	var now unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_BOOTTIME, &now); err != nil {
		t.Fatalf("process start: %v", err)
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		t.Fatalf("process start: %v", err)
	}
	// The command name (field 2) may hold spaces: count after its ')'.
	fields := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
	if len(fields) < 20 {
		t.Fatalf("process start: short /proc/%d/stat: %s", pid, stat)
	}
	ticks, err := strconv.ParseInt(fields[19], 10, 64)
	if err != nil {
		t.Fatalf("process start: /proc/%d/stat: %v", pid, err)
	}
	const clockTicks = 100 // USER_HZ on Linux
	age := time.Duration(now.Nano()) - time.Duration(ticks)*time.Second/clockTicks
	return time.Now().Add(-age)
}

// waitFor polls check every 20ms until it reports done, and fails after
// timeout with check's last answer.
func waitFor(t testing.TB, timeout time.Duration, check func() (string, bool)) string {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		out, done := check()
		if done {
			return out
		}
		if time.Now().After(deadline) {
			t.Fatalf("not done within %v: %s", timeout.Round(time.Millisecond), strings.TrimSpace(out))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// goroutineTB lets harness code written for a test's goroutine run in
// another: Fatal, FailNow and Skip mark the test failed and end only the
// calling goroutine (runtime.Goexit), and messages name the run.
type goroutineTB struct {
	testing.TB
	prefix string
}

func (g goroutineTB) Error(args ...any) { g.TB.Error(append([]any{g.prefix}, args...)...) }
func (g goroutineTB) Errorf(format string, args ...any) {
	g.TB.Errorf(g.prefix+format, args...)
}
func (g goroutineTB) Log(args ...any) { g.TB.Log(append([]any{g.prefix}, args...)...) }
func (g goroutineTB) Logf(format string, args ...any) {
	g.TB.Logf(g.prefix+format, args...)
}
func (g goroutineTB) FailNow()                          { g.TB.Fail(); runtime.Goexit() }
func (g goroutineTB) Fatal(args ...any)                 { g.Error(args...); runtime.Goexit() }
func (g goroutineTB) Fatalf(format string, args ...any) { g.Errorf(format, args...); runtime.Goexit() }
func (g goroutineTB) SkipNow()                          { g.FailNow() }
func (g goroutineTB) Skip(args ...any)                  { g.Fatal(args...) }
func (g goroutineTB) Skipf(format string, args ...any)  { g.Fatalf(format, args...) }

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
	Variant     Variant    `json:"variant"`
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
	// AttackAfterStart is how long after its container's start the attack
	// of an entrypoint or short-lived run began (its Setup); Lifetime is
	// how long a short-lived container lived.
	AttackAfterStart float64 `json:"attack_after_start_seconds,omitempty"`
	Lifetime         float64 `json:"lifetime_seconds,omitempty"`
	// NoVariants is the scenario's reason to run late only.
	NoVariants string `json:"no_variants,omitempty"`
	// Startup marks the benign startup suite.
	Startup bool `json:"startup,omitempty"`
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
	r := Result{Name: s.Name, Variant: Late, Description: s.Description, Benign: s.Benign, Containers: containers, Action: action,
		NoVariants: s.NoVariants, Startup: s.Startup,
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
