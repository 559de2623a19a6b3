package integration

import (
	"slices"
	"testing"

	"github.com/rtsec/rtsec/exporter/posture"
	"github.com/rtsec/rtsec/test/exporter"
	"github.com/rtsec/rtsec/test/runc"
)

// Each container differs from `runc spec`'s defaults (unprivileged, root,
// no seccomp, no_new_privs, own pid/net/ipc/uts/mnt namespaces; runc 1.1's
// spec has no cgroup namespace, so that one is the host's) in one option,
// and exactly that must show.
func TestPosture(t *testing.T) {
	t.Parallel()
	e := exporter.Start(t)
	type want struct {
		privileged, root, seccomp, nnp, readonly float64
		hostNS                                   string
	}
	cases := []struct {
		name string
		opts runc.Options
		want want
	}{
		{"default", runc.Options{}, want{root: 1, nnp: 1}},
		{"privileged", runc.Options{Privileged: true}, want{privileged: 1, root: 1, nnp: 1}},
		{"hostpid", runc.Options{HostPID: true}, want{root: 1, nnp: 1, hostNS: "pid"}},
		{"hostnetwork", runc.Options{HostNetwork: true}, want{root: 1, nnp: 1, hostNS: "net"}},
		{"seccomp", runc.Options{Seccomp: true}, want{root: 1, nnp: 1, seccomp: 1}},
		{"user", runc.Options{User: &runc.User{UID: 1000, GID: 1000}}, want{nnp: 1}},
		{"readonly", runc.Options{ReadonlyRootfs: true}, want{root: 1, nnp: 1, readonly: 1}},
	}
	containers := map[string]*runc.Container{}
	for _, c := range cases {
		containers[c.name] = runc.Start(t, c.opts)
	}
	m := e.Scrape(t)
	defer func() {
		if t.Failed() {
			t.Logf("exporter output:\n%s", tail(e.Output(), 3000))
		}
	}()
	yes := map[float64]string{0: "false", 1: "true"}
	for _, c := range cases {
		id := containers[c.name].Name()
		want := map[string]string{
			"container_id": id, "privileged": yes[c.want.privileged], "run_as_root": yes[c.want.root], "seccomp": yes[c.want.seccomp],
			"no_new_privs": yes[c.want.nnp], "readonly_rootfs": yes[c.want.readonly],
		}
		if _, ok := m.Value(t, "rtsec_container_posture_info", want); !ok {
			t.Errorf("%s: no rtsec_container_posture_info%v; the container's: %v", c.name, want,
				m.Series("rtsec_container_posture_info", map[string]string{"container_id": id}))
		}
		// Only what holds has a series: the cgroup namespace (runc's spec
		// has none of its own) and the one the case shares.
		var shared []string
		for _, s := range m.Series("rtsec_container_host_namespace", map[string]string{"container_id": id}) {
			shared = append(shared, exporter.Labels(s)["ns"])
		}
		wantShared := []string{"cgroup"}
		if c.want.hostNS != "" {
			wantShared = append(wantShared, c.want.hostNS)
		}
		slices.Sort(shared)
		slices.Sort(wantShared)
		if !slices.Equal(shared, wantShared) {
			t.Errorf("%s: rtsec_container_host_namespace series for %v, want %v", c.name, shared, wantShared)
		}
		caps := len(m.Series("rtsec_container_capabilities", map[string]string{"container_id": id}))
		if (c.want.privileged == 1) != (caps == len(posture.DangerousCaps)) {
			t.Errorf("%s: %d rtsec_container_capabilities series, privileged %v", c.name, caps, c.want.privileged)
		}
		if got := m.Series("rtsec_container_sensitive_mounts", map[string]string{"container_id": id}); len(got) != 0 {
			t.Errorf("%s: sensitive mounts %v, want none", c.name, got)
		}
	}
}
