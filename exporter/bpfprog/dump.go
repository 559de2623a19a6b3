package bpfprog

import (
	"errors"
	"fmt"
	"slices"

	"github.com/cilium/ebpf"
	"golang.org/x/sys/unix"
)

// batchSize is how many entries one batch lookup reads.
const batchSize = 4096

// Batch reads every entry of a hash map with batch lookups (one syscall per
// batchSize entries, kernel 5.6+; one key at a time where the kernel has no
// batch operations), into buffers it keeps from one read to the next, so
// that a scrape allocates nothing to read a map whose size is steady. A
// Batch is not safe for concurrent use.
type Batch[K comparable, V any] struct {
	keys   []K
	values []V
}

// Read returns every entry of m: keys[i] maps to values[i]. The slices are
// the Batch's own, valid until its next Read.
func (b *Batch[K, V]) Read(m Map) (keys []K, values []V, err error) {
	keys, values = b.keys[:0], b.values[:0]
	defer func() { b.keys, b.values = keys[:0], values[:0] }()
	var cursor ebpf.MapBatchCursor
	chunk := batchSize
	for {
		// Read into the spare capacity, grown to a whole chunk.
		keys, values = slices.Grow(keys, chunk), slices.Grow(values, chunk)
		at := len(keys)
		n, err := m.BatchLookup(&cursor, keys[at:at+chunk], values[at:at+chunk], nil)
		keys, values = keys[:at+n], values[:at+n]
		switch {
		case errors.Is(err, ebpf.ErrKeyNotExist):
			noteRead(m, len(keys))
			return keys, values, nil
		case errors.Is(err, ebpf.ErrNotSupported):
			return b.iterate(m, keys[:0], values[:0])
		case errors.Is(err, unix.ENOSPC) && chunk < int(m.MaxEntries()):
			// A hash bucket holds more entries than the chunk: start
			// again with a larger one.
			chunk *= 2
			keys, values, cursor = keys[:0], values[:0], ebpf.MapBatchCursor{}
		case errors.Is(err, unix.ENOSPC):
			return b.iterate(m, keys[:0], values[:0])
		case err != nil:
			return nil, nil, fmt.Errorf("read map %s: %w", m, err)
		}
	}
}

// iterate is Read one key at a time. A key deleted while the walk is at
// it sends the kernel back to the first key: keys seen are skipped.
func (b *Batch[K, V]) iterate(m Map, keys []K, values []V) ([]K, []V, error) {
	var (
		key   K
		value V
	)
	seen := map[K]bool{}
	var cur any // nil: start from the first key
	for {
		err := m.NextKey(cur, &key)
		if errors.Is(err, ebpf.ErrKeyNotExist) {
			noteRead(m, len(keys))
			return keys, values, nil
		}
		if err != nil {
			return nil, nil, fmt.Errorf("read map %s: %w", m, err)
		}
		cur = key
		if seen[key] {
			continue
		}
		seen[key] = true
		if err := m.Lookup(key, &value); errors.Is(err, ebpf.ErrKeyNotExist) {
			continue // deleted since
		} else if err != nil {
			return nil, nil, fmt.Errorf("read map %s: %w", m, err)
		}
		keys, values = append(keys, key), append(values, value)
	}
}

// Dump reads every entry of a hash map into a Go map (see Batch).
func Dump[K comparable, V any](m Map) (map[K]V, error) {
	var b Batch[K, V]
	keys, values, err := b.Read(m)
	if err != nil {
		return nil, err
	}
	out := make(map[K]V, len(keys))
	for i, k := range keys {
		out[k] = values[i]
	}
	return out, nil
}

// SumsPerCPU reads a per-CPU array of uint64 counters whole, with one
// batch lookup where the kernel has them (one lookup per index where it
// has not), and returns each index's sum over the CPUs.
func SumsPerCPU(m Map) ([]uint64, error) {
	size := int(m.MaxEntries())
	cpus, err := ebpf.PossibleCPU()
	if err != nil {
		return nil, fmt.Errorf("read map %s: %w", m, err)
	}
	keys, values, sums := make([]uint32, size), make([]uint64, size*cpus), make([]uint64, size)
	var cursor ebpf.MapBatchCursor
	n, err := m.BatchLookup(&cursor, keys, values, nil)
	if errors.Is(err, ebpf.ErrNotSupported) {
		for i := range sums {
			if sums[i], err = SumPerCPU(m, uint32(i)); err != nil {
				return nil, err
			}
		}
		return sums, nil
	}
	// A batch as large as the array reads it whole; the kernel may say
	// ENOENT for the end.
	if err != nil && !errors.Is(err, ebpf.ErrKeyNotExist) {
		return nil, fmt.Errorf("read map %s: %w", m, err)
	}
	for i := range n {
		if index := int(keys[i]); index < size {
			for _, v := range values[i*cpus : (i+1)*cpus] {
				sums[index] += v
			}
		}
	}
	return sums, nil
}

// SumPerCPU reads index of a per-CPU array of uint64 and adds up the CPUs.
func SumPerCPU(m Map, index uint32) (uint64, error) {
	var values []uint64
	if err := m.Lookup(index, &values); err != nil {
		return 0, fmt.Errorf("read map %s[%d]: %w", m, index, err)
	}
	var sum uint64
	for _, v := range values {
		sum += v
	}
	return sum, nil
}

// DeleteWhere deletes the entries of a hash map for which drop is true.
func DeleteWhere[K comparable, V any](m Map, drop func(K, V) bool) error {
	var b Batch[K, V]
	keys, values, err := b.Read(m)
	if err != nil {
		return err
	}
	left := len(keys)
	for i, k := range keys {
		if drop(k, values[i]) {
			if err := m.Delete(k); err != nil && !errors.Is(err, ebpf.ErrKeyNotExist) {
				return fmt.Errorf("delete from map %s: %w", m, err)
			}
			left--
		}
	}
	noteRead(m, left)
	return nil
}
