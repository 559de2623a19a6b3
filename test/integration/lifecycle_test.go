package integration

import (
	"fmt"
	"regexp"
	"testing"
	"time"

	"github.com/rtsec/rtsec/test/exporter"
	"github.com/rtsec/rtsec/test/runc"
)

// waitFor polls the exporter until cond holds for a scrape, or fails after
// timeout.
func waitFor(t *testing.T, e *exporter.Exporter, timeout time.Duration, what string, cond func(exporter.Metrics) bool) exporter.Metrics {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		m := e.Scrape(t)
		if cond(m) {
			return m
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s", what, timeout)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// A container that execs and is gone before the next scrape is still named:
// its path was recorded in the kernel when its cgroup was created. It stays
// in rtsec_container_info while its series are exported.
func TestShortLivedContainerResolves(t *testing.T) {
	e := exporter.Start(t, "--container.gone-grace=1m")
	c := runc.Start(t, runc.Options{})
	c.MustExec(t, "sh", "-c", "/bin/true; /bin/true; /bin/true")
	c.Delete(t)

	m := e.Scrape(t)
	got, ok := m.Value(t, execs, map[string]string{"container_id": c.Name(), "binary": "true"})
	if !ok || got != 3 {
		t.Errorf("execs of the deleted container %s: %v (present %v), want 3", c.Name(), got, ok)
	}
	if unknown := m.Series(execs, map[string]string{"container_id": "_unknown"}); len(unknown) > 0 {
		t.Errorf("execs counted under an unknown container: %v", unknown)
	}
	// Listed in the same scrape, so rules can tell its entrypoint from later execs.
	if info := m.Series("rtsec_container_info", map[string]string{"container_id": c.Name(), "runtime": "runc"}); len(info) != 1 {
		t.Errorf("rtsec_container_info of the deleted container: %v, want one series", info)
	}
}

// Once a container has been gone longer than the grace, its series leave
// /metrics and its kernel entries are deleted.
func TestGoneContainerIsReclaimed(t *testing.T) {
	t.Parallel()
	e := exporter.Start(t, "--container.gone-grace=1s", "--log.level=debug")
	c := runc.Start(t, runc.Options{})
	c.MustExec(t, "sh", "-c", "/bin/true")
	mine := map[string]string{"container_id": c.Name()}
	waitFor(t, e, 5*time.Second, "container's series appear", func(m exporter.Metrics) bool {
		return len(m.Series(execs, mine)) > 0
	})
	c.Delete(t)
	// The exporter checks every 10 s; give it two rounds.
	after := waitFor(t, e, 25*time.Second, "gone container's series removed", func(m exporter.Metrics) bool {
		return len(m.Series(execs, mine)) == 0
	})
	if info := after.Series("rtsec_container_info", mine); len(info) > 0 {
		t.Errorf("rtsec_container_info still lists the gone container: %v", info)
	}
	forgot := regexp.MustCompile(`msg="forgot gone containers" cgroup_ids="?\[[0-9 ]*\b` + fmt.Sprint(c.CgroupID()) + `\b`)
	if !forgot.MatchString(e.Output()) {
		t.Errorf("the exporter did not log forgetting cgroup %d (its kernel entries):\n%s", c.CgroupID(), e.Output())
	}
}
