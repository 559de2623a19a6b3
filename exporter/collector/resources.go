package collector

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"syscall"

	"github.com/cilium/ebpf/btf"
	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/sys/unix"

	"github.com/rtsec/rtsec/bpf"
	"github.com/rtsec/rtsec/bpf/enums"
	"github.com/rtsec/rtsec/exporter/aggregate"
	"github.com/rtsec/rtsec/exporter/bpfprog"
	"github.com/rtsec/rtsec/exporter/cgroupstat"
	"github.com/rtsec/rtsec/exporter/container"
	"github.com/rtsec/rtsec/exporter/metricdef"
	"github.com/rtsec/rtsec/exporter/sysfile"
)

func init() {
	register("resources", true, newResourcesCollector)
}

// resourcesCollector reports each container's CPU, memory and pids use from
// its cgroup files, and the forks, signal deaths and OOM kills the kernel
// counted for it.
type resourcesCollector struct {
	counts   bpfprog.Map
	stats    bpfprog.Map
	resolver *container.Resolver
	layout   cgroupstat.Layout
	// files are the containers' cgroup files, kept open: a quarter of the
	// descriptors the process may open, as posture's.
	files  *cgroupstat.Files
	tables map[uint16]*aggregate.Table
	descs  map[uint16]*seriesDesc

	// dirs caches, by cgroup2 path, a container's v1 directories on a
	// hybrid node (found from one of its processes); pruned to the live
	// containers at each scrape.
	mu   sync.Mutex
	dirs map[string]cgroupstat.Dirs
	// keys lists the container keys for CgroupIDs.
	keys cgroupKeys[bpf.ResourcesResourceKey]

	fields         map[cgroupstat.Field]*prometheus.Desc
	cpu            *seriesDesc
	events         *prometheus.Desc
	insertFailures *prometheus.Desc
}

func newResourcesCollector(env Env) (Collector, error) {
	layout, err := cgroupstat.Detect(env.Resolver.Root())
	if err != nil {
		return nil, err
	}
	env.Logger.Info("cgroup controllers read by the resources collector", "unified", layout.Unified, "controllers", layout.Controllers())
	spec, err := bpf.LoadResources()
	if err != nil {
		return nil, err
	}
	if !hasTracepointBTF("mark_victim") {
		delete(spec.Programs, "handle_mark_victim")
		env.Logger.Info("no oom:mark_victim tracepoint in this kernel: rtsec_container_oom_kills_total stays absent; memory.events oom_kill still counts")
	}
	var objs bpf.ResourcesMaps
	if err := env.BPF.Load(spec, &objs); err != nil {
		return nil, err
	}
	return newResources(objs.ResourceCounts, objs.ResourceStats, layout, env.Resolver), nil
}

// newResources returns the resources collector of a loaded resources
// object, reading the cgroup files of layout.
func newResources(counts, stats bpfprog.Map, layout cgroupstat.Layout, resolver *container.Resolver) *resourcesCollector {
	c := &resourcesCollector{
		counts:   counts,
		stats:    stats,
		resolver: resolver,
		layout:   layout,
		files:    cgroupstat.NewFiles(sysfile.DescriptorShare(4)),
		dirs:     map[string]cgroupstat.Dirs{},
		tables:   map[uint16]*aggregate.Table{},
		descs: map[uint16]*seriesDesc{
			enums.ResourceFork:        newSeriesDesc(metricdef.ContainerForks),
			enums.ResourceSignalExit:  newSeriesDesc(metricdef.ContainerSignalExits),
			enums.ResourceOOMKill:     newSeriesDesc(metricdef.ContainerOOMKills),
			enums.ResourceForkRefused: newSeriesDesc(metricdef.ContainerForksRefused),
		},
		fields: map[cgroupstat.Field]*prometheus.Desc{
			cgroupstat.CPUQuotaCores:       metricdef.ContainerCPUQuota.Desc(),
			cgroupstat.CPUPeriods:          metricdef.ContainerCPUPeriods.Desc(),
			cgroupstat.CPUThrottledPeriods: metricdef.ContainerCPUThrottledPeriods.Desc(),
			cgroupstat.CPUThrottledSeconds: metricdef.ContainerCPUThrottledSeconds.Desc(),
			cgroupstat.MemoryBytes:         metricdef.ContainerMemory.Desc(),
			cgroupstat.MemoryPeakBytes:     metricdef.ContainerMemoryPeak.Desc(),
			cgroupstat.MemoryLimitBytes:    metricdef.ContainerMemoryLimit.Desc(),
			cgroupstat.PidsCurrent:         metricdef.ContainerPids.Desc(),
			cgroupstat.PidsLimit:           metricdef.ContainerPidsLimit.Desc(),
			cgroupstat.PidsLimitHits:       metricdef.ContainerPidsLimitHits.Desc(),
		},
		cpu:            newSeriesDesc(metricdef.ContainerCPUSeconds),
		events:         metricdef.ContainerMemoryEvents.Desc(),
		insertFailures: metricdef.BPFMapInsertFailures.Desc(),
	}
	// The label values are fixed sets: the tables' budgets are never the limit.
	for signal := range c.descs {
		c.tables[signal] = aggregate.NewTable(func(container.Identity) int { return 1 << 16 })
	}
	return c
}

// hasTracepointBTF reports whether the kernel's BTF has the tp_btf target
// of tracepoint name.
func hasTracepointBTF(name string) bool {
	spec, err := btf.LoadKernelSpec()
	if err != nil {
		return false
	}
	var typ *btf.Typedef
	return spec.TypeByName("btf_trace_"+name, &typ) == nil
}

// counterFields are the cgroupstat fields exported as counters.
var counterFields = []cgroupstat.Field{cgroupstat.CPUPeriods, cgroupstat.CPUThrottledPeriods, cgroupstat.CPUThrottledSeconds, cgroupstat.PidsLimitHits}

func (c *resourcesCollector) Update(ch chan<- prometheus.Metric) error {
	errKernel := c.updateKernel(ch)
	return errors.Join(errKernel, c.updateCgroups(ch))
}

// updateCgroups reads the cgroup files of every live container.
func (c *resourcesCollector) updateCgroups(ch chan<- prometheus.Metric) error {
	live, err := c.resolver.LiveCgroups()
	if err != nil {
		return err
	}
	c.files.Begin()
	defer c.files.End()
	var (
		errs   []error
		labels []string
		stats  cgroupstat.Stats // one serves every container
	)
	seen := map[string]bool{}
	for _, cg := range live {
		seen[cg.Path] = true
		dirs, err := c.dirsOf(cg.Path)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		err = c.layout.ReadInto(dirs, &stats, c.files)
		if errors.Is(err, cgroupstat.ErrGone) {
			continue
		}
		if err != nil {
			errs = append(errs, err)
		}
		id := cg.Identity
		// The metrics copy the label values: one slice serves all.
		labels = append(labels[:0], id.ID, id.Namespace, id.Pod, id.Container)
		// User and system time in one series: the split would cost every
		// container a series, and no rule reads it.
		user, okUser := stats.Values[cgroupstat.CPUUserSeconds]
		system, okSystem := stats.Values[cgroupstat.CPUSystemSeconds]
		if okUser || okSystem {
			ch <- c.cpu.metric(user+system, labels...)
		}
		for field, desc := range c.fields {
			v, ok := stats.Values[field]
			if !ok {
				continue
			}
			typ := prometheus.GaugeValue
			if slices.Contains(counterFields, field) {
				// Counters of what an idle container never does (throttling,
				// refused forks) appear at their first event: the mixin counts
				// a series born with its value, and idle containers stay cheap.
				if v == 0 {
					continue
				}
				typ = prometheus.CounterValue
			}
			ch <- prometheus.MustNewConstMetric(desc, typ, v, labels...)
		}
		for event, v := range stats.Events {
			if v == 0 {
				continue
			}
			ch <- prometheus.MustNewConstMetric(c.events, prometheus.CounterValue, v, append(labels[:4], event)...)
		}
	}
	c.mu.Lock()
	for path := range c.dirs {
		if !seen[path] {
			delete(c.dirs, path)
		}
	}
	c.mu.Unlock()
	return errors.Join(errs...)
}

// dirsOf returns a container's directories, cached once its v1 ones are
// looked up (a container between its cgroup's creation and its first
// process has none yet).
func (c *resourcesCollector) dirsOf(path string) (cgroupstat.Dirs, error) {
	if !c.layout.Hybrid() {
		return c.layout.DirsOf(path, "/proc")
	}
	c.mu.Lock()
	d, ok := c.dirs[path]
	c.mu.Unlock()
	if ok {
		return d, nil
	}
	d, err := c.layout.DirsOf(path, "/proc")
	if err != nil {
		return d, fmt.Errorf("cgroup directories of %s: %w", path, err)
	}
	if d.Found() {
		c.mu.Lock()
		c.dirs[path] = d
		c.mu.Unlock()
	}
	return d, nil
}

// labelValue names a kernel value of signal.
func labelValue(signal, value uint16) (string, bool) {
	switch signal {
	case enums.ResourceFork:
		if int(value) < len(metricdef.ForkKinds) {
			return metricdef.ForkKinds[value], true
		}
	case enums.ResourceSignalExit:
		name := unix.SignalName(syscall.Signal(value))
		if !slices.Contains(metricdef.ExitSignals, name) {
			name = "other"
		}
		return name, true
	case enums.ResourceOOMKill, enums.ResourceForkRefused:
		return "", true
	}
	return "", false
}

// read returns the live kernel counts by signal.
func (c *resourcesCollector) read() (map[uint16]map[aggregate.Key]uint64, error) {
	raw, err := bpfprog.Dump[bpf.ResourcesResourceKey, uint64](c.counts)
	if err != nil {
		return nil, err
	}
	live := map[uint16]map[aggregate.Key]uint64{}
	for k, v := range raw {
		value, ok := labelValue(k.Signal, k.Value)
		if !ok {
			continue
		}
		if live[k.Signal] == nil {
			live[k.Signal] = map[aggregate.Key]uint64{}
		}
		live[k.Signal][aggregate.Key{CgroupID: k.CgroupId, Value: value}] += v
	}
	return live, nil
}

// updateKernel sends the kernel's counts.
func (c *resourcesCollector) updateKernel(ch chan<- prometheus.Metric) error {
	live, err := c.read()
	if err != nil {
		return err
	}
	var labels []string // copied by each metric: one slice serves all
	for signal, table := range c.tables {
		sums, _ := table.Sum(live[signal], c.resolver.Resolve)
		for _, s := range sums.Series {
			id := s.Identity
			labels = append(labels[:0], id.ID, id.Namespace, id.Pod, id.Container)
			if s.Value != "" { // OOM kills and refused forks have no value label
				labels = append(labels, s.Value)
			}
			ch <- c.descs[signal].metric(float64(s.Count), labels...)
		}
		table.Release(sums)
	}
	n, err := bpfprog.SumPerCPU(c.stats, enums.StatResourceCountsFull)
	if err != nil {
		return err
	}
	ch <- prometheus.MustNewConstMetric(c.insertFailures, prometheus.CounterValue, float64(n), "resource_counts")
	return nil
}

// CgroupIDs implements Forgetter.
func (c *resourcesCollector) CgroupIDs() ([]uint64, error) {
	return c.keys.list(c.counts, func(k bpf.ResourcesResourceKey) uint64 { return k.CgroupId })
}

// Forget implements Forgetter: the counts of gone keys are retired into
// their identities' sums, then deleted from the kernel.
func (c *resourcesCollector) Forget(gone map[uint64]bool) error {
	live, err := c.read()
	if err != nil {
		return err
	}
	for signal, table := range c.tables {
		table.Retire(live[signal], gone)
	}
	return bpfprog.DeleteWhere(c.counts, func(k bpf.ResourcesResourceKey, _ uint64) bool { return gone[k.CgroupId] })
}
