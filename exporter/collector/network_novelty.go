package collector

import (
	"errors"
	"fmt"

	"github.com/cilium/ebpf"
	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/sys/unix"

	"github.com/rtsec/rtsec/bpf"
	"github.com/rtsec/rtsec/exporter/aggregate"
	"github.com/rtsec/rtsec/exporter/bpfprog"
	"github.com/rtsec/rtsec/exporter/container"
	"github.com/rtsec/rtsec/exporter/netclass"
)

// net_novelty kinds, as network.bpf.c defines them.
const (
	noveltyDest    = 0
	noveltyDNSName = 1
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
	entries, err := bpfprog.Dump[bpf.NetworkNoveltyKey, uint64](c.objs.NetNovelty)
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
			if err := c.objs.NetNovelty.Delete(k); err != nil && !errors.Is(err, ebpf.ErrKeyNotExist) {
				return fmt.Errorf("expire novelty entry: %w", err)
			}
			continue
		}
		id := c.resolver.Resolve(k.CgroupId)
		switch {
		case k.Kind == noveltyDest && int(k.Scope) < len(netclass.Scopes):
			dests[destKey{id, k.Scope}]++
		case k.Kind == noveltyDNSName:
			names[id]++
		}
	}
	for k, n := range dests {
		ch <- prometheus.MustNewConstMetric(c.destinations, prometheus.GaugeValue, float64(n),
			k.id.ID, k.id.Namespace, k.id.Pod, k.id.Container, netclass.Scopes[k.scope])
	}
	for id, n := range names {
		ch <- prometheus.MustNewConstMetric(c.dnsNames, prometheus.GaugeValue, float64(n), id.ID, id.Namespace, id.Pod, id.Container)
	}
	return nil
}

// CgroupIDs implements Forgetter.
func (c *networkCollector) CgroupIDs() ([]uint64, error) {
	raw, err := bpfprog.Dump[bpf.NetworkNetKey, uint64](c.objs.NetCounts)
	if err != nil {
		return nil, err
	}
	seen := map[uint64]bool{}
	var ids []uint64
	for k := range raw {
		if !seen[k.CgroupId] {
			seen[k.CgroupId] = true
			ids = append(ids, k.CgroupId)
		}
	}
	return ids, nil
}

// Forget implements Forgetter: the counts of the gone keys are retired into
// their identities' sums, then every kernel entry of theirs is deleted.
func (c *networkCollector) Forget(ids []uint64) error {
	if len(ids) == 0 {
		return nil
	}
	gone := map[uint64]bool{}
	for _, id := range ids {
		gone[id] = true
	}
	live, err := c.readCounts()
	if err != nil {
		return err
	}
	retired := map[aggregate.Key]uint64{}
	for k, v := range live {
		if gone[k.CgroupID] {
			retired[k] = v
		}
	}
	c.counts.Retire(retired)
	return errors.Join(
		deleteWhere(c.objs.NetCounts, func(k bpf.NetworkNetKey, _ uint64) bool { return gone[k.CgroupId] }),
		deleteWhere(c.objs.NetNovelty, func(k bpf.NetworkNoveltyKey, _ uint64) bool { return gone[k.CgroupId] }),
		deleteWhere(c.objs.NetNoveltyBudgets, func(k bpf.NetworkNoveltyBudgetKey, _ bpf.NetworkNoveltyBudget) bool { return gone[k.CgroupId] }),
		deleteWhere(c.objs.NetListeners, func(_ uint64, cgroupID uint64) bool { return gone[cgroupID] }),
	)
}

// deleteWhere deletes the entries of m for which drop is true.
func deleteWhere[K comparable, V any](m *ebpf.Map, drop func(K, V) bool) error {
	entries, err := bpfprog.Dump[K, V](m)
	if err != nil {
		return err
	}
	for k, v := range entries {
		if drop(k, v) {
			if err := m.Delete(k); err != nil && !errors.Is(err, ebpf.ErrKeyNotExist) {
				return fmt.Errorf("forget %s entry: %w", m.String(), err)
			}
		}
	}
	return nil
}
