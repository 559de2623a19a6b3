package integration

import (
	"testing"
	"time"

	"github.com/rtsec/rtsec/test/containerd"
	"github.com/rtsec/rtsec/test/exporter"
)

// Execs in a Kubernetes pod carry the pod's namespace, name and container
// name, read from the CRI runtime.
func TestExecsCarryKubernetesLabels(t *testing.T) {
	t.Parallel()
	d := containerd.Start(t)
	e := exporter.Start(t, "--runtime.cri-socket="+d.Socket())
	id := d.RunPod(t, "shop", "cart-7d9f8b6c5d-x2x4q", "app", "sleep", "3600")
	d.Exec(t, id, "sh", "-c", "/bin/true; /bin/true")

	want := map[string]string{"container_id": id, "binary": "true", "namespace": "shop", "pod": "cart-7d9f8b6c5d-x2x4q", "container": "app"}
	m := waitFor(t, e, 10*time.Second, "exec series with pod labels", func(m exporter.Metrics) bool {
		v, ok := m.Value(t, execs, want)
		return ok && v == 2
	})
	info := m.Series("rtsec_container_info", map[string]string{"container_id": id, "namespace": "shop", "container": "app"})
	if len(info) != 1 || exporter.Labels(info[0])["image"] == "" {
		t.Errorf("rtsec_container_info for %s = %v, want one series with an image", id, info)
	}
}
