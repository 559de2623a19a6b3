package integration

import (
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/rtsec/rtsec/exporter/collector"
	"github.com/rtsec/rtsec/test/exporter"
	"github.com/rtsec/rtsec/test/runc"
)

// idleSeriesBudget is what an idle container may cost, every collector
// included (issue 15: 1 000 nodes of 100 pods must not cost millions of
// series before an event): identity, posture, its entrypoint's exec, and
// the resources collector's CPU, memory, memory peak, tasks and forks by
// kind (runc's own setup forks and starts threads in the container's
// cgroup). Counters of what an idle container never does appear at their
// first event.
const idleSeriesBudget = 10

// containerSeries collects the series carrying a container's id, by metric,
// each named by its labels.
func containerSeries(m exporter.Metrics, id string, into map[string]map[string]bool) {
	for name := range m {
		for _, s := range m.Series(name, map[string]string{"container_id": id}) {
			if into[name] == nil {
				into[name] = map[string]bool{}
			}
			// Labels only: the value changes between scrapes.
			var key strings.Builder
			for _, l := range s.GetLabel() {
				key.WriteString(l.GetName() + "=" + l.GetValue() + ",")
			}
			into[name][key.String()] = true
		}
	}
}

func seriesCount(by map[string]map[string]bool) int {
	n := 0
	for _, series := range by {
		n += len(series)
	}
	return n
}

func describe(by map[string]map[string]bool) string {
	var parts []string
	for name, series := range by {
		parts = append(parts, name+"="+strings.Repeat("|", len(series)))
	}
	sort.Strings(parts)
	return strings.Join(parts, " ")
}

// An idle container (its init process, nothing else) costs at most
// idleSeriesBudget series, counted over every collector; a busy one
// (shells, tools, file writes) more, and one with limits one series more
// per limit, reported.
func TestSeriesPerContainer(t *testing.T) {
	t.Parallel()
	// Every collector, so that none can be left out of the count.
	var args []string
	for _, name := range collector.Names() {
		args = append(args, "--collector."+name)
	}
	e := exporter.Start(t, args...)
	idle := runc.Start(t, runc.Options{})
	limited := runc.Start(t, runc.Options{Limits: runc.Limits{MemoryBytes: 64 << 20, Pids: 64, CPUQuota: 50000, CPUPeriod: 100000}})
	busy := runc.Start(t, runc.Options{})
	for _, cmd := range [][]string{
		{"sh", "-c", "echo hi > /tmp/x; cat /etc/passwd > /dev/null; ls / > /dev/null"},
		{"wget", "-q", "-T", "1", "-O", "/dev/null", "http://127.0.0.1:1/"},
		{"sh", "-c", "id; ps; env > /dev/null; chmod 600 /tmp/x"},
	} {
		busy.Exec(t, cmd...)
	}
	// Series are collected over several scrapes once the containers are
	// listed, so that one appearing late (a runtime write counted after the
	// start, a counter's first event) is not missed: each container's count
	// is every series that carried its id in any of them.
	byContainer := map[string]map[string]map[string]bool{idle.Name(): {}, limited.Name(): {}, busy.Name(): {}}
	listed := func() bool {
		for _, by := range byContainer {
			if len(by["rtsec_container_info"]) == 0 || len(by["rtsec_container_posture_info"]) == 0 || len(by["rtsec_process_execs_total"]) == 0 {
				return false
			}
		}
		return true
	}
	var settledAt time.Time
	deadline := time.Now().Add(20 * time.Second)
	for {
		m := e.Scrape(t)
		for _, name := range collector.Names() {
			if v, ok := m.Value(t, "rtsec_scrape_collector_success", map[string]string{"collector": name}); !ok || v != 1 {
				t.Fatalf("collector %s: rtsec_scrape_collector_success %v (reported %v): its series would be missing from the count", name, v, ok)
			}
		}
		for id, by := range byContainer {
			containerSeries(m, id, by)
		}
		if settledAt.IsZero() && listed() {
			settledAt = time.Now()
		}
		if !settledAt.IsZero() && time.Since(settledAt) > 5*time.Second || time.Now().After(deadline) {
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
	if settledAt.IsZero() {
		t.Fatalf("the containers are not all listed with their info, posture and init exec: idle %s; limited %s; busy %s",
			describe(byContainer[idle.Name()]), describe(byContainer[limited.Name()]), describe(byContainer[busy.Name()]))
	}
	idleBy, limitedBy, busyBy := byContainer[idle.Name()], byContainer[limited.Name()], byContainer[busy.Name()]
	idleN, limitedN, busyN := seriesCount(idleBy), seriesCount(limitedBy), seriesCount(busyBy)
	t.Logf("idle container: %d series: %s", idleN, describe(idleBy))
	t.Logf("idle container with memory, pids and CPU limits: %d series: %s", limitedN, describe(limitedBy))
	t.Logf("busy container: %d series: %s", busyN, describe(busyBy))
	if idleN > idleSeriesBudget {
		t.Errorf("an idle container costs %d series, want at most %d: %s", idleN, idleSeriesBudget, describe(idleBy))
	}
	// Each limit is one gauge, and a CPU quota counts its enforcement
	// periods once the container ran under it.
	if limitedN > idleN+4 {
		t.Errorf("an idle container with three limits costs %d series, more than the idle one's %d plus 4: %s", limitedN, idleN, describe(limitedBy))
	}
	if busyN <= idleN {
		t.Errorf("the busy container costs %d series, no more than the idle one's %d: its activity is not counted", busyN, idleN)
	}
}
