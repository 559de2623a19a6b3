package integration

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/rtsec/rtsec/test/exporter"
)

const integrityChanged = "rtsec_file_integrity_changed"

// The real exporter on a temporary watch list: prompt detection, accept by
// command, changes made while it was down, and a corrupt state file.
func TestFileIntegrity(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	watched := filepath.Join(dir, "passwd")
	watchedDir := filepath.Join(dir, "sudoers.d")
	state := filepath.Join(dir, "state", "integrity.json")
	if err := os.WriteFile(watched, []byte("root:x:0:0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(watchedDir, 0o755); err != nil {
		t.Fatal(err)
	}
	args := []string{"--collector.disable-defaults", "--collector.integrity",
		"--collector.integrity.watch=" + watched, "--collector.integrity.watch=" + watchedDir, "--collector.integrity.state-file=" + state}
	value := func(m exporter.Metrics, name string, labels map[string]string) float64 {
		v, ok := m.Value(t, name, labels)
		if !ok {
			t.Fatalf("no %s%v in:\n%v", name, labels, m[name])
		}
		return v
	}
	changedIs := func(e *exporter.Exporter, path string, want float64) {
		t.Helper()
		waitFor(t, e, 5*time.Second, fmt.Sprintf("%s changed=%v", path, want), func(m exporter.Metrics) bool {
			return value(m, integrityChanged, map[string]string{"path": path}) == want
		})
	}

	e := exporter.Start(t, args...)
	m := e.Scrape(t)
	if got := value(m, "rtsec_file_integrity_baseline_rebuilds_total", map[string]string{"reason": "missing"}); got != 1 {
		t.Errorf("first start without a state file: rebuilds{missing} = %v, want 1", got)
	}
	if value(m, integrityChanged, map[string]string{"path": watched}) != 0 || value(m, "rtsec_file_integrity_last_check_timestamp_seconds", nil) < float64(time.Now().Add(-time.Minute).Unix()) {
		t.Errorf("fresh baseline: want %s unchanged and a recent check", watched)
	}
	// A change shows within the stat poll, long before the 5m full check.
	os.WriteFile(filepath.Join(watchedDir, "evil"), []byte("evil ALL=(ALL) NOPASSWD: ALL\n"), 0o440)
	changedIs(e, watchedDir, 1)
	if got := value(e.Scrape(t), "rtsec_file_integrity_checks_total", map[string]string{"result": "changed"}); got < 1 {
		t.Errorf("checks_total{result=changed} = %v, want ≥ 1", got)
	}
	// Accepted with the documented command; the running exporter reloads.
	cmd := exec.Command(exporter.Build(t), append(args, "--collector.integrity.rebaseline")...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("--collector.integrity.rebaseline: %v\n%s", err, out)
	}
	changedIs(e, watchedDir, 0)
	if err := e.Stop(); err != nil {
		t.Fatal(err)
	}

	// Changed while the exporter was down: caught at start.
	os.WriteFile(watched, []byte("root:x:0:0\nevil:x:0:0\n"), 0o644)
	e = exporter.Start(t, args...)
	m = e.Scrape(t)
	if value(m, integrityChanged, map[string]string{"path": watched}) != 1 || value(m, integrityChanged, map[string]string{"path": watchedDir}) != 0 {
		t.Errorf("restart after tampering: want %s changed and %s not", watched, watchedDir)
	}
	if got := value(m, "rtsec_file_integrity_baseline_rebuilds_total", map[string]string{"reason": "missing"}); got != 0 {
		t.Errorf("restart with a good state file: rebuilds{missing} = %v, want 0", got)
	}
	if err := e.Stop(); err != nil {
		t.Fatal(err)
	}

	// A corrupt state file is said so, rebuilt, and not trusted.
	os.WriteFile(state, []byte("{\"version\": 1, \"paths\": {}, \"checksum\": \"forged\"}"), 0o600)
	e = exporter.Start(t, args...)
	if got := value(e.Scrape(t), "rtsec_file_integrity_baseline_rebuilds_total", map[string]string{"reason": "corrupt"}); got != 1 {
		t.Errorf("corrupt state file: rebuilds{corrupt} = %v, want 1\n%s", got, e.Output())
	}
}
