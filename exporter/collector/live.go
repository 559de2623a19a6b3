package collector

import (
	"sync"

	"github.com/rtsec/rtsec/exporter/aggregate"
)

// freeList keeps up to maxFree values given back, for the next scrapes to
// reuse: what a scrape of thousands of containers fills is megabytes, and
// scrapes seldom overlap.
type freeList[T any] struct {
	mu   sync.Mutex
	free []T
}

const maxFree = 2

// get returns a value given back, if there is one.
func (f *freeList[T]) get() (T, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var v T
	n := len(f.free)
	if n == 0 {
		return v, false
	}
	v, f.free[n-1] = f.free[n-1], v
	f.free = f.free[:n-1]
	return v, true
}

// put keeps v unless maxFree are kept already; nothing may use it after.
func (f *freeList[T]) put(v T) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.free) < maxFree {
		f.free = append(f.free, v)
	}
}

// liveMaps keeps the maps a collector reads its kernel counts into, from
// one read to the next. A map is taken by get and given back by put once
// nothing reads it (Table.Sum and Retire copy what they keep).
type liveMaps struct {
	freeList[map[aggregate.Key]uint64]
}

// get returns an empty map, one given back if there is one.
func (l *liveMaps) get() map[aggregate.Key]uint64 {
	if m, ok := l.freeList.get(); ok {
		return m
	}
	return map[aggregate.Key]uint64{}
}

// put gives the maps back, emptied.
func (l *liveMaps) put(maps ...map[aggregate.Key]uint64) {
	for _, m := range maps {
		if m != nil {
			clear(m)
			l.freeList.put(m)
		}
	}
}
