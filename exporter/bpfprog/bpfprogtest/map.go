// Package bpfprogtest gives tests BPF maps with fixed contents that need no
// kernel: a Map holds its entries in memory, encoded as the kernel holds
// them (native byte order, the bpf2go structs' layout), and answers the
// calls of bpfprog.Map the way the kernel does, so that the exporter's own
// readers (bpfprog.Batch, Dump, SumsPerCPU, Counter, DeleteWhere) run on it
// unchanged.
package bpfprogtest

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"reflect"
	"slices"
	"sync"

	"github.com/cilium/ebpf"
	"golang.org/x/sys/unix"

	"github.com/rtsec/rtsec/exporter/bpfprog"
)

// Map is an in-memory BPF map. Its batch lookups return the whole map in
// one batch, or ENOSPC when the batch is too small for it (as the kernel
// does for a hash bucket larger than the batch). Safe for concurrent use.
type Map struct {
	typ                            ebpf.MapType
	keySize, valueSize, maxEntries uint32
	cpus                           int // values per entry: the CPUs of a per-CPU map, else 1

	mu     sync.Mutex
	keys   []string          // encoded keys, in insertion order
	values map[string][]byte // encoded value of each CPU, one after the other
}

var _ bpfprog.Map = (*Map)(nil)

// New returns an empty map of type typ whose keys and values are the
// fixed-size types of key and value (as encoding/binary sizes them), and
// which holds at most maxEntries entries. An array is filled with zeros.
func New(typ ebpf.MapType, key, value any, maxEntries uint32) *Map {
	m := &Map{typ: typ, keySize: uint32(binary.Size(key)), valueSize: uint32(binary.Size(value)),
		maxEntries: maxEntries, cpus: 1, values: map[string][]byte{}}
	if m.keySize == ^uint32(0) || m.valueSize == ^uint32(0) {
		panic(fmt.Sprintf("bpfprogtest: %T or %T is not of a fixed size", key, value))
	}
	if m.perCPU() {
		cpus, err := ebpf.PossibleCPU()
		if err != nil {
			panic(err)
		}
		m.cpus = cpus
	}
	if m.isArray() {
		for i := range maxEntries {
			k := binary.NativeEndian.AppendUint32(nil, i)
			m.keys = append(m.keys, string(k))
			m.values[string(k)] = make([]byte, int(m.valueSize)*m.cpus)
		}
	}
	return m
}

// Hash returns a hash map of K to V holding entries.
func Hash[K comparable, V any](maxEntries uint32, entries map[K]V) *Map {
	var k K
	var v V
	m := New(ebpf.Hash, k, v, maxEntries)
	for key, value := range entries {
		m.mustPut(key, value)
	}
	return m
}

// PerCPUArray returns a per-CPU array of uint64 counters whose index i sums
// to sums[i] over the CPUs: each sum is spread over the CPUs, so that a
// reader that does not add them up reads less.
func PerCPUArray(maxEntries uint32, sums map[uint32]uint64) *Map {
	m := New(ebpf.PerCPUArray, uint32(0), uint64(0), maxEntries)
	for i, sum := range sums {
		perCPU := make([]uint64, m.cpus)
		for c := range perCPU {
			perCPU[c] = sum / uint64(m.cpus)
		}
		perCPU[0] += sum % uint64(m.cpus)
		m.mustPut(i, perCPU)
	}
	return m
}

func (m *Map) mustPut(key, value any) {
	if err := m.Put(key, value); err != nil {
		panic(err)
	}
}

func (m *Map) perCPU() bool {
	switch m.typ {
	case ebpf.PerCPUHash, ebpf.PerCPUArray, ebpf.LRUCPUHash:
		return true
	}
	return false
}

func (m *Map) isArray() bool {
	return m.typ == ebpf.Array || m.typ == ebpf.PerCPUArray
}

func (m *Map) String() string {
	return fmt.Sprintf("bpfprogtest.Map(%s)", m.typ)
}

// Type implements bpfprog.Map.
func (m *Map) Type() ebpf.MapType { return m.typ }

// KeySize implements bpfprog.Map.
func (m *Map) KeySize() uint32 { return m.keySize }

// ValueSize implements bpfprog.Map.
func (m *Map) ValueSize() uint32 { return m.valueSize }

// MaxEntries implements bpfprog.Map.
func (m *Map) MaxEntries() uint32 { return m.maxEntries }

// Len returns how many entries the map holds.
func (m *Map) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.keys)
}

// Has reports whether the map holds key.
func (m *Map) Has(key any) bool {
	k, err := m.encodeKey(key)
	if err != nil {
		panic(err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	_, ok := m.values[k]
	return ok
}

// encode returns v in the kernel's layout: a []byte as it is, a pointer's
// target, any other fixed-size value as encoding/binary writes it.
func encode(v any) ([]byte, error) {
	if b, ok := v.([]byte); ok {
		return b, nil
	}
	if rv := reflect.ValueOf(v); rv.Kind() == reflect.Pointer {
		v = rv.Elem().Interface()
	}
	return binary.Append(nil, binary.NativeEndian, v)
}

func (m *Map) encodeKey(key any) (string, error) {
	b, err := encode(key)
	if err != nil {
		return "", fmt.Errorf("%s: key %T: %w", m, key, err)
	}
	if len(b) != int(m.keySize) {
		return "", fmt.Errorf("%s: key %T of %d bytes, want %d", m, key, len(b), m.keySize)
	}
	return string(b), nil
}

// decode writes data into out, a pointer: to a []byte (filled), or to a
// fixed-size value.
func decode(data []byte, out any) error {
	if b, ok := out.(*[]byte); ok {
		*b = append((*b)[:0], data...)
		return nil
	}
	_, err := binary.Decode(data, binary.NativeEndian, out)
	return err
}

// Put implements bpfprog.Map. A per-CPU map's value is a slice of one
// value per CPU.
func (m *Map) Put(key, value any) error {
	k, err := m.encodeKey(key)
	if err != nil {
		return err
	}
	var v []byte
	if m.perCPU() {
		rv := reflect.ValueOf(value)
		if rv.Kind() != reflect.Slice || rv.Len() != m.cpus {
			return fmt.Errorf("%s: value %T: want a slice of %d values, one per CPU", m, value, m.cpus)
		}
		for i := range m.cpus {
			b, err := encode(rv.Index(i).Interface())
			if err != nil {
				return fmt.Errorf("%s: value %T: %w", m, value, err)
			}
			v = append(v, b...)
		}
	} else if v, err = encode(value); err != nil {
		return fmt.Errorf("%s: value %T: %w", m, value, err)
	}
	if len(v) != int(m.valueSize)*m.cpus {
		return fmt.Errorf("%s: value %T of %d bytes, want %d", m, value, len(v), int(m.valueSize)*m.cpus)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.values[k]; !ok {
		if m.isArray() || len(m.keys) >= int(m.maxEntries) {
			return fmt.Errorf("%s: update: %w", m, unix.E2BIG)
		}
		m.keys = append(m.keys, k)
	}
	m.values[k] = bytes.Clone(v)
	return nil
}

// Delete implements bpfprog.Map.
func (m *Map) Delete(key any) error {
	k, err := m.encodeKey(key)
	if err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.isArray() {
		return fmt.Errorf("%s: delete: %w", m, unix.EINVAL)
	}
	if _, ok := m.values[k]; !ok {
		return fmt.Errorf("%s: delete: %w", m, ebpf.ErrKeyNotExist)
	}
	delete(m.values, k)
	m.keys = slices.DeleteFunc(m.keys, func(s string) bool { return s == k })
	return nil
}

// Lookup implements bpfprog.Map. A per-CPU map's valueOut is a pointer to
// a slice, given one value per CPU.
func (m *Map) Lookup(key, valueOut any) error {
	k, err := m.encodeKey(key)
	if err != nil {
		return err
	}
	m.mu.Lock()
	v, ok := m.values[k]
	m.mu.Unlock()
	if !ok {
		return fmt.Errorf("%s: lookup: %w", m, ebpf.ErrKeyNotExist)
	}
	if !m.perCPU() {
		return decode(v, valueOut)
	}
	out := reflect.ValueOf(valueOut).Elem()
	out.Set(reflect.MakeSlice(out.Type(), m.cpus, m.cpus))
	return m.decodeCPUs(v, out, 0)
}

// decodeCPUs writes the values of each CPU of v into out[at:at+cpus].
func (m *Map) decodeCPUs(v []byte, out reflect.Value, at int) error {
	size := int(m.valueSize)
	for c := range m.cpus {
		if err := decode(v[c*size:(c+1)*size], out.Index(at+c).Addr().Interface()); err != nil {
			return err
		}
	}
	return nil
}

// NextKey implements bpfprog.Map: the key after key in insertion order; the
// first one for nil or a key the map does not hold.
func (m *Map) NextKey(key, nextKeyOut any) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	next := 0
	if key != nil {
		k, err := m.encodeKey(key)
		if err != nil {
			return err
		}
		if i := slices.Index(m.keys, k); i >= 0 {
			next = i + 1
		}
	}
	if next >= len(m.keys) {
		return fmt.Errorf("%s: next key: %w", m, ebpf.ErrKeyNotExist)
	}
	return decode([]byte(m.keys[next]), nextKeyOut)
}

// BatchLookup implements bpfprog.Map: every entry in one batch into
// keysOut and valuesOut, slices of the key and value types (or byte arrays
// of their sizes); per-CPU values take one element per CPU.
func (m *Map) BatchLookup(_ *ebpf.MapBatchCursor, keysOut, valuesOut any, _ *ebpf.BatchOptions) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	keys, values := reflect.ValueOf(keysOut), reflect.ValueOf(valuesOut)
	if keys.Kind() != reflect.Slice || values.Kind() != reflect.Slice || values.Len() < keys.Len()*m.cpus {
		return 0, fmt.Errorf("%s: batch lookup: %T and %T are not slices of room for the same entries", m, keysOut, valuesOut)
	}
	if len(m.keys) > keys.Len() {
		return 0, fmt.Errorf("%s: batch lookup: %w", m, unix.ENOSPC)
	}
	for i, k := range m.keys {
		if err := decode([]byte(k), keys.Index(i).Addr().Interface()); err != nil {
			return 0, err
		}
		if err := m.decodeCPUs(m.values[k], values, i*m.cpus); err != nil {
			return 0, err
		}
	}
	return len(m.keys), fmt.Errorf("%s: batch lookup: %w", m, ebpf.ErrKeyNotExist)
}

// Program is a BPF program whose run-time statistics are fixed.
type Program ebpf.ProgramStats

var _ bpfprog.Program = (*Program)(nil)

// Stats implements bpfprog.Program.
func (p *Program) Stats() (*ebpf.ProgramStats, error) {
	s := ebpf.ProgramStats(*p)
	return &s, nil
}
