package integration

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/rtsec/rtsec/test/containerd"
	"github.com/rtsec/rtsec/test/exporter"
	"github.com/rtsec/rtsec/test/hostcgroup"
)

// Host processes are told apart by the cgroup they run in (docs/host.md):
// the same program and the same syscall from a login session's scope and
// from a system unit's cgroup count under the host actor classes session
// and systemd_unit, never under the other.
func TestHostActorClasses(t *testing.T) {
	t.Parallel()
	e := exporter.Start(t)
	suffix := randomSuffix(t)
	session := hostcgroup.New(t, hostcgroup.Session("rtsec"+suffix))
	unit := hostcgroup.New(t, hostcgroup.Unit("rtsec-test-"+suffix+".service"))

	data, err := os.ReadFile("/bin/true")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	bins := map[string]*hostcgroup.Cgroup{"hs" + suffix: session, "hu" + suffix: unit}
	for name, cg := range bins {
		bin := filepath.Join(dir, name)
		if err := os.WriteFile(bin, data, 0o755); err != nil {
			t.Fatal(err)
		}
		cg.Run(t, bin)
		cg.Run(t, "unshare", "--uts", "true")
	}
	want := map[string]string{"hs" + suffix: "session", "hu" + suffix: "systemd_unit"}
	deadline := time.Now().Add(10 * time.Second)
	for {
		m := e.Scrape(t)
		var missing []string
		for name, actor := range want {
			if got := m.Sum("rtsec_process_execs_total", map[string]string{"container_id": "", "container": actor, "binary": name}); got != 1 {
				missing = append(missing, name)
			}
		}
		if len(missing) == 0 {
			for name := range want {
				if got := m.Sum("rtsec_process_execs_total", map[string]string{"binary": name}); got != 1 {
					t.Errorf("%s counted %v times in all, want once: %v", name, got, m.Series("rtsec_process_execs_total", map[string]string{"binary": name}))
				}
			}
			for _, actor := range want {
				if got := m.Sum(sensitive, map[string]string{"container_id": "", "container": actor, "syscall": "unshare"}); got < 1 {
					t.Errorf("unshare from the %s cgroup not counted under container=%q: %v", actor, actor, m.Series(sensitive, map[string]string{"syscall": "unshare"}))
				}
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("execs of %v not counted under their host actor: %v", missing, m.Series("rtsec_process_execs_total", map[string]string{"container_id": ""}))
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// A pod's setup through containerd and its CNI plugins, with containerd in
// containerd.service's cgroup as on a systemd node, counts its mount,
// unshare and setns calls under the host actor runtime, which the host
// rules trust (docs/host.md): not under session or other.
func TestHostActorRuntimeSetup(t *testing.T) {
	t.Parallel()
	d := containerd.Start(t)
	e := exporter.Start(t, "--runtime.cri-socket="+d.Socket())
	runtime := map[string]string{"container_id": "", "container": "runtime"}
	before := e.Scrape(t).Sum(sensitive, runtime)
	d.RunPod(t, "default", "setup-0", "app", "sleep", "3600")
	m := waitFor(t, e, 10*time.Second, "the runtime's setup syscalls", func(m exporter.Metrics) bool {
		return m.Sum(sensitive, runtime) > before
	})
	for _, syscall := range []string{"mount", "setns"} {
		if got := m.Sum(sensitive, map[string]string{"container_id": "", "container": "runtime", "syscall": syscall}); got == 0 {
			t.Errorf("no %s counted under the runtime host actor: %v", syscall, m.Series(sensitive, map[string]string{"container_id": ""}))
		}
	}
}
