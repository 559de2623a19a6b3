package bpfprog

import "github.com/cilium/ebpf"

// Map is what the exporter does with a loaded BPF map: the readers of this
// package and the collectors take a Map rather than an *ebpf.Map, which
// implements it, so that tests can give them fixed contents without the
// kernel (bpfprogtest.Map).
type Map interface {
	Type() ebpf.MapType
	KeySize() uint32
	ValueSize() uint32
	MaxEntries() uint32
	Lookup(key, valueOut any) error
	NextKey(key, nextKeyOut any) error
	BatchLookup(cursor *ebpf.MapBatchCursor, keysOut, valuesOut any, opts *ebpf.BatchOptions) (int, error)
	Put(key, value any) error
	Delete(key any) error
}

var _ Map = (*ebpf.Map)(nil)

// Program is what the exporter reads of a loaded BPF program; *ebpf.Program
// implements it.
type Program interface {
	Stats() (*ebpf.ProgramStats, error)
}

var _ Program = (*ebpf.Program)(nil)

// Inventory is every loaded program and map by name, as the exporter
// reports on them.
type Inventory struct {
	Programs map[string]Program
	Maps     map[string]Map
}

// Inventory returns the set's programs and maps.
func (s *Set) Inventory() Inventory {
	s.mu.Lock()
	defer s.mu.Unlock()
	inv := Inventory{Programs: make(map[string]Program, len(s.programs)), Maps: make(map[string]Map, len(s.maps))}
	for name, p := range s.programs {
		inv.Programs[name] = p
	}
	for name, m := range s.maps {
		inv.Maps[name] = m
	}
	return inv
}
