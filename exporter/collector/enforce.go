package collector

import (
	"fmt"
	"os"
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
		"How often the enforcement policy is applied to new and gone cgroups.").
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
	if *enforceInterval < 10*time.Millisecond {
		return nil, fmt.Errorf("--enforce.refresh-interval=%v: must be at least 10ms", *enforceInterval)
	}
	e, err := enforce.New(enforce.Options{
		File: *enforcePolicyFile, Vocabulary: enforce.Vocabulary{Classes: list.Classes, FileClasses: table.Names(fileclass.Modify)},
		Resolver: env.Resolver,
		Cgroups:  objs.EnforceCgroups, Counts: objs.EnforceCounts, Interval: *enforceInterval, Logger: env.Logger,
	})
	if err != nil {
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
