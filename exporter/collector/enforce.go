package collector

import (
	"fmt"
	"os"
	"slices"
	"time"

	"github.com/alecthomas/kingpin/v2"
	"github.com/cilium/ebpf"

	"github.com/rtsec/rtsec/bpf"
	"github.com/rtsec/rtsec/exporter/bpfprog"
	"github.com/rtsec/rtsec/exporter/classes"
	"github.com/rtsec/rtsec/exporter/enforce"
	"github.com/rtsec/rtsec/exporter/events"
	"github.com/rtsec/rtsec/exporter/fileclass"
)

var (
	enforcePolicyFile = kingpin.Flag("enforce.policy-file",
		"Opt-in enforcement policy (YAML, docs/enforcement.md): which classified execs and write-opens to kill in the kernel (bpf_send_signal(SIGKILL) at sched_process_exec, at the open's exit), or count as would-kill in dry run, and where. Reloaded on SIGHUP; an invalid file is refused, naming the line, and the running policy stays. Default: none, nothing is enforced and the programs carry no enforcement code. Enforcement stops when the exporter stops.").
		Default("").String()
	enforceInterval = kingpin.Flag("enforce.refresh-interval",
		"How often the cgroup tree is walked to forget gone cgroups and to apply the policy to those the kernel's report of new cgroups missed (new cgroups are applied as they are made).").
		Default("500ms").Duration()
)

// enforceMapNames are the maps of enforce.h, shared by the objects that
// include it (process, files).
var enforceMapNames = []string{"enforce_cgroups", "enforce_counts", "enforce_stats"}

// setEnforceVariables sets the enforce.h variables of an object that has
// them: enforcement stays compiled out without a policy file.
func setEnforceVariables(spec *ebpf.CollectionSpec) error {
	if *enforcePolicyFile == "" || spec.Maps["enforce_cgroups"] == nil {
		return nil
	}
	for name, v := range map[string]any{"enforce_enabled": uint8(1), "enforce_self_tgid": uint32(os.Getpid())} {
		if err := spec.Variables[name].Set(v); err != nil {
			return fmt.Errorf("set %s: %w", name, err)
		}
	}
	return nil
}

// shareEnforceMaps keeps the enforce.h maps of the first object loaded
// that has them, for the next (called with e.mu held).
func (e *eventLog) shareEnforceMaps(spec *ebpf.CollectionSpec, set *bpfprog.Set) {
	if e.enforceMaps != nil || spec.Maps["enforce_cgroups"] == nil {
		return
	}
	loaded := set.Maps()
	e.enforceMaps = map[string]*ebpf.Map{}
	for _, name := range enforceMapNames {
		e.enforceMaps[name] = loaded[name]
	}
}

// validateEnforcement refuses a policy the enabled collectors cannot
// carry out: the enforcer runs with the process collector, and a rule on
// file_modification needs the file collector's programs. The policy file
// itself and the refresh interval are checked here too, before any BPF
// program is loaded.
func validateEnforcement(names []string) error {
	if *enforcePolicyFile == "" {
		return nil
	}
	if *enforceInterval < 10*time.Millisecond {
		return fmt.Errorf("--enforce.refresh-interval=%v: must be at least 10ms", *enforceInterval)
	}
	if !slices.Contains(names, "process") {
		return fmt.Errorf("--enforce.policy-file=%s: enforcement runs with the process collector, which is disabled (enable --collector.process)", *enforcePolicyFile)
	}
	list, err := processConfig()
	if err != nil {
		return err
	}
	table, err := fileTable()
	if err != nil {
		return err
	}
	p, err := enforce.Load(*enforcePolicyFile, enforce.Vocabulary{Classes: list.Classes, FileClasses: table.Names(fileclass.Modify)})
	if err != nil {
		return fmt.Errorf("--enforce.policy-file: %w", err)
	}
	if slices.Contains(names, "file") {
		return nil
	}
	for _, r := range p.Rules {
		if _, ok := r.Signals[enforce.FileModification]; ok {
			return fmt.Errorf("--enforce.policy-file=%s: rule %q acts on %s, which the file collector counts, and it is disabled (enable --collector.file)", *enforcePolicyFile, r.Name, enforce.FileModification)
		}
	}
	return nil
}

// startEnforcer applies the policy file to the loaded process object; nil
// without a policy file.
func startEnforcer(env Env, objs *bpf.ProcessMaps, list classes.List) (*enforce.Enforcer, error) {
	if *enforcePolicyFile == "" {
		return nil, nil
	}
	table, err := fileTable()
	if err != nil {
		return nil, err
	}
	opts := enforce.Options{
		File: *enforcePolicyFile, Vocabulary: enforce.Vocabulary{Classes: list.Classes, FileClasses: table.Names(fileclass.Modify)},
		Resolver: env.Resolver,
		Cgroups:  objs.EnforceCgroups, Counts: objs.EnforceCounts, Interval: *enforceInterval, Logger: env.Logger,
	}
	if env.Recorder != nil {
		births, err := env.Recorder.Births()
		if err != nil {
			return nil, err
		}
		opts.Births = births
	}
	e, err := enforce.New(opts)
	if err != nil {
		if opts.Births != nil {
			opts.Births.Close()
		}
		return nil, fmt.Errorf("--enforce.policy-file: %w", err)
	}
	env.events.enforcer.Store(e)
	return e, nil
}

// describeEnforcement is the event log's events.Decoder.Enforcement.
func (e *eventLog) describeEnforcement(cgroupID uint64, code, values uint32, out *events.Line) {
	if en := e.enforcer.Load(); en != nil {
		en.DescribeEvent(cgroupID, code, values, out)
	}
}
