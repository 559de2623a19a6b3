// Package integration runs the real exporter against real processes and
// containers and checks what it counts.
package integration

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rtsec/rtsec/test/exporter"
	"github.com/rtsec/rtsec/test/runc"
)

const execs = "rtsec_process_execs_total"

// Each test execs a binary with a name nothing else uses, so the deltas it
// asserts are exact even while the host is busy.
func uniqueName(t *testing.T) string {
	return fmt.Sprintf("rtsec-%s-%d", strings.ToLower(t.Name()[4:]), os.Getpid()%10000)
}

func TestHostExecsCounted(t *testing.T) {
	e := exporter.Start(t)
	name := uniqueName(t)
	bin := filepath.Join(t.TempDir(), name)
	data, err := os.ReadFile("/bin/true")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, data, 0o755); err != nil {
		t.Fatal(err)
	}
	host := map[string]string{"container_id": "", "binary": name}
	before, _ := e.Scrape(t).Value(t, execs, host)
	const n = 50
	for range n {
		if err := exec.Command(bin).Run(); err != nil {
			t.Fatal(err)
		}
	}
	after, ok := e.Scrape(t).Value(t, execs, host)
	if !ok || after-before != n {
		t.Errorf("%s%v went %v -> %v (present %v), want +%d", execs, host, before, after, ok, n)
	}
}

func TestContainerExecsCounted(t *testing.T) {
	e := exporter.Start(t)
	c := runc.Start(t, runc.Options{})
	c.MustExec(t, "sh", "-c", "i=0; while [ $i -lt 100 ]; do /bin/true; i=$((i+1)); done")

	m := e.Scrape(t)
	got, ok := m.Value(t, execs, map[string]string{"container_id": c.Name(), "binary": "true"})
	if !ok || got != 100 {
		t.Errorf("%s{container_id=%q,binary=\"true\"} = %v (present %v), want 100", execs, c.Name(), got, ok)
	}
	// The host's series must not have absorbed the container's execs.
	for _, s := range m.Series(execs, map[string]string{"binary": "true"}) {
		if l := exporter.Labels(s); l["container_id"] != c.Name() && s.Counter.GetValue() >= 100 {
			t.Errorf("container execs also counted under %v", l)
		}
	}
	info := m.Series("rtsec_container_info", map[string]string{"container_id": c.Name()})
	if len(info) != 1 || exporter.Labels(info[0])["runtime"] != "runc" {
		t.Errorf("rtsec_container_info for %s = %v, want one series with runtime=runc", c.Name(), info)
	}
}

func TestBinaryBudgetBoundsSeries(t *testing.T) {
	t.Parallel()
	const budget, names = 64, 10000
	e := exporter.Start(t, fmt.Sprintf("--collector.process.binary-budget=%d", budget))
	// 10 000 distinct names, all links to busybox, which execs each and
	// then fails to find an applet of that name: the exec is what counts.
	script := &strings.Builder{}
	for i := range names {
		fmt.Fprintf(script, "/x/b%05d 2>/dev/null\n", i)
	}
	script.WriteString("exit 0\n")
	files := map[string][]byte{"loop.sh": []byte(script.String())}
	c := runc.Start(t, runc.Options{Files: files})
	if err := os.MkdirAll(filepath.Join(c.Rootfs(), "x"), 0o755); err != nil {
		t.Fatal(err)
	}
	for i := range names {
		if err := os.Symlink("/bin/true", filepath.Join(c.Rootfs(), "x", fmt.Sprintf("b%05d", i))); err != nil {
			t.Fatal(err)
		}
	}
	before := e.Scrape(t).Sum("rtsec_label_overflows_total", map[string]string{"metric": execs})
	c.MustExec(t, "sh", "/loop.sh")

	m := e.Scrape(t)
	series := m.Series(execs, map[string]string{"container_id": c.Name()})
	if len(series) > budget+1 {
		t.Errorf("container has %d exec series, want at most the budget %d plus _other", len(series), budget)
	}
	var named, other float64
	for _, s := range series {
		if exporter.Labels(s)["binary"] == "_other" {
			other += s.Counter.GetValue()
		} else if strings.HasPrefix(exporter.Labels(s)["binary"], "b") {
			named += s.Counter.GetValue()
		}
	}
	if named+other < names {
		t.Errorf("named %v + _other %v = %v execs counted, want at least %d", named, other, named+other, names)
	}
	overflows := m.Sum("rtsec_label_overflows_total", map[string]string{"metric": execs}) - before
	if overflows != other {
		t.Errorf("rtsec_label_overflows_total grew by %v, want %v (the container's _other count)", overflows, other)
	}
	if other < names-budget {
		t.Errorf("_other = %v, want at least %d", other, names-budget)
	}
}

// A host cgroup (a systemd service, a login session) that spends a
// container's name budget gets the host's once the exporter has resolved
// it to the host: new names are counted by name again, while a container
// stays within its budget (TestBinaryBudgetBoundsSeries).
func TestHostCgroupGetsHostBudget(t *testing.T) {
	t.Parallel()
	const budget = 16
	e := exporter.Start(t, fmt.Sprintf("--collector.process.binary-budget=%d", budget))
	dir := t.TempDir()
	for _, prefix := range []string{"a", "b"} {
		for i := range budget + 4 {
			if err := os.Symlink("/bin/true", filepath.Join(dir, fmt.Sprintf("rtsec-hb-%s%02d", prefix, i))); err != nil {
				t.Fatal(err)
			}
		}
	}
	cgroup := runc.HostCgroup(t, fmt.Sprintf("rtsec-host-budget-%d", os.Getpid()))
	run := func(prefix string) {
		t.Helper()
		script := fmt.Sprintf("echo $$ > %s/cgroup.procs && for b in %s/rtsec-hb-%s*; do $b; done", cgroup, dir, prefix)
		if out, err := exec.Command("/bin/sh", "-c", script).CombinedOutput(); err != nil {
			t.Fatalf("%s: %v\n%s", script, err, out)
		}
	}
	named := func(m exporter.Metrics, prefix string) int {
		n := 0
		for _, s := range m.Series(execs, map[string]string{"container_id": ""}) {
			if strings.HasPrefix(exporter.Labels(s)["binary"], "rtsec-hb-"+prefix) {
				n++
			}
		}
		return n
	}

	// More names than a container's budget (the shell and echo spend two).
	run("a")
	if got := named(e.Scrape(t), "a"); got >= budget+4 {
		t.Fatalf("%d of %d names counted by name before the cgroup was resolved, want fewer: the container budget %d applies first", got, budget+4, budget)
	}
	run("b")
	if got := named(e.Scrape(t), "b"); got != budget+4 {
		t.Errorf("%d of %d new names of the host cgroup counted by name after a scrape, want all", got, budget+4)
	}
}
