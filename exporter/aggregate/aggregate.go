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

// Series is one exported series. Identity is shared by the series of one
// identity in one Sum: read it, do not change it.
type Series struct {
	Identity *container.Identity
	Value    string
	Count    uint64
}

// Sums is what one Sum returns. Its buffers are the table's: Release gives
// them back for a next Sum once its series are read.
type Sums struct {
	Series []Series
	ids    []container.Identity
}

// maxFreeSums bounds the Sums a table keeps for its next Sums.
const maxFreeSums = 2

// seriesKey is a series across scrapes.
type seriesKey struct {
	identity container.Identity
	value    string
}

// sumKey is a series within one Sum: its identity by index (into the Sum's
// identities), which hashes in one word where an identity is seven strings.
type sumKey struct {
	identity int32
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
	// ids are the identities of the last Sum, and byCgroup the index in ids
	// of each key it saw, to retire them by.
	ids      []container.Identity
	byCgroup map[uint64]int32
	// folded counts events that Sum moved to the overflow value.
	folded     map[Key]uint64
	foldedGone uint64
	// byIdentity, sums and admittedOf are Sum's scratch, kept to be reused.
	byIdentity map[container.Identity]int32
	sums       map[sumKey]uint64
	admittedOf []map[string]struct{}
	// free are released Sums: the series and identities of a table of
	// thousands of containers are a megabyte a scrape.
	free []*Sums
}

// NewTable returns a table that gives each identity budget(identity)
// distinct values.
func NewTable(budget func(container.Identity) int) *Table {
	return &Table{
		budget:     budget,
		admitted:   map[container.Identity]map[string]struct{}{},
		retired:    map[seriesKey]uint64{},
		byCgroup:   map[uint64]int32{},
		folded:     map[Key]uint64{},
		byIdentity: map[container.Identity]int32{},
		sums:       map[sumKey]uint64{},
	}
}

// Sum returns the series for the live kernel counts, resolving each key's
// identity with resolve, and how many events it has moved to the overflow
// value over the table's life (a monotonic count). The caller releases the
// Sums once it has read them (Release), or leaves them to the collector.
func (t *Table) Sum(live map[Key]uint64, resolve func(uint64) container.Identity) (*Sums, uint64) {
	t.mu.Lock()
	defer t.mu.Unlock()

	clear(t.byCgroup)
	clear(t.byIdentity)
	clear(t.sums)
	// The series returned point into ids: a Sums' own, not given to another
	// Sum before it is released.
	out := &Sums{}
	if n := len(t.free); n > 0 {
		out = t.free[n-1]
		t.free[n-1] = nil
		t.free = t.free[:n-1]
	}
	ids := slices.Grow(out.ids[:0], len(t.ids))
	admittedOf := t.admittedOf[:0]
	// Values new to their identity are admitted in key order, so which of
	// them get a series when a budget runs out does not depend on map order.
	var newcomers []Key
	for key, count := range live {
		// Each container key is resolved once, though it has many values,
		// and each identity looked up once, though it has many keys.
		i, ok := t.byCgroup[key.CgroupID]
		if !ok {
			id := resolve(key.CgroupID)
			if i, ok = t.byIdentity[id]; !ok {
				i = int32(len(ids))
				ids = append(ids, id)
				t.byIdentity[id] = i
				admittedOf = append(admittedOf, t.admitted[id])
			}
			t.byCgroup[key.CgroupID] = i
		}
		if _, ok := admittedOf[i][key.Value]; !ok && key.Value != metricdef.OverflowValue {
			newcomers = append(newcomers, key)
			continue
		}
		t.sums[sumKey{i, key.Value}] += count
	}
	clear(admittedOf) // the maps stay reachable from t.admitted alone
	t.admittedOf = admittedOf
	t.ids = ids
	slices.SortFunc(newcomers, func(a, b Key) int {
		return cmp.Or(cmp.Compare(a.CgroupID, b.CgroupID), cmp.Compare(a.Value, b.Value))
	})
	for _, key := range newcomers {
		i := t.byCgroup[key.CgroupID]
		value := t.admit(ids[i], key.Value)
		if value != key.Value {
			t.folded[key] = live[key]
		}
		t.sums[sumKey{i, value}] += live[key]
	}
	// Identities with no live key are gone: forget them.
	for sk, count := range t.retired {
		i, ok := t.byIdentity[sk.identity]
		if !ok {
			delete(t.retired, sk)
			continue
		}
		t.sums[sumKey{i, sk.value}] += count
	}
	for id := range t.admitted {
		if _, ok := t.byIdentity[id]; !ok {
			delete(t.admitted, id)
		}
	}

	series := slices.Grow(out.Series[:0], len(t.sums))
	for sk, count := range t.sums {
		series = append(series, Series{Identity: &ids[sk.identity], Value: sk.value, Count: count})
	}
	out.ids, out.Series = ids, series
	total := t.foldedGone
	for _, count := range t.folded {
		total += count
	}
	return out, total
}

// Release gives back the buffers of s, a Sums of t's that nothing reads
// any more, for the next Sum.
func (t *Table) Release(s *Sums) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.free) < maxFreeSums {
		t.free = append(t.free, s)
	}
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
		i, ok := t.byCgroup[key.CgroupID]
		if !ok {
			continue // never summed: nothing exported to keep
		}
		id := t.ids[i]
		value := key.Value
		if folded, ok := t.folded[key]; ok {
			value = metricdef.OverflowValue
			t.foldedGone += max(folded, count)
			delete(t.folded, key)
		}
		t.retired[seriesKey{id, value}] += count
	}
}
