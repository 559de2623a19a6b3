package integration

import (
	"testing"

	"github.com/rtsec/rtsec/test/exporter"
	"github.com/rtsec/rtsec/test/runc"
)

// gaugeOf returns the posture gauge of a container, failing when absent.
func gaugeOf(t *testing.T, m exporter.Metrics, name, containerID string, extra map[string]string) float64 {
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
	for _, c := range cases {
		id := containers[c.name].Name()
		for name, w := range map[string]float64{
			"rtsec_container_privileged":      c.want.privileged,
			"rtsec_container_running_as_root": c.want.root,
			"rtsec_container_seccomp_enabled": c.want.seccomp,
			"rtsec_container_no_new_privs":    c.want.nnp,
			"rtsec_container_readonly_rootfs": c.want.readonly,
		} {
			if got := gaugeOf(t, m, name, id, nil); got != w {
				t.Errorf("%s: %s = %v, want %v", c.name, name, got, w)
			}
		}
		for _, ns := range []string{"pid", "net", "ipc", "uts", "cgroup", "mnt"} {
			w := 0.0
			if ns == c.want.hostNS || ns == "cgroup" {
				w = 1
			}
			if got := gaugeOf(t, m, "rtsec_container_host_namespace", id, map[string]string{"ns": ns}); got != w {
				t.Errorf("%s: rtsec_container_host_namespace{ns=%q} = %v, want %v", c.name, ns, got, w)
			}
		}
		w := c.want.privileged
		if got := gaugeOf(t, m, "rtsec_container_capabilities", id, map[string]string{"cap": "sys_admin"}); got != w {
			t.Errorf("%s: rtsec_container_capabilities{cap=\"sys_admin\"} = %v, want %v", c.name, got, w)
		}
		if got := m.Sum("rtsec_container_sensitive_mounts", map[string]string{"container_id": id}); got != 0 {
			t.Errorf("%s: %v sensitive mounts, want none", c.name, got)
		}
	}
}
