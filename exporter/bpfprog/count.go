package bpfprog

import (
	"errors"
	"fmt"
	"reflect"
	"sync"

	"github.com/cilium/ebpf"
	"golang.org/x/sys/unix"
)

// countBatchBytes bounds the key buffer of one batch lookup of Counter.
const countBatchBytes = 256 << 10

// Counter counts the entries of hash maps exactly, with batch lookups (one
// syscall per batch of entries) where the kernel has them, else one
// BPF_MAP_GET_NEXT_KEY per entry. It keeps one pair of buffers per key and
// value size between counts. Not safe for concurrent use.
type Counter struct {
	buffers map[[2]uint32]countBuffers
	// used is, by map, the sequence number of the last whole Read Count
	// took the entries of.
	used map[Map]uint64
}

// countBuffers are the key and value buffers of one batch, slices of byte
// arrays of the map's key and value sizes.
type countBuffers struct {
	keys, values any
}

// Count returns how many entries the hash map m holds. When a Batch read m
// whole since Count last looked at it, that read's number is the answer:
// a scrape that dumps a map then reads it once, and the count is the
// scrape's own or the previous one's.
func (c *Counter) Count(m Map) (int, error) {
	if n, seq, ok := lastRead(m); ok && seq > c.used[m] {
		if c.used == nil {
			c.used = map[Map]uint64{}
		}
		c.used[m] = seq
		return n, nil
	}
	if m.Type() == ebpf.PerCPUHash || m.Type() == ebpf.LRUCPUHash {
		return countKeys(m) // values of every CPU: not worth a buffer
	}
	buf := c.buffersFor(m)
	var cursor ebpf.MapBatchCursor
	total := 0
	for {
		n, err := m.BatchLookup(&cursor, buf.keys, buf.values, nil)
		total += n
		switch {
		case errors.Is(err, ebpf.ErrKeyNotExist):
			return total, nil
		case errors.Is(err, ebpf.ErrNotSupported), errors.Is(err, unix.ENOSPC):
			// No batch operations, or a hash bucket holds more entries
			// than a batch holds.
			return countKeys(m)
		case err != nil:
			return 0, fmt.Errorf("count map %s: %w", m, err)
		}
	}
}

// reads holds, by map (every Map is a pointer), the entries of the last
// whole Read of a Batch and its sequence number.
var reads struct {
	sync.Mutex
	seq  uint64
	last map[Map]read
}

type read struct {
	entries int
	seq     uint64
}

// noteRead records that a Batch read the n entries of m.
func noteRead(m Map, n int) {
	reads.Lock()
	defer reads.Unlock()
	if reads.last == nil {
		reads.last = map[Map]read{}
	}
	reads.seq++
	reads.last[m] = read{entries: n, seq: reads.seq}
}

// lastRead returns the entries and sequence number of the last whole Read
// of m, if there was one.
func lastRead(m Map) (entries int, seq uint64, ok bool) {
	reads.Lock()
	defer reads.Unlock()
	r, ok := reads.last[m]
	return r.entries, r.seq, ok
}

func (c *Counter) buffersFor(m Map) countBuffers {
	sizes := [2]uint32{m.KeySize(), m.ValueSize()}
	if b, ok := c.buffers[sizes]; ok {
		return b
	}
	if c.buffers == nil {
		c.buffers = map[[2]uint32]countBuffers{}
	}
	n := max(64, min(batchSize, countBatchBytes/int(max(1, m.KeySize()))))
	byteArrays := func(size uint32) any {
		return reflect.MakeSlice(reflect.SliceOf(reflect.ArrayOf(int(size), reflect.TypeFor[byte]())), n, n).Interface()
	}
	b := countBuffers{keys: byteArrays(m.KeySize()), values: byteArrays(m.ValueSize())}
	c.buffers[sizes] = b
	return b
}

// countKeys walks the keys of a hash map without reading the values.
func countKeys(m Map) (int, error) {
	key := make([]byte, m.KeySize())
	next := make([]byte, m.KeySize())
	n := 0
	var cur any // nil: start from the first key
	for {
		err := m.NextKey(cur, &next)
		if errors.Is(err, ebpf.ErrKeyNotExist) {
			return n, nil
		}
		if err != nil {
			return n, fmt.Errorf("count map %s: %w", m, err)
		}
		n++
		copy(key, next)
		cur = key
	}
}
