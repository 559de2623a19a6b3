package collector

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"strings"
	"sync"

	"github.com/alecthomas/kingpin/v2"
	"github.com/cilium/ebpf"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/rtsec/rtsec/bpf"
	"github.com/rtsec/rtsec/bpf/enums"
	"github.com/rtsec/rtsec/exporter/aggregate"
	"github.com/rtsec/rtsec/exporter/bpfprog"
	"github.com/rtsec/rtsec/exporter/classes"
	"github.com/rtsec/rtsec/exporter/container"
	"github.com/rtsec/rtsec/exporter/enforce"
	"github.com/rtsec/rtsec/exporter/events"
	"github.com/rtsec/rtsec/exporter/metricdef"
)

// maxBudget keeps a budget flag from undoing the point of a budget.
const maxBudget = 4096

var (
	binaryBudget = kingpin.Flag("collector.process.binary-budget",
		"Distinct binary names counted per container before the rest count as \"_other\" (1-4096).").
		Default("64").Uint32()
	hostBinaryBudget = kingpin.Flag("collector.process.host-binary-budget",
		"Distinct binary names counted for host processes (all host cgroups together; in the kernel, per host cgroup once it is resolved to the host) before the rest count as \"_other\" (1-4096).").
		Default("1024").Uint32()
	classesFile = kingpin.Flag("collector.process.classes-file",
		"File of binary classes for rtsec_process_class_execs_total: lines \"class: name name…\", # comments; a bad line is fatal and named. Default: the built-in list (exporter/classes). An exec whose arguments name a mining pool (stratum+tcp://…) counts as miner too.").
		Default("").String()
	compatSyscalls = kingpin.Flag("collector.process.compat-syscalls",
		"Count 32-bit (ia32) syscalls per container and class (rtsec_compat_syscalls_total): the kernel skips the per-syscall tracepoints the other process signals use for them. Its program runs on every syscall of the node and returns at once for a 64-bit one. x86-64 only; not loaded where the kernel cannot run 32-bit syscalls (booted with ia32_emulation=0, or without CONFIG_IA32_EMULATION).").
		Default("true").Bool()
)

// compatProgram is the process object's program on every syscall's entry
// that counts 32-bit ones (bpf/src/process/compat.h).
const compatProgram = "compat_syscall"

func init() {
	register("process", true, newProcessCollector)
	validates("process", func() error { _, err := processConfig(); return err })
}

type processCollector struct {
	maps     processMaps
	logger   *slog.Logger
	resolver *container.Resolver
	table    *aggregate.Table
	signals  *signals
	// exemplars link the signal counters to the event log.
	exemplars *events.Exemplars
	// enforcer applies --enforce.policy-file; nil without one.
	enforcer *enforce.Enforcer
	// hostCgroups are the cgroups given the host budget in the kernel.
	hostMu      sync.Mutex
	hostCgroups map[uint64]bool

	execs                     *seriesDesc
	overflows, insertFailures *prometheus.Desc

	// readMu guards what readCounts keeps between scrapes: the batch
	// buffers and the label values of the binary names last seen.
	readMu  sync.Mutex
	counts  bpfprog.Batch[bpf.ProcessExecKey, uint64]
	budgets bpfprog.Batch[uint64, bpf.ProcessExecBudget]
	names   map[[32]int8]string
	// live are readCounts' maps.
	live liveMaps

	// keyBudgets and keys are CgroupIDs' buffers.
	keyBudgets bpfprog.Batch[uint64, bpf.ProcessExecBudget]
	keys       []uint64
}

// processMaps are the maps of the process object that the collector reads
// and writes once it is loaded.
type processMaps struct {
	execCounts, execBudgets, execStats, hostCgroups bpfprog.Map
	signalCounts, signalStats                       bpfprog.Map
}

func validateBudget(flag string, v uint32) error {
	if v < 1 || v > maxBudget {
		return fmt.Errorf("--%s=%d: must be between 1 and %d", flag, v, maxBudget)
	}
	return nil
}

// processConfig checks the process collector's flags and reads its class
// list.
func processConfig() (classes.List, error) {
	if err := validateBudget("collector.process.binary-budget", *binaryBudget); err != nil {
		return classes.List{}, err
	}
	if err := validateBudget("collector.process.host-binary-budget", *hostBinaryBudget); err != nil {
		return classes.List{}, err
	}
	list, err := classes.Load(*classesFile)
	if err != nil {
		return classes.List{}, fmt.Errorf("--collector.process.classes-file: %w", err)
	}
	return list, nil
}

func newProcessCollector(env Env) (Collector, error) {
	list, err := processConfig()
	if err != nil {
		return nil, err
	}
	spec, err := bpf.LoadProcess()
	if err != nil {
		return nil, err
	}
	variables := map[string]any{
		"binary_budget": *binaryBudget, "host_binary_budget": *hostBinaryBudget,
		"shell_class": list.ID(classes.Shell), "miner_class": list.ID(classes.Miner),
		"self_tgid": uint32(os.Getpid()),
	}
	for name, v := range variables {
		if err := spec.Variables[name].Set(v); err != nil {
			return nil, fmt.Errorf("set %s: %w", name, err)
		}
	}
	// Only x86-64's TS_COMPAT tells a 32-bit syscall from a native one.
	if !*compatSyscalls || runtime.GOARCH != "amd64" {
		delete(spec.Programs, compatProgram)
	} else if ok, why := ia32Syscalls(kernelCmdline()); !ok {
		delete(spec.Programs, compatProgram)
		env.Logger.Info("32-bit syscalls are not counted: this kernel cannot run them", "reason", why)
	}
	missing, err := bpfprog.DropMissingTracepoints(spec)
	if err != nil {
		return nil, err
	}
	if len(missing) > 0 {
		env.Logger.Info("tracepoints missing from this kernel: those syscalls are not counted", "tracepoints", missing)
	}
	var objs bpf.ProcessMaps
	if err := env.events.load(env.BPF, spec, &objs); err != nil {
		return nil, err
	}
	if err := loadRuntimeBinaries(objs.RuntimeBinaries, env.Logger); err != nil {
		return nil, err
	}
	if err := loadClassNames(objs.ClassNames, list); err != nil {
		return nil, err
	}
	enforcer, err := startEnforcer(env, &objs, list)
	if err != nil {
		return nil, err
	}
	maps := processMaps{
		execCounts: objs.ExecCounts, execBudgets: objs.ExecBudgets, execStats: objs.ExecStats, hostCgroups: objs.HostCgroups,
		signalCounts: objs.SignalCounts, signalStats: objs.SignalStats,
	}
	return newProcess(maps, list, env.Logger, env.Resolver, env.events.exemplars, enforcer), nil
}

// newProcess returns the process collector of a loaded process object.
func newProcess(maps processMaps, list classes.List, logger *slog.Logger, resolver *container.Resolver,
	exemplars *events.Exemplars, enforcer *enforce.Enforcer) *processCollector {
	c := &processCollector{
		maps:           maps,
		logger:         logger,
		resolver:       resolver,
		exemplars:      exemplars,
		enforcer:       enforcer,
		signals:        newSignals(maps.signalCounts, list, resolver),
		hostCgroups:    map[uint64]bool{},
		execs:          newSeriesDesc(metricdef.ProcessExecs),
		overflows:      metricdef.LabelOverflows.Desc(),
		insertFailures: metricdef.BPFMapInsertFailures.Desc(),
	}
	// The kernel budgets each cgroup; the table caps the union of an
	// identity's cgroups (the host has many) in userspace.
	c.table = aggregate.NewTable(func(id container.Identity) int {
		if id.IsHost() {
			return int(*hostBinaryBudget)
		}
		return int(*binaryBudget)
	})
	resolver.OnHost(c.raiseHostBudget)
	return c
}

// binaryName turns the kernel's NUL-padded name into a label value. The
// name is kept as it is, spaces too: " sh" is another file than "sh", and
// any renamed copy of a shell escapes name matching alike, so trimming
// would only misreport.
func binaryName(raw []int8) string {
	b := make([]byte, 0, len(raw))
	for _, c := range raw {
		if c == 0 {
			break
		}
		b = append(b, byte(c))
	}
	return strings.ToValidUTF8(string(b), "\uFFFD")
}

// readCounts reads the kernel's counts and name budgets. Execs that found
// the count map full were kept in the key's budget entry: they count as
// overflow.
func (c *processCollector) readCounts() (map[aggregate.Key]uint64, error) {
	c.readMu.Lock()
	defer c.readMu.Unlock()
	keys, values, err := c.counts.Read(c.maps.execCounts)
	if err != nil {
		return nil, err
	}
	ids, entries, err := c.budgets.Read(c.maps.execBudgets)
	if err != nil {
		return nil, err
	}
	// Binary names keep their label value from one scrape to the next:
	// the names of this scrape's keys, made once each.
	names := make(map[[32]int8]string, len(c.names))
	live := c.live.get()
	for i, k := range keys {
		name, ok := names[k.Binary]
		if !ok {
			if name, ok = c.names[k.Binary]; !ok {
				name = binaryName(k.Binary[:])
			}
			names[k.Binary] = name
		}
		live[aggregate.Key{CgroupID: k.CgroupId, Value: name}] += values[i]
	}
	c.names = names
	for i, id := range ids {
		if b := entries[i]; b.Dropped > 0 {
			live[aggregate.Key{CgroupID: id, Value: metricdef.OverflowValue}] += b.Dropped
		}
	}
	return live, nil
}

// raiseHostBudget gives a cgroup that resolves to the host the host's name
// budget in the kernel (host_cgroups), so that a systemd service or a login
// session is not held to a container's budget. The resolver calls it when it
// learns that the cgroup is the host's (Resolver.OnHost), not a scrape:
// names past the container budget before then were counted as "_other",
// new ones are counted by name.
func (c *processCollector) raiseHostBudget(id uint64) {
	c.hostMu.Lock()
	defer c.hostMu.Unlock()
	if c.hostCgroups[id] {
		return
	}
	if err := c.maps.hostCgroups.Put(id, uint8(1)); err != nil {
		c.logger.Warn("cannot give a host cgroup the host's name budget: its names past a container's budget count as _other", "cgroup_id", id, "err", err)
		return
	}
	c.hostCgroups[id] = true
}

func (c *processCollector) Update(ch chan<- prometheus.Metric) error {
	live, err := c.readCounts()
	if err != nil {
		return err
	}
	sums, folded := c.table.Sum(live, c.resolver.Resolve)
	c.live.put(live)
	labels := make([]string, 5) // copied by each metric: one slice serves all
	for _, s := range sums.Series {
		id := s.Identity
		labels[0], labels[1], labels[2], labels[3], labels[4] = id.ID, id.Namespace, id.Pod, id.Container, s.Value
		ch <- c.execs.metric(float64(s.Count), labels...)
	}
	c.table.Release(sums)

	stats, err := bpfprog.SumsPerCPU(c.maps.execStats)
	if err != nil {
		return err
	}
	ch <- prometheus.MustNewConstMetric(c.overflows, prometheus.CounterValue, float64(statAt(stats, enums.StatExecOverflow)+folded), metricdef.ProcessExecs.Name)
	for mapName, index := range map[string]uint32{"exec_counts": enums.StatExecCountsFull, "exec_budgets": enums.StatExecBudgetFull} {
		ch <- prometheus.MustNewConstMetric(c.insertFailures, prometheus.CounterValue, float64(statAt(stats, index)), mapName)
	}
	n, err := bpfprog.SumPerCPU(c.maps.signalStats, enums.StatSignalCountsFull)
	if err != nil {
		return err
	}
	ch <- prometheus.MustNewConstMetric(c.insertFailures, prometheus.CounterValue, float64(n), "signal_counts")
	if c.enforcer != nil {
		if err := c.enforcer.Update(ch); err != nil {
			return err
		}
	}
	return c.signals.update(ch, c.exemplars)
}

// CgroupIDs implements Forgetter.
func (c *processCollector) CgroupIDs() ([]uint64, error) {
	budgets, _, err := c.keyBudgets.Read(c.maps.execBudgets)
	if err != nil {
		return nil, err
	}
	signalled, err := c.signals.cgroupIDs()
	if err != nil {
		return nil, err
	}
	ids := append(append(c.keys[:0], signalled...), budgets...)
	if c.enforcer != nil {
		enforced, err := c.enforcer.CgroupIDs()
		if err != nil {
			return nil, err
		}
		ids = append(ids, enforced...)
	}
	c.keys = ids
	return ids, nil
}

// Forget implements Forgetter: the counts of the gone keys are retired into
// their identities' sums, then their kernel entries deleted.
func (c *processCollector) Forget(gone map[uint64]bool) error {
	live, err := c.readCounts()
	if err != nil {
		return err
	}
	c.table.Retire(live, gone)
	c.live.put(live)
	// Delete by the raw kernel keys: label values were cleaned up.
	if err := bpfprog.DeleteWhere(c.maps.execCounts, func(k bpf.ProcessExecKey, _ uint64) bool { return gone[k.CgroupId] }); err != nil {
		return err
	}
	if err := c.forgetBudgets(gone); err != nil {
		return err
	}
	if c.enforcer != nil {
		if err := c.enforcer.Forget(gone); err != nil {
			return err
		}
	}
	return c.signals.forget(gone)
}

// forgetBudgets deletes the name budgets of the gone keys, the host's too.
func (c *processCollector) forgetBudgets(gone map[uint64]bool) error {
	c.hostMu.Lock()
	defer c.hostMu.Unlock()
	for id := range gone {
		if err := c.maps.execBudgets.Delete(id); err != nil && !errors.Is(err, ebpf.ErrKeyNotExist) {
			return fmt.Errorf("forget exec budget: %w", err)
		}
		if c.hostCgroups[id] {
			if err := c.maps.hostCgroups.Delete(id); err != nil && !errors.Is(err, ebpf.ErrKeyNotExist) {
				return fmt.Errorf("forget host cgroup: %w", err)
			}
			delete(c.hostCgroups, id)
		}
	}
	return nil
}

// Close stops keeping the enforcement policy current.
func (c *processCollector) Close() error {
	if c.enforcer == nil {
		return nil
	}
	return c.enforcer.Close()
}
