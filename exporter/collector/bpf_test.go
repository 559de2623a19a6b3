package collector

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/cilium/ebpf"

	"github.com/rtsec/rtsec/exporter/bpfprog"
	"github.com/rtsec/rtsec/exporter/bpfprog/bpfprogtest"
)

func TestStatsEnabled(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		content string // "" for no file
		want    bool
	}{
		{"1\n", true},
		{"0\n", false},
		{"", false},
	}
	for i, c := range cases {
		path := filepath.Join(dir, "bpf_stats_enabled")
		os.Remove(path)
		if c.content != "" {
			if err := os.WriteFile(path, []byte(c.content), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		if got := statsEnabled(path); got != c.want {
			t.Errorf("case %d: statsEnabled with %q = %v, want %v", i, c.content, got, c.want)
		}
	}
}

// Each program's runs and run time, and the fill and capacity of each hash
// map (of every hash type; arrays are always full and left out).
func TestBPFGolden(t *testing.T) {
	perCPU := bpfprogtest.New(ebpf.PerCPUHash, uint64(0), uint64(0), 8)
	cpus, err := ebpf.PossibleCPU()
	if err != nil {
		t.Fatal(err)
	}
	for i := range uint64(3) {
		if err := perCPU.Put(i, make([]uint64, cpus)); err != nil {
			t.Fatal(err)
		}
	}
	lru := bpfprogtest.New(ebpf.LRUHash, uint64(0), uint8(0), 5)
	for i := range uint64(2) {
		if err := lru.Put(i, uint8(1)); err != nil {
			t.Fatal(err)
		}
	}
	inv := bpfprog.Inventory{
		Programs: map[string]bpfprog.Program{
			"handle_exec": &bpfprogtest.Program{RunCount: 12, Runtime: 1500 * time.Microsecond},
			"handle_fork": &bpfprogtest.Program{},
		},
		Maps: map[string]bpfprog.Map{
			"exec_counts":   bpfprogtest.Hash(10, map[uint64]uint64{1: 1, 2: 2, 3: 3}),
			"empty":         bpfprogtest.Hash[uint64, uint64](4, nil),
			"event_windows": lru,
			"task_creds":    perCPU,
			"exec_stats":    bpfprogtest.PerCPUArray(4, nil),
			"config":        bpfprogtest.New(ebpf.Array, uint32(0), uint64(0), 2),
		},
	}
	c := newBPF(func() bpfprog.Inventory { return inv })
	assertGolden(t, &scrape{c: c}, "bpf")
}
