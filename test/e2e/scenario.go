package e2e

import (
	"encoding/json"
	"fmt"
	"os/exec"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/rtsec/rtsec/test/containerd"
	"github.com/rtsec/rtsec/test/e2e/internal/entry"
	"github.com/rtsec/rtsec/test/runc"
)

// Scenario is a small script of attacker or benign behaviour and the alerts
// it must and must not raise. Scenarios live in one table, Scenarios.
type Scenario struct {
	// Name is the scenario's id: make scenario NAME=<name>.
	Name string
	// Description says what it does and why it should (not) alert.
	Description string
	// Benign scenarios must raise nothing: their alerts are false positives.
	Benign bool
	// Container configures the scenario's main container, started before
	// Setup; the zero value sleeps on a writable busybox rootfs.
	Container runc.Options
	// Age is how long the action waits after Setup, e.g. for a workload to
	// build the history the new-binary alert needs; at least Timing.MinAge.
	Age time.Duration
	// Setup prepares the scenario (files, more containers); optional, not
	// timed. In the entrypoint and short-lived variants it runs while the
	// new container's entrypoint waits for it, so it must only prepare the
	// main container (files in its rootfs, a network attached to it).
	Setup func(e *Env)
	// Steps are an attack's commands in the main container, run in each of
	// the scenario's Variants: by `runc exec` in a container past its
	// startup grace, and as the entrypoint of a new container that keeps
	// running or exits. Time-to-alert counts from the first command.
	Steps []Step
	// Action is behaviour that is more than commands in the main container
	// (benign services, containers started in the action); used instead of
	// Steps, and only in the late variant.
	Action func(e *Env)
	// NoVariants says why an attack scenario runs only late (it needs a
	// workload's history, acts on the host, or its attack is the start of
	// containers); "" gives it every variant. Benign scenarios run late.
	NoVariants string
	// CRI scenarios have no main runc container: their Action runs pods
	// through containerd's CRI (Env.RunPod), which gives them Kubernetes
	// namespace, pod and container names (workloads, replicas).
	CRI bool
	// Startup marks the benign startup suite: realistic entrypoints (first
	// replicas and later replicas of one workload) that must stay quiet.
	Startup bool
	// Expect are the alerts that must reach the webhook.
	Expect []Match
	// Forbid are the alerts that must not.
	Forbid []Match
	// Events are lines the event log must hold for the scenario's
	// containers (checked where the harness runs the exporter: TestE2E).
	Events []Event
}

// Step is one command of an attack (Cmd, TryCmd).
type Step = entry.Step

// Cmd is a step whose command must succeed.
func Cmd(args ...string) Step { return Step{Args: args} }

// TryCmd is a step whose command may fail (a network tool without a
// network, a busybox link whose name is no applet): its exec is what counts.
func TryCmd(args ...string) Step { return Step{Args: args, MayFail: true} }

// Variant is one way a scenario's attack runs.
type Variant string

// The variants of an attack scenario.
const (
	// Late runs the steps by `runc exec` in a container older than the
	// rules' startup grace: the harness's classic run.
	Late Variant = "late"
	// Entrypoint runs them as the entrypoint (PID 1) of a new container,
	// from its first second; the container keeps running.
	Entrypoint Variant = "entrypoint"
	// ShortLived runs them as the entrypoint of a new container that exits
	// right after them and is deleted, within 5s of its start.
	ShortLived Variant = "short-lived"
)

// AllVariants lists the variants in report order.
var AllVariants = []Variant{Late, Entrypoint, ShortLived}

// Variants are the ways scenario s runs: every variant for an attack made
// of Steps, late only for the others.
func (s Scenario) Variants() []Variant {
	if s.Benign || s.NoVariants != "" || len(s.Steps) == 0 {
		return []Variant{Late}
	}
	return AllVariants
}

// Event selects event log lines: by type and exact field values.
type Event struct {
	Type   string
	Fields map[string]string
}

// Logged returns an Event of type typ and fields given as pairs ("path",
// "/etc/shadow", …).
func Logged(typ string, fieldPairs ...string) Event {
	e := Event{Type: typ, Fields: map[string]string{}}
	for i := 0; i+1 < len(fieldPairs); i += 2 {
		e.Fields[fieldPairs[i]] = fieldPairs[i+1]
	}
	return e
}

// String is the event as JSON-ish fields, e.g. file_sensitive_read{path="/etc/shadow"}.
func (e Event) String() string {
	return Match{Alert: e.Type, Labels: e.Fields}.String()
}

// MissingEvents returns the events of s that no line of the event log
// (the exporter's output, one JSON object a line) from containers shows.
func MissingEvents(s Scenario, containers []string, log string) []Event {
	var lines []map[string]any
	for _, line := range strings.Split(log, "\n") {
		var l map[string]any
		if strings.HasPrefix(line, "{") && json.Unmarshal([]byte(line), &l) == nil {
			lines = append(lines, l)
		}
	}
	var missing []Event
	for _, e := range s.Events {
		found := slices.ContainsFunc(lines, func(l map[string]any) bool {
			if l["type"] != e.Type || !slices.Contains(containers, fmt.Sprint(l["container_id"])) {
				return false
			}
			for k, v := range e.Fields {
				if fmt.Sprint(l[k]) != v {
					return false
				}
			}
			return true
		})
		if !found {
			missing = append(missing, e)
		}
	}
	return missing
}

// Match selects alerts: by alertname ("" is any) and exact label values.
// Without a container_id in Labels, only alerts of the scenario's own
// containers match, so no scenario mistakes another's alert for its own;
// container_id "" selects host alerts.
type Match struct {
	Alert  string
	Labels map[string]string
	// Except are alert names the match never selects (with Alert "": any
	// alert but these).
	Except []string
}

// Named returns a Match of alertname name ("" for any) and labels given
// as pairs ("binary", "sh", …).
func Named(name string, labelPairs ...string) Match {
	m := Match{Alert: name, Labels: map[string]string{}}
	for i := 0; i+1 < len(labelPairs); i += 2 {
		m.Labels[labelPairs[i]] = labelPairs[i+1]
	}
	return m
}

// Matches reports whether alert a, raised while the scenario's containers
// were containers, is selected by m.
func (m Match) Matches(a Alert, containers []string) bool {
	if m.Alert != "" && a.Labels["alertname"] != m.Alert {
		return false
	}
	if slices.Contains(m.Except, a.Labels["alertname"]) {
		return false
	}
	for k, v := range m.Labels {
		if a.Labels[k] != v {
			return false
		}
	}
	if _, ok := m.Labels["container_id"]; ok {
		return true
	}
	return slices.Contains(containers, a.Labels["container_id"])
}

// String is the match in PromQL selector form, e.g.
// RtsecShellInContainer{binary="sh"}.
func (m Match) String() string {
	name := m.Alert
	if name == "" {
		name = "any alert"
	}
	keys := make([]string, 0, len(m.Labels))
	for k := range m.Labels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	pairs := make([]string, len(keys))
	for i, k := range keys {
		pairs[i] = fmt.Sprintf("%s=%q", k, m.Labels[k])
	}
	if _, ok := m.Labels["container_id"]; !ok {
		pairs = append(pairs, "container_id=<scenario's>")
	}
	return name + "{" + strings.Join(pairs, ", ") + "}"
}

// Env is what a scenario's Setup and Action act through.
type Env struct {
	// T fails the run; Fatal stops it.
	T testing.TB
	// Name is the scenario's name.
	Name string
	// Containers are the ids of the scenario's containers, main first.
	Containers []string
	main       *runc.Container
	hostDir    string
	runcs      []*runc.Container
	cri        *containerd.Daemon
}

// RunPod runs a pod through the CRI, as a kubelet would, with one busybox
// container (named container) running cmd, and opts (mounts, security
// context); its alerts count as the scenario's. Only CRI scenarios have a
// CRI.
func (e *Env) RunPod(opts containerd.PodOptions, namespace, pod, container string, cmd ...string) string {
	e.T.Helper()
	if e.cri == nil {
		e.T.Fatalf("%s: RunPod needs containerd (a CRI scenario, run by TestE2E)", e.Name)
	}
	id := e.cri.RunPodWith(e.T, opts, namespace, pod, container, cmd...)
	e.Containers = append(e.Containers, id)
	return id
}

// Start runs one more container for the scenario; it is removed when the
// run ends.
func (e *Env) Start(opts runc.Options) *runc.Container {
	e.T.Helper()
	c := runc.Start(e.T, opts)
	e.Containers = append(e.Containers, c.Name())
	e.runcs = append(e.runcs, c)
	return c
}

// Main returns the scenario's main container.
func (e *Env) Main() *runc.Container { return e.main }

// Exec runs args in the main container and fails the run if it fails.
func (e *Env) Exec(args ...string) string {
	e.T.Helper()
	return e.Main().MustExec(e.T, args...)
}

// Try runs args in the main container when failing is expected (a network
// tool without a network, a busybox link whose name is no applet): the
// exec is what counts.
func (e *Env) Try(args ...string) {
	e.T.Helper()
	if out, err := e.Main().Exec(e.T, args...); err != nil {
		e.T.Logf("%s: %v (a failure is expected): %s", e.Name, err, strings.TrimSpace(out))
	}
}

// Delete force-deletes container c before the run ends (churn).
func (e *Env) Delete(c *runc.Container) {
	e.T.Helper()
	if out, err := exec.Command("runc", "delete", "--force", c.Name()).CombinedOutput(); err != nil {
		e.T.Fatalf("runc delete --force %s: %v: %s", c.Name(), err, out)
	}
}
