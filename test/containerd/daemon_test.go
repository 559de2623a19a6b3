package containerd

import (
	"os"
	"strconv"
	"strings"
	"testing"
)

// TestRunPod runs a real pod (root, containerd): the container runs, has
// the pod's hostname and an eth0 from the CNI network, and sits in the
// cgroup the kubelet-like parent implies.
func TestRunPod(t *testing.T) {
	d := Start(t)
	id := d.RunPod(t, "ns1", "web", "app", "sleep", "3600")

	if got := strings.TrimSpace(d.Exec(t, id, "hostname")); got != "web" {
		t.Errorf("hostname = %q, want web", got)
	}
	if out := d.Exec(t, id, "cat", "/sys/class/net/eth0/address"); strings.TrimSpace(out) == "" {
		t.Errorf("no eth0 in the pod")
	}
	data, err := os.ReadFile("/proc/" + strconv.Itoa(d.Pid(t, id)) + "/cgroup")
	if err != nil {
		t.Fatal(err)
	}
	want := "/" + id
	var got string
	for line := range strings.Lines(string(data)) {
		if path, ok := strings.CutPrefix(line, "0::"); ok {
			got = strings.TrimSpace(path)
		}
	}
	if !strings.HasPrefix(got, "/kubepods/besteffort/pod") || !strings.HasSuffix(got, want) {
		t.Errorf("cgroup2 path = %q, want /kubepods/besteffort/pod<uid>%s", got, want)
	}
}
