package collector

import (
	"errors"
	"fmt"

	"github.com/cilium/ebpf"
	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/sys/unix"

	"github.com/rtsec/rtsec/bpf"
	"github.com/rtsec/rtsec/bpf/enums"
	"github.com/rtsec/rtsec/exporter/bpfprog"
	"github.com/rtsec/rtsec/exporter/container"
)

// monotonicNow is the clock of bpf_ktime_get_ns.
func monotonicNow() (uint64, error) {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts); err != nil {
		return 0, fmt.Errorf("read monotonic clock: %w", err)
	}
	return uint64(ts.Nano()), nil
}

// updateNovelty exports the distinct destinations and DNS names seen within
// the window, and deletes the entries that fell out of it.
func (c *networkCollector) updateNovelty(ch chan<- prometheus.Metric) error {
	entries, err := bpfprog.Dump[bpf.NetworkNoveltyKey, uint64](c.maps.novelty)
	if err != nil {
		return err
	}
	now, err := monotonicNow()
	if err != nil {
		return err
	}
	window := uint64(noveltyWin.Nanoseconds())
	type destKey struct {
		id    container.Identity
		scope uint8
	}
	dests := map[destKey]int{}
	names := map[container.Identity]int{}
	for k, seen := range entries {
		if seen+window < now {
			if err := c.maps.novelty.Delete(k); err != nil && !errors.Is(err, ebpf.ErrKeyNotExist) {
				return fmt.Errorf("expire novelty entry: %w", err)
			}
			continue
		}
		id := c.resolver.Resolve(k.CgroupId)
		switch {
		case k.Kind == enums.NovelDest && int(k.Scope) < len(enums.ScopeNames):
			dests[destKey{id, k.Scope}]++
		case k.Kind == enums.NovelDNSName:
			names[id]++
		}
	}
	for k, n := range dests {
		ch <- prometheus.MustNewConstMetric(c.destinations, prometheus.GaugeValue, float64(n),
			k.id.ID, k.id.Namespace, k.id.Pod, k.id.Container, enums.ScopeNames[k.scope])
	}
	for id, n := range names {
		ch <- prometheus.MustNewConstMetric(c.dnsNames, prometheus.GaugeValue, float64(n), id.ID, id.Namespace, id.Pod, id.Container)
	}
	return nil
}

// CgroupIDs implements Forgetter.
func (c *networkCollector) CgroupIDs() ([]uint64, error) {
	return c.keys.list(c.maps.counts, func(k bpf.NetworkNetKey) uint64 { return k.CgroupId })
}

// Forget implements Forgetter: the counts of the gone keys are retired into
// their identities' sums, then every kernel entry of theirs is deleted.
func (c *networkCollector) Forget(gone map[uint64]bool) error {
	live, err := c.readCounts()
	if err != nil {
		return err
	}
	c.counts.Retire(live, gone)
	c.live.put(live)
	return errors.Join(
		bpfprog.DeleteWhere(c.maps.counts, func(k bpf.NetworkNetKey, _ uint64) bool { return gone[k.CgroupId] }),
		bpfprog.DeleteWhere(c.maps.novelty, func(k bpf.NetworkNoveltyKey, _ uint64) bool { return gone[k.CgroupId] }),
		bpfprog.DeleteWhere(c.maps.noveltyBudgets, func(k bpf.NetworkNoveltyBudgetKey, _ bpf.NetworkNoveltyBudget) bool { return gone[k.CgroupId] }),
		bpfprog.DeleteWhere(c.maps.listeners, func(_ uint64, cgroupID uint64) bool { return gone[cgroupID] }),
	)
}
