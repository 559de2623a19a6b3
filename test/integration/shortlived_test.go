package integration

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/rtsec/rtsec/test/attack"
	"github.com/rtsec/rtsec/test/containerd"
	"github.com/rtsec/rtsec/test/exporter"
	"github.com/rtsec/rtsec/test/runc"
)

// reapWait is two rounds of the exporter's reaper (every 10 s): with a gone
// grace of 1 s, a container gone before it was ever scraped would be
// forgotten by then if the reaper did not wait for a scrape.
const reapWait = 25 * time.Second

// waitStopped waits until runc reports the container stopped.
func waitStopped(t *testing.T, name string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		out, err := exec.Command("runc", "state", name).Output()
		var state struct {
			Status string `json:"status"`
		}
		if err == nil && json.Unmarshal(out, &state) == nil && state.Status == "stopped" {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("container %s did not stop within 10s", name)
}

// A runc container whose entrypoint writes /etc/passwd and execs a memfd
// binary, then exits, is deleted before the exporter is ever scraped, and
// stays unscraped for longer than the gone grace: the first scrape still
// has its series under its container_id, and only once they were exported
// may the reaper forget them.
func TestShortLivedRuncContainerExportedAfterExit(t *testing.T) {
	t.Parallel()
	e := exporter.Start(t, "--collector.disable-defaults", "--collector.file", "--collector.process", "--collector.container", "--container.gone-grace=1s")
	c := runc.Start(t, runc.Options{
		Files: map[string][]byte{"bin/rtsec-attack": attack.Program(t)},
		Args:  []string{"sh", "-c", "echo x >> /etc/passwd; /bin/rtsec-attack memfd /bin/true; until [ -e /tmp/exit ]; do sleep 0.05; done"},
	})
	// Start needs the entrypoint alive to read its cgroup; let it exit now.
	if err := os.WriteFile(filepath.Join(c.Rootfs(), "tmp", "exit"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	waitStopped(t, c.Name())
	c.Delete(t)
	time.Sleep(reapWait)

	m := e.Scrape(t)
	mine := map[string]string{"container_id": c.Name()}
	if got := fileSeries(m, mine); got["mod etc_passwd/write"] != 1 {
		t.Errorf("file series of the gone container %s at its first scrape: %v, want etc_passwd/write 1", c.Name(), got)
	}
	memfd := map[string]string{"container_id": c.Name(), "reason": "memfd"}
	if v, ok := m.Value(t, "rtsec_process_suspicious_execs_total", memfd); !ok || v != 1 {
		t.Errorf("memfd execs of the gone container %s at its first scrape: %v (present %v), want 1", c.Name(), v, ok)
	}
	if info := m.Series("rtsec_container_info", mine); len(info) != 1 {
		t.Errorf("rtsec_container_info of the gone container: %v, want one series", info)
	}
	// Exported once: now the grace runs out and the reaper forgets it.
	waitFor(t, e, reapWait, "the exported gone container's series removed", func(m exporter.Metrics) bool {
		return len(m.Series(fileMods, mine)) == 0 && len(m.Series("rtsec_process_suspicious_execs_total", mine)) == 0
	})
}

// The same for a Kubernetes pod's container through containerd's CRI: it
// writes /etc/passwd and exits at once, its cgroup is gone before the first
// scrape, which comes after the gone grace; its series are there with the
// pod's namespace, name and container name.
func TestShortLivedCRIContainerExportedAfterExit(t *testing.T) {
	t.Parallel()
	d := containerd.Start(t)
	e := exporter.Start(t, "--collector.disable-defaults", "--collector.file", "--collector.container", "--container.gone-grace=1s", "--runtime.cri-socket="+d.Socket())
	id := d.RunPod(t, "jobs", "once-x7k2p", "task", "sh", "-c", "echo x >> /etc/passwd")
	time.Sleep(reapWait)

	m := e.Scrape(t)
	want := map[string]string{"container_id": id, "namespace": "jobs", "pod": "once-x7k2p", "container": "task"}
	if got := fileSeries(m, want); got["mod etc_passwd/write"] != 1 {
		t.Errorf("file series of the exited pod container %s with its pod labels at the first scrape: %v, want etc_passwd/write 1; all its series: %v",
			id, got, fileSeries(m, map[string]string{"container_id": id}))
	}
}
