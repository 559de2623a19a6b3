package integration

import (
	"strings"
	"testing"
	"time"

	"github.com/rtsec/rtsec/test/exporter"
	"github.com/rtsec/rtsec/test/runc"
)

// resourceValue returns a resources series of a container, failing when it
// is missing.
func resourceValue(t *testing.T, m exporter.Metrics, name, containerID string, extra map[string]string) float64 {
	t.Helper()
	match := map[string]string{"container_id": containerID}
	for k, v := range extra {
		match[k] = v
	}
	v, ok := m.Value(t, name, match)
	if !ok {
		t.Errorf("%s%v is missing", name, match)
	}
	return v
}

// The limits a container was started with show as they were set, and its
// use as what it did: a container that forks at its pids.max has its
// refused forks in pids.events max, a busy loop shows as user CPU time.
func TestResourcesLimitsAndUse(t *testing.T) {
	t.Parallel()
	e := exporter.Start(t)
	// The init is a shell, which reaps the orphans of runc exec: a
	// process that does not (sleep) keeps their zombies charged to pids.
	c := runc.Start(t, runc.Options{
		Limits: runc.Limits{MemoryBytes: 32 << 20, Pids: 64, CPUQuota: 50000, CPUPeriod: 100000},
		Args:   []string{"sh", "-c", "while :; do sleep 1; done"},
	})
	id := c.Name()

	m := e.Scrape(t)
	for name, want := range map[string]float64{
		"rtsec_container_memory_limit_bytes": 32 << 20,
		"rtsec_container_pids_limit":         64,
		"rtsec_container_cpu_quota_cores":    0.5,
	} {
		if got := resourceValue(t, m, name, id, nil); got != want {
			t.Errorf("%s{container_id=%q} = %v, want %v", name, id, got, want)
		}
	}
	if pids := resourceValue(t, m, "rtsec_container_pids", id, nil); pids < 1 || pids > 3 {
		t.Errorf("rtsec_container_pids{container_id=%q} = %v, want 1..3 (the shell, its sleep, the next sleep)", id, pids)
	}
	// Counters of rare events appear at their first one.
	for _, name := range []string{"rtsec_container_pids_limit_hits_total", "rtsec_container_forks_refused_total"} {
		if _, ok := m.Value(t, name, map[string]string{"container_id": id}); ok {
			t.Errorf("%s{container_id=%q} exported before any fork was refused", name, id)
		}
	}
	forksBefore := resourceValue(t, m, "rtsec_container_forks_total", id, map[string]string{"kind": "process"})

	// 80 sleeps in the background from one shell: the 64th task and
	// those after it are refused. (runc exec's own threads join the
	// container's cgroup too, so the limit leaves room for them.)
	out, _ := c.Exec(t, "sh", "-c", "i=0; while [ $i -lt 80 ]; do sleep 3 & i=$((i+1)); done; wait")
	if !strings.Contains(out, "fork") && !strings.Contains(out, "Resource temporarily unavailable") {
		t.Logf("shell output at the task limit: %q", out)
	}
	m = e.Scrape(t)
	hits := resourceValue(t, m, "rtsec_container_pids_limit_hits_total", id, nil)
	if hits < 1 {
		t.Errorf("rtsec_container_pids_limit_hits_total{container_id=%q} = %v after forking past pids.max=64, want ≥ 1", id, hits)
	}
	if refused := resourceValue(t, m, "rtsec_container_forks_refused_total", id, nil); refused < 1 {
		t.Errorf("rtsec_container_forks_refused_total{container_id=%q} = %v after forking past pids.max=64, want ≥ 1", id, refused)
	}
	// Forks the kernel accepted are counted in the kernel; refused ones
	// never reach sched_process_fork. The sleeps that fit under the
	// limit (about 60), runc exec's few and the init's sleep each second:
	// far fewer than the 80 tried plus those.
	forks := resourceValue(t, m, "rtsec_container_forks_total", id, map[string]string{"kind": "process"}) - forksBefore
	if forks < 40 || forks > 80 {
		t.Errorf("rtsec_container_forks_total{kind=process} grew by %v, want 40..80 (the accepted forks)", forks)
	}

	// The shell gives up at the first refused fork; the sleeps it started
	// end within 3 s, and the task count follows.
	m = waitFor(t, e, 10*time.Second, "the sleeps to end", func(m exporter.Metrics) bool {
		v, ok := m.Value(t, "rtsec_container_pids", map[string]string{"container_id": id})
		return ok && v <= 3
	})

	// Half a core of quota: a busy loop for 2 s gets about 1 s of CPU and
	// is throttled.
	cpuBefore := resourceValue(t, m, "rtsec_container_cpu_seconds_total", id, map[string]string{"mode": "user"})
	c.MustExec(t, "sh", "-c", "timeout 2 sh -c 'while :; do :; done' || true")
	m = e.Scrape(t)
	cpu := resourceValue(t, m, "rtsec_container_cpu_seconds_total", id, map[string]string{"mode": "user"}) - cpuBefore
	if cpu < 0.3 || cpu > 1.3 {
		t.Errorf("user CPU of a 2 s busy loop under a 0.5-core quota = %.2fs, want 0.3..1.3", cpu)
	}
	if th := resourceValue(t, m, "rtsec_container_cpu_throttled_periods_total", id, nil); th < 1 {
		t.Errorf("rtsec_container_cpu_throttled_periods_total = %v after a busy loop under a quota, want ≥ 1", th)
	}
}

// A container that forks past its limit and is deleted before the next
// scrape: its pids.events went with its cgroup, the kernel's count of its
// refused forks is exported all the same.
func TestResourcesRefusedForksOutliveTheContainer(t *testing.T) {
	t.Parallel()
	e := exporter.Start(t)
	c := runc.Start(t, runc.Options{Limits: runc.Limits{Pids: 16}, Args: []string{"sh", "-c", "while :; do sleep 1; done"}})
	id := c.Name()
	_, _ = c.Exec(t, "sh", "-c", "i=0; while [ $i -lt 40 ]; do sleep 2 & i=$((i+1)); done; wait")
	c.Delete(t)

	m := e.Scrape(t)
	if refused := resourceValue(t, m, "rtsec_container_forks_refused_total", id, nil); refused < 1 {
		t.Errorf("rtsec_container_forks_refused_total{container_id=%q} = %v for a deleted container that forked past pids.max=16, want ≥ 1", id, refused)
	}
}

// A process that allocates past memory.max is OOM-killed: the kernel's
// mark_victim count, memory.events oom_kill and the SIGKILL exit all go to
// the container.
func TestResourcesOOMKill(t *testing.T) {
	t.Parallel()
	e := exporter.Start(t)
	c := runc.Start(t, runc.Options{Limits: runc.Limits{MemoryBytes: 16 << 20}})
	id := c.Name()
	// Shell string doubling: 64 MiB is out of reach of a 16 MiB limit.
	_, _ = c.Exec(t, "sh", "-c", `x=0123456789abcdef; while :; do x="$x$x"; done`)

	m := waitFor(t, e, 10*time.Second, "an OOM kill in the container", func(m exporter.Metrics) bool {
		v, ok := m.Value(t, "rtsec_container_oom_kills_total", map[string]string{"container_id": id})
		return ok && v >= 1
	})
	if v := resourceValue(t, m, "rtsec_container_memory_events_total", id, map[string]string{"event": "oom_kill"}); v < 1 {
		t.Errorf("rtsec_container_memory_events_total{event=oom_kill} = %v, want ≥ 1", v)
	}
	if v := resourceValue(t, m, "rtsec_container_signal_exits_total", id, map[string]string{"signal": "SIGKILL"}); v < 1 {
		t.Errorf("rtsec_container_signal_exits_total{signal=SIGKILL} = %v, want ≥ 1", v)
	}
	if peak := resourceValue(t, m, "rtsec_container_memory_peak_bytes", id, nil); peak < 8<<20 || peak > 16<<20 {
		t.Errorf("rtsec_container_memory_peak_bytes = %v, want between 8 MiB and the 16 MiB limit", peak)
	}
}
