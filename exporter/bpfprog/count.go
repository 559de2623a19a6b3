package bpfprog

import (
	"errors"
	"fmt"
	"reflect"

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
}

// countBuffers are the key and value buffers of one batch, slices of byte
// arrays of the map's key and value sizes.
type countBuffers struct {
	keys, values any
}

// Count returns how many entries the hash map m holds.
func (c *Counter) Count(m Map) (int, error) {
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
