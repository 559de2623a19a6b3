package collector

import (
	"fmt"
	"strings"
	"sync"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/rtsec/rtsec/bpf"
	"github.com/rtsec/rtsec/bpf/enums"
	"github.com/rtsec/rtsec/exporter/aggregate"
	"github.com/rtsec/rtsec/exporter/bpfprog"
	"github.com/rtsec/rtsec/exporter/classes"
	"github.com/rtsec/rtsec/exporter/container"
	"github.com/rtsec/rtsec/exporter/events"
	"github.com/rtsec/rtsec/exporter/metricdef"
)

// signals reads the per-container counters of the process signals with a
// fixed label set: suspicious exec reasons, classes, privilege change kinds,
// sensitive syscalls and 32-bit syscall classes. Their label values are bounded by the kernel, so
// the tables' budgets are never the limit.
type signals struct {
	counts   bpfprog.Map
	classes  classes.List
	resolver *container.Resolver
	tables   map[uint16]*aggregate.Table
	descs    map[uint16]*seriesDesc
	names    map[uint16]string

	// mu guards what read keeps between scrapes: the batch buffers and
	// the label values of each kernel (signal, value), made once.
	mu     sync.Mutex
	batch  bpfprog.Batch[bpf.ProcessSignalKey, uint64]
	values map[[2]uint16]signalValue
	// keys lists the container keys for cgroupIDs.
	keys cgroupKeys[bpf.ProcessSignalKey]
}

// signalValue is what a kernel (signal, value) is exported as: the label
// values after the identity joined by "/" (the aggregate value), or not
// at all.
type signalValue struct {
	joined string
	ok     bool
}

// loadClassNames puts the binary names of the class list into the process
// object's class_names map.
func loadClassNames(m bpfprog.Map, list classes.List) error {
	for name, id := range list.Binaries {
		var key [enums.BinaryLen]byte
		copy(key[:], name)
		if err := m.Put(key, id); err != nil {
			return fmt.Errorf("load class of %s: %w", name, err)
		}
	}
	return nil
}

func newSignals(counts bpfprog.Map, list classes.List, resolver *container.Resolver) *signals {
	s := &signals{
		counts: counts, classes: list, resolver: resolver,
		tables: map[uint16]*aggregate.Table{}, descs: map[uint16]*seriesDesc{}, names: map[uint16]string{},
		values: map[[2]uint16]signalValue{},
	}
	unbounded := func(container.Identity) int { return 1 << 16 }
	for signal, def := range map[uint16]metricdef.Def{
		enums.SignalSuspiciousExec:   metricdef.ProcessSuspiciousExecs,
		enums.SignalExecClass:        metricdef.ProcessClassExecs,
		enums.SignalPrivilegeChange:  metricdef.PrivilegeChanges,
		enums.SignalSensitiveSyscall: metricdef.SensitiveSyscalls,
		enums.SignalCompatSyscall:    metricdef.CompatSyscalls,
	} {
		s.tables[signal] = aggregate.NewTable(unbounded)
		s.descs[signal] = newSeriesDesc(def)
		s.names[signal] = def.Name
	}
	return s
}

// labelValues turns a kernel value into the label values after the identity.
func (s *signals) labelValues(signal, value uint16) ([]string, bool) {
	name := func(names []string, i int) ([]string, bool) {
		if i < len(names) {
			return []string{names[i]}, true
		}
		return nil, false
	}
	switch signal {
	case enums.SignalSuspiciousExec:
		return name(metricdef.SuspiciousExecReasons, int(value))
	case enums.SignalExecClass:
		return name(s.classes.Classes, int(value)-1)
	case enums.SignalPrivilegeChange:
		return name(metricdef.PrivilegeChangeKinds, int(value))
	case enums.SignalSensitiveSyscall:
		sc, ok := name(metricdef.SensitiveSyscallNames, int(value/enums.ScResults))
		res, ok2 := name(metricdef.SyscallResults, int(value%enums.ScResults))
		return append(sc, res...), ok && ok2
	case enums.SignalCompatSyscall:
		return name(metricdef.CompatSyscallClasses, int(value))
	}
	return nil, false
}

// read returns the live kernel counts by signal, with the label values
// joined by "/" as the aggregate value.
func (s *signals) read() (map[uint16]map[aggregate.Key]uint64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	keys, counts, err := s.batch.Read(s.counts)
	if err != nil {
		return nil, err
	}
	live := map[uint16]map[aggregate.Key]uint64{}
	for i, k := range keys {
		sv := s.value(k.Signal, k.Value)
		if !sv.ok {
			continue
		}
		if live[k.Signal] == nil {
			live[k.Signal] = map[aggregate.Key]uint64{}
		}
		live[k.Signal][aggregate.Key{CgroupID: k.CgroupId, Value: sv.joined}] += counts[i]
	}
	return live, nil
}

// value returns the label values of a kernel (signal, value), made at its
// first sight. The kernel's values are a small fixed set, so is the cache.
// Called with s.mu held.
func (s *signals) value(signal, value uint16) signalValue {
	k := [2]uint16{signal, value}
	sv, ok := s.values[k]
	if !ok {
		var labels []string
		labels, sv.ok = s.labelValues(signal, value)
		sv.joined = strings.Join(labels, "/")
		s.values[k] = sv
	}
	return sv
}

// update sends the counters, each with the exemplar of its last event.
func (s *signals) update(ch chan<- prometheus.Metric, exemplars *events.Exemplars) error {
	live, err := s.read()
	if err != nil {
		return err
	}
	var labels []string // copied by each metric: one slice serves all
	for signal, table := range s.tables {
		sums, _ := table.Sum(live[signal], s.resolver.Resolve)
		for _, sr := range sums.Series {
			id := sr.Identity
			labels = append(labels[:0], id.ID, id.Namespace, id.Pod, id.Container)
			for v := range strings.SplitSeq(sr.Value, "/") {
				labels = append(labels, v)
			}
			m := s.descs[signal].metric(float64(sr.Count), labels...)
			ch <- exemplars.Attach(m, s.names[signal], labels)
		}
		table.Release(sums)
	}
	return nil
}

// cgroupIDs lists the container keys with counts.
func (s *signals) cgroupIDs() ([]uint64, error) {
	return s.keys.list(s.counts, func(k bpf.ProcessSignalKey) uint64 { return k.CgroupId })
}

// forget retires the counts of gone keys into their identities' sums and
// deletes them from the kernel.
func (s *signals) forget(gone map[uint64]bool) error {
	live, err := s.read()
	if err != nil {
		return err
	}
	for signal, table := range s.tables {
		table.Retire(live[signal], gone)
	}
	return bpfprog.DeleteWhere(s.counts, func(k bpf.ProcessSignalKey, _ uint64) bool { return gone[k.CgroupId] })
}
