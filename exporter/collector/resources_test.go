package collector

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/rtsec/rtsec/bpf"
	"github.com/rtsec/rtsec/bpf/enums"
	"github.com/rtsec/rtsec/exporter/bpfprog/bpfprogtest"
	"github.com/rtsec/rtsec/exporter/cgroupstat"
	"github.com/rtsec/rtsec/exporter/metricdef"
)

// writeCgroupFiles writes the files of the cgroup at path, name → content.
func writeCgroupFiles(t *testing.T, n *node, path string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(n.root, path, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// newTestResources returns the resources collector of a pure cgroup v2
// node, its kernel map holding counts, and the map.
func newTestResources(t *testing.T, n *node, counts map[bpf.ResourcesResourceKey]uint64, full uint64) (*resourcesCollector, *bpfprogtest.Map) {
	t.Helper()
	writeCgroupFiles(t, n, "/", map[string]string{"cgroup.controllers": "cpuset cpu io memory pids\n"})
	layout, err := cgroupstat.Detect(n.root)
	if err != nil {
		t.Fatal(err)
	}
	m := bpfprogtest.Hash(16384, counts)
	return newResources(m, bpfprogtest.PerCPUArray(1, map[uint32]uint64{enums.StatResourceCountsFull: full}), layout, n.resolver), m
}

func resourceKey(cgroup uint64, signal, value uint16) bpf.ResourcesResourceKey {
	return bpf.ResourcesResourceKey{CgroupId: cgroup, Signal: signal, Value: value}
}

// Each live container's cgroup files (a container without a limit has no
// limit series, counters of what it never did none), and the kernel's
// forks, signal deaths and OOM kills per identity, host actor classes too.
func TestResourcesGolden(t *testing.T) {
	n := newNode(t, time.Hour, nil, nil)
	web, job, ssh, cron := n.id(t, cgWeb), n.id(t, cgJob), n.id(t, cgSSH), n.id(t, cgCron)
	writeCgroupFiles(t, n, cgWeb, map[string]string{
		"cpu.stat":       "usage_usec 2000000\nuser_usec 1500000\nsystem_usec 500000\nnr_periods 10\nnr_throttled 4\nthrottled_usec 250000\n",
		"cpu.max":        "50000 100000\n",
		"memory.current": "1048576\n",
		"memory.peak":    "2097152\n",
		"memory.max":     "268435456\n",
		"memory.events":  "low 0\nhigh 0\nmax 2\noom 1\noom_kill 1\n",
		"pids.current":   "3\n",
		"pids.max":       "100\n",
		"pids.events":    "max 5\n",
	})
	// An idle container without limits.
	writeCgroupFiles(t, n, cgJob, map[string]string{
		"cpu.stat":       "usage_usec 1000\nuser_usec 1000\nsystem_usec 0\nnr_periods 0\nnr_throttled 0\nthrottled_usec 0\n",
		"cpu.max":        "max 100000\n",
		"memory.current": "4096\n",
		"memory.max":     "max\n",
		"memory.events":  "low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\n",
		"pids.current":   "1\n",
		"pids.max":       "max\n",
		"pids.events":    "max 0\n",
	})
	c, _ := newTestResources(t, n, map[bpf.ResourcesResourceKey]uint64{
		resourceKey(web, enums.ResourceFork, enums.ForkProcess):             7,
		resourceKey(web, enums.ResourceFork, enums.ForkThread):              20,
		resourceKey(web, enums.ResourceOOMKill, 0):                          1,
		resourceKey(web, enums.ResourceForkRefused, 0):                      5,
		resourceKey(job, enums.ResourceSignalExit, uint16(syscall.SIGKILL)): 2,
		resourceKey(job, enums.ResourceSignalExit, uint16(syscall.SIGSEGV)): 1,
		resourceKey(job, enums.ResourceSignalExit, 60):                      3, // a real-time signal: other
		resourceKey(ssh, enums.ResourceFork, enums.ForkProcess):             4,
		resourceKey(cron, enums.ResourceFork, enums.ForkProcess):            1,
		resourceKey(hostRootID, enums.ResourceFork, enums.ForkThread):       2,
		// Unknown to the exporter: no series.
		resourceKey(web, enums.ResourceFork, uint16(len(enums.ForkNames))): 9,
		resourceKey(web, 99, 0): 9,
	}, 3)
	assertGolden(t, &scrape{c: c}, "resources")
}

// A gone container's kernel counts are deleted and its series go; its
// cgroup files are no longer read once its cgroup is gone.
func TestResourcesForgetGolden(t *testing.T) {
	n := newNode(t, 0, nil, nil)
	web, job := n.id(t, cgWeb), n.id(t, cgJob)
	for _, cg := range []string{cgWeb, cgJob} {
		writeCgroupFiles(t, n, cg, map[string]string{"cpu.stat": "user_usec 1000000\nsystem_usec 0\n"})
	}
	c, m := newTestResources(t, n, map[bpf.ResourcesResourceKey]uint64{
		resourceKey(web, enums.ResourceFork, enums.ForkProcess): 1,
		resourceKey(job, enums.ResourceFork, enums.ForkProcess): 2,
	}, 0)
	s := &scrape{c: c}
	names := []string{metricdef.ContainerForks.Name, metricdef.ContainerCPUSeconds.Name}
	assertGolden(t, s, "resources_forget_before", names...)
	if err := os.RemoveAll(filepath.Join(n.root, cgJob)); err != nil {
		t.Fatal(err)
	}
	if err := c.Forget(map[uint64]bool{job: true}); err != nil {
		t.Fatal(err)
	}
	if m.Len() != 1 {
		t.Errorf("resource_counts holds %d entries after Forget, want the one of the container alive", m.Len())
	}
	assertGolden(t, s, "resources_forget_after", names...)
}
