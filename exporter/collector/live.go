package collector

import (
	"sync"

	"github.com/rtsec/rtsec/exporter/aggregate"
)

// maxLiveMaps bounds the maps a liveMaps keeps.
const maxLiveMaps = 2

// liveMaps keeps the maps a collector reads its kernel counts into, from
// one read to the next: the counts of thousands of containers are a map of
// a megabyte, made again at every scrape otherwise. A map is taken by get
// and given back by put once nothing reads it (Table.Sum and Retire copy
// what they keep).
type liveMaps struct {
	mu   sync.Mutex
	free []map[aggregate.Key]uint64
}

// get returns an empty map, one given back if there is one.
func (l *liveMaps) get() map[aggregate.Key]uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := len(l.free)
	if n == 0 {
		return map[aggregate.Key]uint64{}
	}
	m := l.free[n-1]
	l.free[n-1] = nil
	l.free = l.free[:n-1]
	return m
}

// put gives m back, emptied; nothing may read it after.
func (l *liveMaps) put(maps ...map[aggregate.Key]uint64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, m := range maps {
		if m != nil && len(l.free) < maxLiveMaps {
			clear(m)
			l.free = append(l.free, m)
		}
	}
}
