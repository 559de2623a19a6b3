// Package aggregate turns kernel counters keyed by container key (cgroup id)
// into series keyed by container identity. Several keys can share one
// identity (the host's many cgroups, sub-cgroups of a container), so it sums
// them, caps the distinct values of the budgeted label per identity, and
// keeps the sums monotonic when the kernel entries of a gone key are deleted.
package aggregate

import (
	"cmp"
	"slices"
	"sync"

	"github.com/rtsec/rtsec/exporter/container"
	"github.com/rtsec/rtsec/exporter/metricdef"
)

// Key is one kernel counter: a container key and a label value.
type Key struct {
	CgroupID uint64
	Value    string
}

// Series is one exported series.
type Series struct {
	Identity container.Identity
	Value    string
	Count    uint64
}

type seriesKey struct {
	identity container.Identity
	value    string
}

// Table holds the state that makes the sums stable across scrapes.
// Its size is bounded by the identities alive and their budgets.
type Table struct {
	budget func(container.Identity) int

	mu sync.Mutex
	// admitted values per identity: once a value has its own series it
	// keeps it, so a series never switches between a name and the overflow.
	admitted map[container.Identity]map[string]struct{}
	// retired sums of deleted keys whose identity still has live keys.
	retired map[seriesKey]uint64
	// identities of the keys seen by the last Sum, to retire them by.
	identities map[uint64]container.Identity
	// folded counts events that Sum moved to the overflow value.
	folded     map[Key]uint64
	foldedGone uint64
	// sums and alive are Sum's scratch maps, kept to be reused.
	sums  map[seriesKey]uint64
	alive map[container.Identity]bool
}

// NewTable returns a table that gives each identity budget(identity)
// distinct values.
func NewTable(budget func(container.Identity) int) *Table {
	return &Table{
		budget:     budget,
		admitted:   map[container.Identity]map[string]struct{}{},
		retired:    map[seriesKey]uint64{},
		identities: map[uint64]container.Identity{},
		folded:     map[Key]uint64{},
		sums:       map[seriesKey]uint64{},
		alive:      map[container.Identity]bool{},
	}
}

// Sum returns the series for the live kernel counts, resolving each key's
// identity with resolve, and how many events it has moved to the overflow
// value over the table's life (a monotonic count).
func (t *Table) Sum(live map[Key]uint64, resolve func(uint64) container.Identity) ([]Series, uint64) {
	t.mu.Lock()
	defer t.mu.Unlock()

	clear(t.identities)
	clear(t.sums)
	clear(t.alive)
	sums, alive := t.sums, t.alive
	// Values new to their identity are admitted in key order, so which of
	// them get a series when a budget runs out does not depend on map order.
	var newcomers []Key
	for key, count := range live {
		// Each container key is resolved once, though it has many values.
		id, ok := t.identities[key.CgroupID]
		if !ok {
			id = resolve(key.CgroupID)
			t.identities[key.CgroupID] = id
		}
		alive[id] = true
		if !t.isAdmitted(id, key.Value) {
			newcomers = append(newcomers, key)
			continue
		}
		sums[seriesKey{id, key.Value}] += count
	}
	slices.SortFunc(newcomers, func(a, b Key) int {
		return cmp.Or(cmp.Compare(a.CgroupID, b.CgroupID), cmp.Compare(a.Value, b.Value))
	})
	for _, key := range newcomers {
		id := t.identities[key.CgroupID]
		value := t.admit(id, key.Value)
		if value != key.Value {
			t.folded[key] = live[key]
		}
		sums[seriesKey{id, value}] += live[key]
	}
	// Identities with no live key are gone: forget them.
	for sk, count := range t.retired {
		if !alive[sk.identity] {
			delete(t.retired, sk)
			continue
		}
		sums[sk] += count
	}
	for id := range t.admitted {
		if !alive[id] {
			delete(t.admitted, id)
		}
	}

	series := make([]Series, 0, len(sums))
	for sk, count := range sums {
		series = append(series, Series{Identity: sk.identity, Value: sk.value, Count: count})
	}
	total := t.foldedGone
	for _, count := range t.folded {
		total += count
	}
	return series, total
}

// isAdmitted reports whether value already has its own series for id. The
// overflow value always has.
func (t *Table) isAdmitted(id container.Identity, value string) bool {
	_, ok := t.admitted[id][value]
	return ok || value == metricdef.OverflowValue
}

// admit returns value, or the overflow value when the identity's budget is
// spent.
func (t *Table) admit(id container.Identity, value string) string {
	values := t.admitted[id]
	if values == nil {
		values = map[string]struct{}{}
		t.admitted[id] = values
	}
	if _, ok := values[value]; ok {
		return value
	}
	if len(values) >= t.budget(id) {
		return metricdef.OverflowValue
	}
	values[value] = struct{}{}
	return value
}

// Retire folds the last counts of the keys of gone cgroups, about to be
// deleted from the kernel, into the sums of their identities, so those sums
// do not drop.
func (t *Table) Retire(live map[Key]uint64, gone map[uint64]bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for key, count := range live {
		if !gone[key.CgroupID] {
			continue
		}
		id, ok := t.identities[key.CgroupID]
		if !ok {
			continue // never summed: nothing exported to keep
		}
		value := key.Value
		if folded, ok := t.folded[key]; ok {
			value = metricdef.OverflowValue
			t.foldedGone += max(folded, count)
			delete(t.folded, key)
		}
		t.retired[seriesKey{id, value}] += count
	}
}
