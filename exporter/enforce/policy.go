// Package enforce is rtsec's opt-in enforcement: a policy file names which
// classified events kill the task that caused them (or, in dry run, are
// only counted and logged as "would kill"), and where. The exporter
// resolves the policy's selectors to cgroup ids as it learns containers and
// writes them to a BPF map; the programs that classify an event look it up
// and call bpf_send_signal(SIGKILL) (bpf/src/headers/enforce.h).
package enforce

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"slices"

	"gopkg.in/yaml.v3"

	"github.com/rtsec/rtsec/bpf/enums"
	"github.com/rtsec/rtsec/exporter/container"
	"github.com/rtsec/rtsec/exporter/metricdef"
)

// Signals a rule can act on, by the kernel's signal id (enum signal of
// bpf/src/process/signals.h): their policy key, the value of the signal
// label (metricdef.EnforcementSignals).
var signalNames = map[uint16]string{
	enums.SignalSuspiciousExec:   metricdef.EnforcementSignals[0],
	enums.SignalExecClass:        metricdef.EnforcementSignals[1],
	enums.SignalPrivilegeChange:  metricdef.EnforcementSignals[2],
	enums.SignalSensitiveSyscall: metricdef.EnforcementSignals[3],
	// Killed by the files object, at the exit of a write-open.
	enums.EnforceSignalFileModification: FileModification,
}

// FileModification is the signal the file collector's programs act on;
// the others are the process collector's.
var FileModification = metricdef.EnforcementSignals[4]

// signalIDs are the kernel's ids of the signals, by policy key.
var signalIDs = func() map[string]uint16 {
	ids := map[string]uint16{}
	for id, name := range signalNames {
		ids[name] = id
	}
	return ids
}()

// Action is what a rule does.
type Action string

// The actions of a rule.
const (
	Kill   Action = "kill"
	DryRun Action = "dry-run"
)

// Policy is a parsed policy file.
type Policy struct {
	Rules []Rule `yaml:"rules"`
}

// Rule is one policy rule: on which signal values it acts, how, and where.
type Rule struct {
	// Name is shown in the event log line of each action.
	Name   string `yaml:"name"`
	Action Action `yaml:"action"`
	// Signals maps a signal (suspicious_exec, process_class,
	// privilege_change, sensitive_syscall, file_modification) to the label
	// values (reasons, classes, kinds, syscalls, path classes) the rule
	// acts on.
	Signals map[string][]string `yaml:"signals"`
	// Where selects the workloads: a rule applies to a workload any
	// selector matches.
	Where []Selector `yaml:"where"`

	// bits are Signals as the kernel's bit masks, by signal id.
	bits map[uint16]uint32
}

// Selector matches workloads: every field set must match (shell patterns,
// path.Match syntax). Host matches the host's processes, and only a
// selector with host: true does.
type Selector struct {
	Host        bool   `yaml:"host"`
	ContainerID string `yaml:"container_id"`
	Namespace   string `yaml:"namespace"`
	Pod         string `yaml:"pod"`
	Container   string `yaml:"container"`
	Image       string `yaml:"image"`
	// PodLabels must all match the pod's labels (values are patterns),
	// read from the CRI runtime's pod sandbox; never exported.
	PodLabels map[string]string `yaml:"pod_labels"`
}

// empty reports whether the selector sets nothing but, maybe, host.
func (s Selector) empty() bool {
	return s.ContainerID == "" && s.Namespace == "" && s.Pod == "" && s.Container == "" && s.Image == "" && len(s.PodLabels) == 0
}

// Vocabulary names the values of each signal: the kernel's bit for each.
type Vocabulary struct {
	// Classes are the binary classes in kernel order (classes.List.Classes).
	Classes []string
	// FileClasses are the modification path classes in kernel order
	// (fileclass.Table.Names(fileclass.Modify)).
	FileClasses []string
}

func (v Vocabulary) values(signal string) []string {
	switch signal {
	case "process_class":
		return v.Classes
	case "privilege_change":
		return metricdef.PrivilegeChangeKinds
	case "sensitive_syscall":
		return metricdef.SensitiveSyscallNames
	case "file_modification":
		return v.FileClasses
	}
	return metricdef.SuspiciousExecReasons
}

// Load reads and checks a policy file.
func Load(file string, v Vocabulary) (*Policy, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, fmt.Errorf("policy: %w", err)
	}
	defer f.Close()
	p, err := Parse(f, v)
	if err != nil {
		return nil, fmt.Errorf("policy %s: %w", file, err)
	}
	return p, nil
}

// Parse reads a policy strictly: unknown fields, unknown signals and
// values, a rule without values or selectors are errors naming the line.
func Parse(r io.Reader, v Vocabulary) (*Policy, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, err
	}
	if len(doc.Content) == 0 {
		return nil, errors.New("empty policy: want a rules list")
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var p Policy
	if err := dec.Decode(&p); err != nil {
		return nil, err
	}
	rules := find(doc.Content[0], "rules")
	if rules == nil || len(p.Rules) == 0 {
		return nil, fmt.Errorf("line %d: no rules", doc.Content[0].Line)
	}
	names := map[string]bool{}
	for i := range p.Rules {
		node := rules.Content[i]
		if err := p.Rules[i].check(node, v); err != nil {
			return nil, err
		}
		if names[p.Rules[i].Name] {
			return nil, fmt.Errorf("line %d: rule name %q used twice", node.Line, p.Rules[i].Name)
		}
		names[p.Rules[i].Name] = true
	}
	return &p, nil
}

// find returns the value node of key in a mapping node, or nil.
func find(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

// line is the line of key's value in m, or m's own.
func line(m *yaml.Node, key string) int {
	if n := find(m, key); n != nil {
		return n.Line
	}
	return m.Line
}

func (r *Rule) check(node *yaml.Node, v Vocabulary) error {
	if r.Name == "" {
		return fmt.Errorf("line %d: rule without a name", node.Line)
	}
	if r.Action != Kill && r.Action != DryRun {
		return fmt.Errorf("line %d: rule %q: action %q: want kill or dry-run", line(node, "action"), r.Name, r.Action)
	}
	if len(r.Signals) == 0 {
		return fmt.Errorf("line %d: rule %q: no signals", line(node, "signals"), r.Name)
	}
	r.bits = map[uint16]uint32{}
	signals := find(node, "signals")
	for signal, values := range r.Signals {
		at := line(signals, signal)
		id, ok := signalIDs[signal]
		if !ok {
			return fmt.Errorf("line %d: rule %q: unknown signal %q (known: suspicious_exec, process_class, privilege_change, sensitive_syscall, file_modification)", at, r.Name, signal)
		}
		if len(values) == 0 {
			return fmt.Errorf("line %d: rule %q: %s: no values", at, r.Name, signal)
		}
		known := v.values(signal)
		for _, value := range values {
			i := slices.Index(known, value)
			if i < 0 || i >= 32 {
				return fmt.Errorf("line %d: rule %q: %s: unknown value %q (known: %v)", at, r.Name, signal, value, known)
			}
			r.bits[id] |= 1 << i
		}
	}
	if len(r.Where) == 0 {
		return fmt.Errorf("line %d: rule %q: no where: name the workloads (host: true for the host)", line(node, "where"), r.Name)
	}
	where := find(node, "where")
	for i, s := range r.Where {
		at := where.Content[i].Line
		if s.Host && !s.empty() {
			return fmt.Errorf("line %d: rule %q: a host selector selects nothing else", at, r.Name)
		}
		if !s.Host && s.empty() {
			return fmt.Errorf("line %d: rule %q: empty selector (container_id: \"*\" selects every container)", at, r.Name)
		}
		patterns := []string{s.ContainerID, s.Namespace, s.Pod, s.Container, s.Image}
		for _, v := range s.PodLabels {
			patterns = append(patterns, v)
		}
		for _, pattern := range patterns {
			if _, err := path.Match(pattern, ""); err != nil {
				return fmt.Errorf("line %d: rule %q: pattern %q: %w", at, r.Name, pattern, err)
			}
		}
	}
	return nil
}

// matches reports whether the selector selects the workload id, whose
// pod has labels.
func (s Selector) matches(id container.Identity, labels map[string]string) bool {
	if id.IsHost() {
		return s.Host
	}
	if s.Host {
		return false
	}
	for _, f := range []struct{ pattern, value string }{
		{s.ContainerID, id.ID}, {s.Namespace, id.Namespace}, {s.Pod, id.Pod}, {s.Container, id.Container}, {s.Image, id.Image},
	} {
		if f.pattern == "" {
			continue
		}
		if ok, _ := path.Match(f.pattern, f.value); !ok {
			return false
		}
	}
	for k, pattern := range s.PodLabels {
		value, set := labels[k]
		if ok, _ := path.Match(pattern, value); !set || !ok {
			return false
		}
	}
	return true
}

func (r *Rule) applies(id container.Identity, labels map[string]string) bool {
	return slices.ContainsFunc(r.Where, func(s Selector) bool { return s.matches(id, labels) })
}

// Actions are the kernel's enforce_actions for one workload: value bits
// per signal id that kill, and those that are counted in dry run. The
// zero value does nothing.
type Actions struct {
	Kill, DryRun [6]uint32
}

// For is what the policy does to the workload id, whose pod has labels.
func (p *Policy) For(id container.Identity, labels map[string]string) Actions {
	var a Actions
	for i := range p.Rules {
		r := &p.Rules[i]
		if !r.applies(id, labels) {
			continue
		}
		for signal, bits := range r.bits {
			if r.Action == Kill {
				a.Kill[signal] |= bits
			} else {
				a.DryRun[signal] |= bits
			}
		}
	}
	return a
}

// RuleFor names the first rule that acts (kill, or for dry run dry-run) on
// value bit of signal for workload id, "" for none.
func (p *Policy) RuleFor(id container.Identity, labels map[string]string, signal uint16, bit uint, kill bool) string {
	want := DryRun
	if kill {
		want = Kill
	}
	for i := range p.Rules {
		r := &p.Rules[i]
		if r.Action == want && r.bits[signal]&(1<<bit) != 0 && r.applies(id, labels) {
			return r.Name
		}
	}
	return ""
}
