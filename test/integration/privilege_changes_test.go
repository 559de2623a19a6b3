package integration

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rtsec/rtsec/test/attack"
	"github.com/rtsec/rtsec/test/exporter"
	"github.com/rtsec/rtsec/test/runc"
)

const privilege = "rtsec_privilege_changes_total"

func kindCounts(m exporter.Metrics, containerID string) map[string]float64 {
	got := map[string]float64{}
	for _, s := range m.Series(privilege, map[string]string{"container_id": containerID}) {
		got[exporter.Labels(s)["kind"]] += s.Counter.GetValue()
	}
	return got
}

func assertKinds(t *testing.T, got, want map[string]float64, containerID string) {
	t.Helper()
	for _, kind := range []string{"setuid_root", "setuid_exec", "capset", "creds_to_root"} {
		if got[kind] != want[kind] {
			t.Errorf("%s{container_id=%q, kind=%q} = %v, want %v", privilege, containerID, kind, got[kind], want[kind])
		}
	}
}

// A setuid-root program run by uid 1000 is a setuid_exec; its setresuid
// back to euid 0 after dropping to 1000 is a setuid_root. Neither is
// creds_to_root, and the runtime's own set*id calls (the container runs as
// a user) count as nothing.
func TestPrivilegeChangesSetuid(t *testing.T) {
	t.Parallel()
	e := exporter.Start(t)
	c := runc.Start(t, runc.Options{
		Files:                    map[string][]byte{"bin/rtsec-attack": attack.Program(t)},
		User:                     &runc.User{UID: 1000, GID: 1000},
		AllowPrivilegeEscalation: true,
	})
	if err := os.Chmod(filepath.Join(c.Rootfs(), "bin/rtsec-attack"), 0o755|os.ModeSetuid); err != nil {
		t.Fatal(err)
	}
	if out := c.MustExec(t, "/bin/rtsec-attack", "setuid"); !strings.Contains(out, "euid 0") {
		t.Fatalf("setuid technique did not regain euid 0: %s", out)
	}
	assertKinds(t, kindCounts(e.Scrape(t), c.Name()), map[string]float64{"setuid_exec": 1, "setuid_root": 1}, c.Name())
	assertEvent(t, e, func(l eventLine) bool {
		return l.Type == "privilege_change" && l.Kind == "setuid_root" && l.ContainerID == c.Name() && l.UID == 1000 && l.Exe == "rtsec-attack"
	}, "a privilege_change event of kind setuid_root by uid 1000")
}

func TestPrivilegeChangesCapset(t *testing.T) {
	t.Parallel()
	e := exporter.Start(t)
	c := runc.Start(t, runc.Options{Files: map[string][]byte{"bin/rtsec-attack": attack.Program(t)}})
	c.MustExec(t, "/bin/rtsec-attack", "capset")
	assertKinds(t, kindCounts(e.Scrape(t), c.Name()), map[string]float64{"capset": 1}, c.Name())
}
