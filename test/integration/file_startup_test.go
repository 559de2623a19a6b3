package integration

import (
	"maps"
	"testing"
	"time"

	"github.com/rtsec/rtsec/test/containerd"
	"github.com/rtsec/rtsec/test/exporter"
	"github.com/rtsec/rtsec/test/runc"
)

// fileSeries returns every file series matching match as "mod class/op"
// and "read class" → count, summed over the containers that match.
func fileSeries(m exporter.Metrics, match map[string]string) map[string]float64 {
	out := map[string]float64{}
	for _, s := range m.Series(fileMods, match) {
		l := exporter.Labels(s)
		out["mod "+l["path_class"]+"/"+l["op"]] += s.Counter.GetValue()
	}
	for _, s := range m.Series(fileReads, match) {
		out["read "+exporter.Labels(s)["file_class"]] += s.Counter.GetValue()
	}
	return out
}

// settle scrapes until cond holds or timeout passes, and returns the last
// scrape: the caller reports what it shows.
func settle(t *testing.T, e *exporter.Exporter, timeout time.Duration, cond func(exporter.Metrics) bool) exporter.Metrics {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		m := e.Scrape(t)
		if cond(m) || time.Now().After(deadline) {
			return m
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// What runc does to set a container up (mount points, /dev nodes and
// symlinks, exec.fifo) is the runtime's, not the container's: a freshly
// started idle container has no file series at all. An entrypoint that
// writes /etc/passwd as its first instruction is the container's, and
// counts.
func TestRuncSetupIsNotTheContainers(t *testing.T) {
	t.Parallel()
	e := exporter.Start(t, "--collector.disable-defaults", "--collector.file", "--collector.container")
	idle := runc.Start(t, runc.Options{})
	attacker := runc.Start(t, runc.Options{Args: []string{"sh", "-c", "echo x >> /etc/passwd; exec sleep 1000000"}})
	want := map[string]float64{"mod etc_passwd/write": 1}
	m := settle(t, e, 10*time.Second, func(m exporter.Metrics) bool {
		return maps.Equal(fileSeries(m, map[string]string{"container_id": attacker.Name()}), want)
	})
	if got := fileSeries(m, map[string]string{"container_id": attacker.Name()}); !maps.Equal(got, want) {
		t.Errorf("runc container %s whose entrypoint writes /etc/passwd has file series %v, want %v", attacker.Name(), got, want)
	}
	if got := fileSeries(m, map[string]string{"container_id": idle.Name()}); len(got) > 0 {
		t.Errorf("idle runc container %s has file series %v, want none: runc's setup counted as the container's", idle.Name(), got)
	}
}

// The same for a Kubernetes pod through containerd's CRI plugin: neither the
// sandbox (pause) nor an idle container of a fresh pod has file series; a
// container whose entrypoint writes /etc/passwd has exactly that, with its
// pod's labels.
func TestCRISetupIsNotTheContainers(t *testing.T) {
	t.Parallel()
	d := containerd.Start(t)
	e := exporter.Start(t, "--collector.disable-defaults", "--collector.file", "--collector.container", "--runtime.cri-socket="+d.Socket())
	d.RunPod(t, "quiet", "idle-0", "app", "sleep", "3600")
	id := d.RunPod(t, "shop", "evil-0", "app", "sh", "-c", "echo x >> /etc/passwd; exec sleep 3600")
	want := map[string]float64{"mod etc_passwd/write": 1}
	settle(t, e, 15*time.Second, func(m exporter.Metrics) bool {
		return maps.Equal(fileSeries(m, map[string]string{"container_id": id, "namespace": "shop", "pod": "evil-0", "container": "app"}), want)
	})
	// Give the idle pod the same time to show what its setup did.
	time.Sleep(time.Second)
	m := e.Scrape(t)
	if got := fileSeries(m, map[string]string{"namespace": "quiet"}); len(got) > 0 {
		t.Errorf("idle pod quiet/idle-0 (sandbox and container) has file series %v, want none: the runtime's setup counted as the pod's", got)
	}
	if got := fileSeries(m, map[string]string{"namespace": "shop"}); !maps.Equal(got, want) {
		t.Errorf("pod shop/evil-0 has file series %v, want only %v", got, want)
	}
}
