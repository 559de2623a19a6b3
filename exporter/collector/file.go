package collector

import (
	"fmt"
	"strings"
	"sync"

	"github.com/alecthomas/kingpin/v2"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/rtsec/rtsec/bpf"
	"github.com/rtsec/rtsec/bpf/enums"
	"github.com/rtsec/rtsec/exporter/aggregate"
	"github.com/rtsec/rtsec/exporter/bpfprog"
	"github.com/rtsec/rtsec/exporter/container"
	"github.com/rtsec/rtsec/exporter/events"
	"github.com/rtsec/rtsec/exporter/fileclass"
	"github.com/rtsec/rtsec/exporter/metricdef"
)

var fileClassesFile = kingpin.Flag("collector.file.classes-file",
	"YAML file of file path classes (see docs/files.md) replacing the built-in table.").Default("").String()

func init() {
	register("file", true, newFileCollector)
	validates("file", func() error { _, err := fileTable(); return err })
}

// fileTable reads --collector.file.classes-file.
func fileTable() (*fileclass.Table, error) {
	table, err := fileclass.Load(*fileClassesFile)
	if err != nil {
		return nil, fmt.Errorf("--collector.file.classes-file: %w", err)
	}
	return table, nil
}

// fileCollector counts modifications of classified paths and reads of
// sensitive files, classified in the kernel (files.bpf.c), and sends the
// critical ones to the event log.
type fileCollector struct {
	counts, stats       bpfprog.Map
	resolver            *container.Resolver
	modNames, readNames []string
	mods, reads         *aggregate.Table
	exemplars           *events.Exemplars

	modDesc, readDesc              *seriesDesc
	unresolvedDesc, insertFailures *prometheus.Desc

	// modValues[class-1][op-1] is the aggregate value "class/op", made once.
	modValues [][]string
	// readMu guards the batch buffers of readCounts.
	readMu sync.Mutex
	batch  bpfprog.Batch[bpf.FilesFileKey, uint64]
	// live are readCounts' maps.
	live liveMaps
	// keys lists the container keys for CgroupIDs.
	keys cgroupKeys[bpf.FilesFileKey]
}

func newFileCollector(env Env) (Collector, error) {
	table, err := fileTable()
	if err != nil {
		return nil, err
	}
	spec, err := bpf.LoadFiles()
	if err != nil {
		return nil, err
	}
	// open(2) and creat(2) exist on x86-64 only (arm64 has openat alone).
	missing, err := bpfprog.DropMissingTracepoints(spec)
	if err != nil {
		return nil, err
	}
	if len(missing) > 0 {
		env.Logger.Info("tracepoints missing from this kernel: those syscalls are not counted", "tracepoints", missing)
	}
	// The event log names the classes of the object's first events.
	modNames, readNames := table.Names(fileclass.Modify), table.Names(fileclass.Read)
	env.events.classes.Store(&events.FileClasses{Modify: modNames, Read: readNames})
	var objs bpf.FilesMaps
	if err := env.events.load(env.BPF, spec, &objs); err != nil {
		return nil, err
	}
	if err := table.Fill(objs.FileClasses, objs.ReadGate, objs.GateFilter); err != nil {
		return nil, err
	}
	// The runtime's own setup of a new container is not the container's.
	if err := loadRuntimeBinaries(objs.RuntimeBinaries, env.Logger); err != nil {
		return nil, err
	}
	return newFile(objs.FileCounts, objs.FileStats, modNames, readNames, env.Resolver, env.events.exemplars), nil
}

// newFile returns the file collector of a loaded files object, whose class
// ids index modNames and readNames.
func newFile(counts, stats bpfprog.Map, modNames, readNames []string, resolver *container.Resolver, exemplars *events.Exemplars) *fileCollector {
	// Every value of a fixed label set fits: no overflow to budget.
	unbounded := func(container.Identity) int { return 1 << 16 }
	c := &fileCollector{
		counts:         counts,
		stats:          stats,
		resolver:       resolver,
		modNames:       modNames,
		readNames:      readNames,
		mods:           aggregate.NewTable(unbounded),
		reads:          aggregate.NewTable(unbounded),
		exemplars:      exemplars,
		modDesc:        newSeriesDesc(metricdef.FileModifications),
		readDesc:       newSeriesDesc(metricdef.FileSensitiveReads),
		unresolvedDesc: metricdef.FileUnresolvedPaths.Desc(),
		insertFailures: metricdef.BPFMapInsertFailures.Desc(),
	}
	for _, class := range c.modNames {
		values := make([]string, len(metricdef.FileOps))
		for i, op := range metricdef.FileOps {
			values[i] = class + "/" + op
		}
		c.modValues = append(c.modValues, values)
	}
	return c
}

// tableName returns names[id-1], or "" for an id the table does not know.
func tableName(names []string, id uint8) string {
	if id == 0 || int(id) > len(names) {
		return ""
	}
	return names[id-1]
}

// readCounts splits the kernel's counts into modifications (value
// "class/op") and reads (value "class").
func (c *fileCollector) readCounts() (mods, reads map[aggregate.Key]uint64, err error) {
	c.readMu.Lock()
	defer c.readMu.Unlock()
	keys, values, err := c.batch.Read(c.counts)
	if err != nil {
		return nil, nil, err
	}
	mods, reads = c.live.get(), c.live.get()
	for i, k := range keys {
		v := values[i]
		if k.Read == 1 {
			if n := tableName(c.readNames, k.Class); n != "" {
				reads[aggregate.Key{CgroupID: k.CgroupId, Value: n}] += v
			}
			continue
		}
		class, op := int(k.Class), int(k.Op)
		if class >= 1 && class <= len(c.modValues) && op >= 1 && op <= len(metricdef.FileOps) {
			mods[aggregate.Key{CgroupID: k.CgroupId, Value: c.modValues[class-1][op-1]}] += v
		}
	}
	return mods, reads, nil
}

func (c *fileCollector) Update(ch chan<- prometheus.Metric) error {
	mods, reads, err := c.readCounts()
	if err != nil {
		return err
	}
	// The metrics copy the label values: one slice serves all.
	labels := make([]string, 6)
	defer c.live.put(mods, reads)
	sums, _ := c.mods.Sum(mods, c.resolver.Resolve)
	for _, s := range sums.Series {
		class, op, _ := strings.Cut(s.Value, "/")
		id := s.Identity
		labels[0], labels[1], labels[2], labels[3], labels[4], labels[5] = id.ID, id.Namespace, id.Pod, id.Container, class, op
		m := c.modDesc.metric(float64(s.Count), labels...)
		ch <- c.exemplars.Attach(m, metricdef.FileModifications.Name, labels)
	}
	c.mods.Release(sums)
	sums, _ = c.reads.Sum(reads, c.resolver.Resolve)
	labels = labels[:5]
	for _, s := range sums.Series {
		id := s.Identity
		labels[0], labels[1], labels[2], labels[3], labels[4] = id.ID, id.Namespace, id.Pod, id.Container, s.Value
		m := c.readDesc.metric(float64(s.Count), labels...)
		ch <- c.exemplars.Attach(m, metricdef.FileSensitiveReads.Name, labels)
	}
	c.reads.Release(sums)
	stats, err := bpfprog.SumsPerCPU(c.stats)
	if err != nil {
		return err
	}
	ch <- prometheus.MustNewConstMetric(c.unresolvedDesc, prometheus.CounterValue, float64(statAt(stats, enums.StatFileUnresolved)))
	for mapName, index := range map[string]uint32{"file_counts": enums.StatFileCountsFull, "file_pending": enums.StatFilePendingFull, "file_event_paths": enums.StatFileEventPathsFull} {
		ch <- prometheus.MustNewConstMetric(c.insertFailures, prometheus.CounterValue, float64(statAt(stats, index)), mapName)
	}
	return nil
}

// CgroupIDs implements Forgetter.
func (c *fileCollector) CgroupIDs() ([]uint64, error) {
	return c.keys.list(c.counts, func(k bpf.FilesFileKey) uint64 { return k.CgroupId })
}

// Forget implements Forgetter: the counts of the gone keys are retired into
// their identities' sums, then their kernel entries deleted.
func (c *fileCollector) Forget(gone map[uint64]bool) error {
	mods, reads, err := c.readCounts()
	if err != nil {
		return err
	}
	c.mods.Retire(mods, gone)
	c.reads.Retire(reads, gone)
	c.live.put(mods, reads)
	return bpfprog.DeleteWhere(c.counts, func(k bpf.FilesFileKey, _ uint64) bool { return gone[k.CgroupId] })
}
