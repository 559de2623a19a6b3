package collector

import (
	"slices"
	"testing"
	"time"

	"github.com/rtsec/rtsec/bpf"
	"github.com/rtsec/rtsec/bpf/enums"
	"github.com/rtsec/rtsec/exporter/bpfprog/bpfprogtest"
	"github.com/rtsec/rtsec/exporter/events"
	"github.com/rtsec/rtsec/exporter/fileclass"
	"github.com/rtsec/rtsec/exporter/metricdef"
)

// newTestFile returns the file collector of the node, with the built-in
// class table, over maps holding counts and stats, and the id of each
// class by name (modifications, then reads).
func newTestFile(t *testing.T, n *node, counts func(mod, read func(string) uint8) map[bpf.FilesFileKey]uint64, stats map[uint32]uint64) (*fileCollector, *bpfprogtest.Map) {
	t.Helper()
	table, err := fileclass.Load("")
	if err != nil {
		t.Fatal(err)
	}
	modNames, readNames := table.Names(fileclass.Modify), table.Names(fileclass.Read)
	id := func(names []string) func(string) uint8 {
		return func(name string) uint8 {
			i := slices.Index(names, name)
			if i < 0 {
				t.Fatalf("no file class %q in %v", name, names)
			}
			return uint8(i + 1)
		}
	}
	m := bpfprogtest.Hash(32768, counts(id(modNames), id(readNames)))
	c := newFile(m, bpfprogtest.PerCPUArray(8, stats), modNames, readNames, n.resolver, events.NewExemplars(maxExemplars))
	return c, m
}

var fileMetrics = []string{metricdef.FileModifications.Name, metricdef.FileSensitiveReads.Name,
	metricdef.FileUnresolvedPaths.Name, metricdef.BPFMapInsertFailures.Name}

// Modifications by class and op and sensitive reads by class, per
// identity; ids the exporter does not know give no series.
func TestFileGolden(t *testing.T) {
	n := newNode(t, time.Hour, nil, nil)
	web, job, ssh, cron := n.id(t, cgWeb), n.id(t, cgJob), n.id(t, cgSSH), n.id(t, cgCron)
	write, unlink := uint8(enums.FopWrite), uint8(enums.FopUnlink)
	c, _ := newTestFile(t, n, func(mod, read func(string) uint8) map[bpf.FilesFileKey]uint64 {
		return map[bpf.FilesFileKey]uint64{
			{CgroupId: web, Class: mod("bin_dirs"), Op: write}:        2,
			{CgroupId: web, Class: mod("bin_dirs"), Op: unlink}:       1,
			{CgroupId: web, Read: 1, Class: read("shadow")}:           3,
			{CgroupId: job, Class: mod("etc_cron"), Op: write}:        1,
			{CgroupId: ssh, Class: mod("etc_ssh"), Op: write}:         1,
			{CgroupId: cron, Class: mod("etc_ssh"), Op: write}:        4,
			{CgroupId: hostRootID, Read: 1, Class: read("k8s_token")}: 1,
			// Unknown to the exporter: no series.
			{CgroupId: web, Class: 200, Op: write}:           9,
			{CgroupId: web, Class: mod("bin_dirs"), Op: 200}: 9,
			{CgroupId: web, Class: 0, Op: write}:             9,
			{CgroupId: web, Read: 1, Class: 200}:             9,
		}
	}, map[uint32]uint64{enums.StatFileUnresolved: 6, enums.StatFileCountsFull: 1, enums.StatFilePendingFull: 2, enums.StatFileEventPathsFull: 3})
	assertGolden(t, &scrape{c: c}, "file", fileMetrics...)
}

// A gone container's file series go with its kernel entries; the host
// actor class keeps the sums of its gone cgroup.
func TestFileForgetGolden(t *testing.T) {
	n := newNode(t, 0, nil, nil)
	job, ssh, cron := n.id(t, cgJob), n.id(t, cgSSH), n.id(t, cgCron)
	write := uint8(enums.FopWrite)
	c, m := newTestFile(t, n, func(mod, read func(string) uint8) map[bpf.FilesFileKey]uint64 {
		return map[bpf.FilesFileKey]uint64{
			{CgroupId: job, Class: mod("etc_ssh"), Op: write}:  1,
			{CgroupId: ssh, Class: mod("etc_ssh"), Op: write}:  2,
			{CgroupId: cron, Class: mod("etc_ssh"), Op: write}: 3,
		}
	}, nil)
	s := &scrape{c: c}
	assertGolden(t, s, "file_forget_before", metricdef.FileModifications.Name)
	ids, err := c.CgroupIDs()
	if err != nil || len(ids) != 3 {
		t.Errorf("CgroupIDs = %v, %v; want the 3 cgroups with counts", ids, err)
	}
	if err := c.Forget(map[uint64]bool{job: true, cron: true}); err != nil {
		t.Fatal(err)
	}
	if m.Len() != 1 {
		t.Errorf("file_counts holds %d entries after Forget, want the one of the cgroup alive", m.Len())
	}
	assertGolden(t, s, "file_forget_after", metricdef.FileModifications.Name)
}
