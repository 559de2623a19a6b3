package bpfprogtest

import (
	"errors"
	"maps"
	"structs"
	"testing"

	"github.com/cilium/ebpf"

	"github.com/rtsec/rtsec/exporter/bpfprog"
)

// key has the layout of a bpf2go key struct.
type key struct {
	_        structs.HostLayout
	CgroupID uint64
	Name     [6]int8
	Pad      [2]uint8
}

func name(s string) (n [6]int8) {
	for i, c := range s {
		n[i] = int8(c)
	}
	return n
}

// The exporter's readers read back what a Map holds, and delete from it.
func TestReadersOnMap(t *testing.T) {
	want := map[key]uint64{{CgroupID: 1, Name: name("sh")}: 3, {CgroupID: 2, Name: name("bash")}: 5}
	m := Hash(16, want)
	got, err := bpfprog.Dump[key, uint64](m)
	if err != nil || !maps.Equal(got, want) {
		t.Fatalf("Dump = %v, %v; want %v", got, err, want)
	}
	var c bpfprog.Counter
	if n, err := c.Count(m); err != nil || n != 2 {
		t.Errorf("Count = %d, %v; want 2", n, err)
	}
	if err := bpfprog.DeleteWhere(m, func(k key, _ uint64) bool { return k.CgroupID == 1 }); err != nil {
		t.Fatal(err)
	}
	if m.Len() != 1 || m.Has(key{CgroupID: 1, Name: name("sh")}) {
		t.Errorf("after DeleteWhere: %d entries, want the one of cgroup 2", m.Len())
	}
	if err := m.Delete(key{CgroupID: 1}); !errors.Is(err, ebpf.ErrKeyNotExist) {
		t.Errorf("Delete of a missing key = %v, want ErrKeyNotExist", err)
	}
	if err := Hash[uint64, uint64](1, map[uint64]uint64{1: 1}).Put(uint64(2), uint64(2)); err == nil {
		t.Error("Put into a full map succeeded")
	}
}

func TestPerCPUArray(t *testing.T) {
	m := PerCPUArray(4, map[uint32]uint64{1: 7, 3: 1 << 40})
	sums, err := bpfprog.SumsPerCPU(m)
	if err != nil || len(sums) != 4 || sums[0] != 0 || sums[1] != 7 || sums[3] != 1<<40 {
		t.Errorf("SumsPerCPU = %v, %v; want [0 7 0 %d]", sums, err, uint64(1<<40))
	}
	if n, err := bpfprog.SumPerCPU(m, 1); err != nil || n != 7 {
		t.Errorf("SumPerCPU(1) = %d, %v; want 7", n, err)
	}
}
