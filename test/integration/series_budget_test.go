package integration

import (
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/rtsec/rtsec/test/exporter"
	"github.com/rtsec/rtsec/test/runc"
)

// idleSeriesBudget is what an idle container may cost (issue 15: 1 000
// nodes of 100 pods must not cost millions of series before an event):
// identity, posture, its entrypoint's exec (7 at most), and the resources
// collector's CPU by mode, memory, memory peak, tasks and forks by kind (6;
// its counters of rare events appear at the first one).
const idleSeriesBudget = 13

// containerSeries counts the series carrying a container's id, by metric.
func containerSeries(m exporter.Metrics, id string) (int, map[string]int) {
	by := map[string]int{}
	total := 0
	for name := range m {
		if n := len(m.Series(name, map[string]string{"container_id": id})); n > 0 {
			by[name] = n
			total += n
		}
	}
	return total, by
}

func describe(by map[string]int) string {
	var parts []string
	for name, n := range by {
		parts = append(parts, name+"="+strings.Repeat("|", n))
	}
	sort.Strings(parts)
	return strings.Join(parts, " ")
}

// An idle container (its init process, nothing else) costs at most 10
// series; a busy one (shells, tools, file writes) more, reported.
func TestSeriesPerContainer(t *testing.T) {
	t.Parallel()
	e := exporter.Start(t)
	idle := runc.Start(t, runc.Options{})
	busy := runc.Start(t, runc.Options{})
	for _, cmd := range [][]string{
		{"sh", "-c", "echo hi > /tmp/x; cat /etc/passwd > /dev/null; ls / > /dev/null"},
		{"wget", "-q", "-T", "1", "-O", "/dev/null", "http://127.0.0.1:1/"},
		{"sh", "-c", "id; ps; env > /dev/null; chmod 600 /tmp/x"},
	} {
		busy.Exec(t, cmd...)
	}
	var idleN, busyN int
	var idleBy, busyBy map[string]int
	deadline := time.Now().Add(10 * time.Second)
	for {
		m := e.Scrape(t)
		idleN, idleBy = containerSeries(m, idle.Name())
		busyN, busyBy = containerSeries(m, busy.Name())
		if idleBy["rtsec_container_info"] > 0 && idleBy["rtsec_container_posture_info"] > 0 && busyBy["rtsec_process_execs_total"] > 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Logf("idle container: %d series: %s", idleN, describe(idleBy))
	t.Logf("busy container: %d series: %s", busyN, describe(busyBy))
	if idleBy["rtsec_container_info"] == 0 || idleBy["rtsec_container_posture_info"] == 0 {
		t.Fatalf("the idle container is not listed: %s", describe(idleBy))
	}
	if idleN > idleSeriesBudget {
		t.Errorf("an idle container costs %d series, want at most %d: %s", idleN, idleSeriesBudget, describe(idleBy))
	}
	if busyN <= idleN {
		t.Errorf("the busy container costs %d series, no more than the idle one's %d: its activity is not counted", busyN, idleN)
	}
}
