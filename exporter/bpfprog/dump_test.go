package bpfprog

import (
	"fmt"
	"testing"

	"github.com/cilium/ebpf"

	"github.com/rtsec/rtsec/internal/testenv"
)

// wideKey is a key as large as the file class maps' (a path).
type wideKey struct {
	ID   uint64
	Path [256]byte
}

func newMap(t *testing.T, typ ebpf.MapType, key, value uint32, entries uint32) *ebpf.Map {
	t.Helper()
	testenv.RequireRoot(t)
	m, err := ebpf.NewMap(&ebpf.MapSpec{Type: typ, KeySize: key, ValueSize: value, MaxEntries: entries})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

// Batch reads every entry of hash maps of several sizes, more than one
// batch too, and reads them again into the same buffers.
func TestBatchReadsEveryEntry(t *testing.T) {
	for _, n := range []int{0, 1, batchSize - 1, batchSize + 1, 3*batchSize + 17} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			m := newMap(t, ebpf.Hash, 8, 8, uint32(max(n, 1)))
			for i := range n {
				if err := m.Put(uint64(i), uint64(i*3)); err != nil {
					t.Fatal(err)
				}
			}
			var b Batch[uint64, uint64]
			for round := range 2 {
				keys, values, err := b.Read(m)
				if err != nil {
					t.Fatal(err)
				}
				if len(keys) != n || len(values) != n {
					t.Fatalf("round %d: read %d keys and %d values, want %d", round, len(keys), len(values), n)
				}
				seen := map[uint64]bool{}
				for i, k := range keys {
					if values[i] != k*3 || seen[k] {
						t.Fatalf("round %d: entry %d = %d (seen before: %v), want %d once", round, k, values[i], seen[k], k*3)
					}
					seen[k] = true
				}
			}
		})
	}
}

// Counter counts hash and LRU hash maps exactly, with keys as wide as a
// path, as the key-at-a-time walk does.
func TestCounterCountsExactly(t *testing.T) {
	for _, typ := range []ebpf.MapType{ebpf.Hash, ebpf.LRUHash} {
		for _, n := range []int{0, 5, 5000} {
			t.Run(fmt.Sprintf("%s/%d", typ, n), func(t *testing.T) {
				m := newMap(t, typ, 8+256, 16, 8192)
				for i := range n {
					k := wideKey{ID: uint64(i)}
					copy(k.Path[:], fmt.Sprintf("/etc/file-%d", i))
					if err := m.Put(k, [16]byte{1}); err != nil {
						t.Fatal(err)
					}
				}
				var c Counter
				for round := range 2 {
					got, err := c.Count(m)
					if err != nil {
						t.Fatal(err)
					}
					walked, err := countKeys(m)
					if err != nil {
						t.Fatal(err)
					}
					if got != n || walked != n {
						t.Errorf("round %d: Count = %d, key walk = %d, want %d", round, got, walked, n)
					}
				}
			})
		}
	}
}

// Counter takes a map's entries from a whole Batch read since it last
// looked at the map, once, and counts the map itself otherwise.
func TestCounterUsesLastRead(t *testing.T) {
	m := newMap(t, ebpf.Hash, 8, 8, 64)
	put := func(from, to int) {
		for i := from; i < to; i++ {
			if err := m.Put(uint64(i), uint64(i)); err != nil {
				t.Fatal(err)
			}
		}
	}
	count := func(c *Counter, want int, why string) {
		t.Helper()
		got, err := c.Count(m)
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("%s: Count = %d, want %d", why, got, want)
		}
	}
	put(0, 10)
	var b Batch[uint64, uint64]
	if _, _, err := b.Read(m); err != nil {
		t.Fatal(err)
	}
	put(10, 15)
	var c, other Counter
	count(&c, 10, "after a read of 10 entries")
	count(&c, 15, "no read since")
	count(&other, 10, "another counter, after the same read")
	if _, _, err := b.Read(m); err != nil {
		t.Fatal(err)
	}
	put(15, 20)
	count(&c, 15, "after a read of 15 entries")
	count(&c, 20, "no read since")
	if err := DeleteWhere(m, func(k, _ uint64) bool { return k < 5 }); err != nil {
		t.Fatal(err)
	}
	count(&c, 15, "after a read that deleted 5 of 20 entries")
}

// SumsPerCPU adds up every CPU's value of every index of a per-CPU array
// in one read.
func TestSumsPerCPU(t *testing.T) {
	m := newMap(t, ebpf.PerCPUArray, 4, 8, 5)
	cpus, err := ebpf.PossibleCPU()
	if err != nil {
		t.Fatal(err)
	}
	for i := range uint32(5) {
		values := make([]uint64, cpus)
		for cpu := range values {
			values[cpu] = uint64(i*100 + uint32(cpu) + 1)
		}
		if err := m.Put(i, values); err != nil {
			t.Fatal(err)
		}
	}
	sums, err := SumsPerCPU(m)
	if err != nil {
		t.Fatal(err)
	}
	if len(sums) != 5 {
		t.Fatalf("read %d sums, want 5", len(sums))
	}
	for i, got := range sums {
		want, err := SumPerCPU(m, uint32(i))
		if err != nil {
			t.Fatal(err)
		}
		if got != want || want == 0 {
			t.Errorf("index %d: sum %d, want %d (one lookup)", i, got, want)
		}
	}
}

// The one-key-at-a-time fallback of Batch reads every entry once.
func TestBatchIterateFallback(t *testing.T) {
	const n = 300
	m := newMap(t, ebpf.Hash, 8, 8, n)
	for i := range uint64(n) {
		if err := m.Put(i, i*3); err != nil {
			t.Fatal(err)
		}
	}
	var b Batch[uint64, uint64]
	keys, values, err := b.iterate(m, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[uint64]bool{}
	for i, k := range keys {
		if values[i] != k*3 || seen[k] {
			t.Fatalf("entry %d = %d (seen before: %v), want %d once", k, values[i], seen[k], k*3)
		}
		seen[k] = true
	}
	if len(seen) != n {
		t.Errorf("iterate read %d entries, want %d", len(seen), n)
	}
}
