package integration

import (
	"testing"
	"time"

	"github.com/rtsec/rtsec/test/exporter"
	"github.com/rtsec/rtsec/test/load"
)

// Under container churn the per-thread and per-cgroup maps return to their
// baseline: an exited thread's credentials are deleted at
// sched_process_exit, a removed cgroup's recorded path once it has been
// gone for the grace. Not parallel: other tests' threads and cgroups would
// move the baseline.
func TestMapsForgetUnderChurn(t *testing.T) {
	const churn = 100
	e := exporter.Start(t, "--container.gone-grace=1s")
	entries := func(m exporter.Metrics, name string) float64 {
		v, ok := m.Value(t, "rtsec_bpf_map_entries", map[string]string{"map": name})
		if !ok {
			t.Fatalf("no rtsec_bpf_map_entries{map=%q}", name)
		}
		return v
	}
	before := e.Scrape(t)
	cs := load.StartContainers(t, "rtsec-churn", 0)
	for range churn {
		cs.Start(t, "/bin/true", "/bin/sh", "/usr/bin/env", "/bin/ls")
		cs.Stop(t)
	}
	during := e.Scrape(t)
	t.Logf("task_creds %v → %v, cgroup_paths %v → %v right after %d containers came and went",
		entries(before, "task_creds"), entries(during, "task_creds"), entries(before, "cgroup_paths"), entries(during, "cgroup_paths"), churn)
	if entries(during, "cgroup_paths") < entries(before, "cgroup_paths")+churn/2 {
		t.Fatalf("cgroup_paths did not record the churn's cgroups: the test cannot tell forgetting from never knowing")
	}
	// The churn ran 4 execs in each container, each a thread whose
	// credentials were recorded: kept, they would add 400 entries. The
	// machine's other threads move the count a little.
	if got := entries(during, "task_creds"); got > entries(before, "task_creds")+churn/2 {
		t.Errorf("task_creds grew from %v to %v over the churn: exited threads are kept", entries(before, "task_creds"), got)
	}

	// The reaper runs every 10s and forgets paths gone for grace + 10s.
	slack := float64(churn) / 10
	deadline := time.Now().Add(45 * time.Second)
	for {
		after := e.Scrape(t)
		paths := entries(after, "cgroup_paths")
		if paths <= entries(before, "cgroup_paths")+slack {
			t.Logf("back to baseline: cgroup_paths %v, task_creds %v", paths, entries(after, "task_creds"))
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after the churn cgroup_paths holds %v (baseline %v); want it within %v of baseline", paths, entries(before, "cgroup_paths"), slack)
		}
		time.Sleep(time.Second)
	}
}
