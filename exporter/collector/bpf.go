package collector

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"

	"github.com/cilium/ebpf"
	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/sys/unix"

	"github.com/rtsec/rtsec/exporter/bpfprog"
	"github.com/rtsec/rtsec/exporter/metricdef"
)

func init() {
	register("bpf", true, newBPFCollector)
}

// bpfCollector reports on rtsec's own BPF programs and maps: how often they
// run, the CPU they take, and how full the hash maps are.
type bpfCollector struct {
	// loaded lists what the collector reports on.
	loaded func() bpfprog.Inventory
	// stats keeps the kernel's BPF run-time statistics on while it is open.
	stats io.Closer
	// counter counts map entries with buffers kept between scrapes;
	// concurrent scrapes take turns.
	mu      sync.Mutex
	counter bpfprog.Counter

	runs, runTime, entries, capacity *prometheus.Desc
}

func newBPFCollector(env Env) (Collector, error) {
	c := newBPF(env.BPF.Inventory)
	if statsEnabled(statsEnabledPath) {
		return c, nil // the node keeps them on: no capability needed
	}
	stats, err := ebpf.EnableStats(uint32(unix.BPF_STATS_RUN_TIME))
	if err != nil {
		env.Logger.Warn("cannot enable BPF run-time statistics: rtsec_bpf_program_run* stay 0; they need CAP_SYS_ADMIN or sysctl kernel.bpf_stats_enabled=1 on the node", "err", err)
	} else {
		c.stats = stats
	}
	return c, nil
}

// newBPF returns the bpf collector of what loaded lists.
func newBPF(loaded func() bpfprog.Inventory) *bpfCollector {
	return &bpfCollector{
		loaded:   loaded,
		runs:     metricdef.BPFProgramRuns.Desc(),
		runTime:  metricdef.BPFProgramRunTime.Desc(),
		entries:  metricdef.BPFMapEntries.Desc(),
		capacity: metricdef.BPFMapCapacity.Desc(),
	}
}

// statsEnabledPath is the sysctl that keeps BPF run-time statistics on.
const statsEnabledPath = "/proc/sys/kernel/bpf_stats_enabled"

// statsEnabled reports whether the node already keeps BPF run-time
// statistics on (sysctl kernel.bpf_stats_enabled=1), read from path.
func statsEnabled(path string) bool {
	b, err := os.ReadFile(path)
	return err == nil && strings.TrimSpace(string(b)) == "1"
}

// Close turns the run-time statistics back off.
func (c *bpfCollector) Close() error {
	if c.stats == nil {
		return nil
	}
	return c.stats.Close()
}

func (c *bpfCollector) Update(ch chan<- prometheus.Metric) error {
	var errs []error
	loaded := c.loaded()
	for name, prog := range loaded.Programs {
		stats, err := prog.Stats()
		if err != nil {
			errs = append(errs, fmt.Errorf("program %s stats: %w", name, err))
			continue
		}
		ch <- prometheus.MustNewConstMetric(c.runs, prometheus.CounterValue, float64(stats.RunCount), name)
		ch <- prometheus.MustNewConstMetric(c.runTime, prometheus.CounterValue, stats.Runtime.Seconds(), name)
	}
	for name, m := range loaded.Maps {
		if t := m.Type(); t != ebpf.Hash && t != ebpf.LRUHash && t != ebpf.PerCPUHash && t != ebpf.LRUCPUHash {
			continue // arrays are always full; only hash maps can run out
		}
		c.mu.Lock()
		n, err := c.counter.Count(m)
		c.mu.Unlock()
		if err != nil {
			errs = append(errs, fmt.Errorf("map %s: %w", name, err))
			continue
		}
		ch <- prometheus.MustNewConstMetric(c.entries, prometheus.GaugeValue, float64(n), name)
		lru := strconv.FormatBool(m.Type() == ebpf.LRUHash || m.Type() == ebpf.LRUCPUHash)
		ch <- prometheus.MustNewConstMetric(c.capacity, prometheus.GaugeValue, float64(m.MaxEntries()), name, lru)
	}
	return errors.Join(errs...)
}
