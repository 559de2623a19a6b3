package bpfprog

import (
	"errors"
	"fmt"

	"github.com/cilium/ebpf"
)

// batchSize is how many entries one batch lookup reads.
const batchSize = 4096

// Dump reads every entry of a hash map, in batches where the kernel supports
// it (5.6+), else one key at a time.
func Dump[K comparable, V any](m *ebpf.Map) (map[K]V, error) {
	out := map[K]V{}
	keys := make([]K, batchSize)
	values := make([]V, batchSize)
	var cursor ebpf.MapBatchCursor
	for {
		n, err := m.BatchLookup(&cursor, keys, values, nil)
		for i := range n {
			out[keys[i]] = values[i]
		}
		if errors.Is(err, ebpf.ErrKeyNotExist) {
			return out, nil
		}
		if errors.Is(err, ebpf.ErrNotSupported) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("read map %s: %w", m, err)
		}
	}
	clear(out)
	var (
		key   K
		value V
	)
	iter := m.Iterate()
	for iter.Next(&key, &value) {
		out[key] = value
	}
	if err := iter.Err(); err != nil {
		return nil, fmt.Errorf("read map %s: %w", m, err)
	}
	return out, nil
}

// SumPerCPU reads index of a per-CPU array of uint64 and adds up the CPUs.
func SumPerCPU(m *ebpf.Map, index uint32) (uint64, error) {
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
func DeleteWhere[K comparable, V any](m *ebpf.Map, drop func(K, V) bool) error {
	entries, err := Dump[K, V](m)
	if err != nil {
		return err
	}
	for k, v := range entries {
		if drop(k, v) {
			if err := m.Delete(k); err != nil && !errors.Is(err, ebpf.ErrKeyNotExist) {
				return fmt.Errorf("delete from map %s: %w", m, err)
			}
		}
	}
	return nil
}
