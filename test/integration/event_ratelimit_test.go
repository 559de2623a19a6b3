package integration

import (
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rtsec/rtsec/test/attack"
	"github.com/rtsec/rtsec/test/exporter"
	"github.com/rtsec/rtsec/test/runc"
)

// A container flooding events on every CPU spends its own budget, not the
// CPUs': another container's event still reaches the log, the flood's
// lines stay within its budget, and every call is still counted. Not
// parallel: other tests' events would share the CPUs' budget.
func TestEventRateLimitPerContainer(t *testing.T) {
	const perContainer, perCPU, seconds = 3, 8, 3
	e := exporter.Start(t, "--events.container-rate-limit="+strconv.Itoa(perContainer), "--events.rate-limit="+strconv.Itoa(perCPU))
	files := map[string][]byte{"bin/rtsec-attack": attack.Program(t)}
	flooder := runc.Start(t, runc.Options{Files: files})
	victim := runc.Start(t, runc.Options{Files: files})

	// One flooding process per CPU, so that without the container budget
	// every CPU's would be spent.
	var wg sync.WaitGroup
	calls := make([]int, runtime.NumCPU())
	for i := range calls {
		wg.Go(func() {
			out := flooder.MustExec(t, "/bin/rtsec-attack", "flood", strconv.Itoa(seconds))
			calls[i], _ = strconv.Atoi(strings.TrimSpace(out))
		})
	}
	time.Sleep(seconds * time.Second / 2)
	victim.MustExec(t, "/bin/rtsec-attack", "memfd", "/bin/true")
	wg.Wait()

	total := 0
	for _, n := range calls {
		total += n
	}
	if total < 1000 {
		t.Fatalf("the flood made %d calls, too few to test a rate limit", total)
	}
	assertEvent(t, e, func(l eventLine) bool {
		return l.ContainerID == victim.Name() && l.Type == "suspicious_exec"
	}, "the victim container's memfd exec, sent while another container flooded")

	flooded := 0
	for _, l := range eventLines(e.Output()) {
		if l.ContainerID == flooder.Name() && l.Syscall == "unshare" {
			flooded++
		}
	}
	// One window per second of flood, plus one partly covered; each may
	// overshoot by the CPUs racing on it.
	if most := (seconds + 1) * (perContainer + runtime.NumCPU()); flooded == 0 || flooded > most {
		t.Errorf("the flooding container has %d unshare event lines, want 1 to %d (--events.container-rate-limit=%d)", flooded, most, perContainer)
	}

	m := e.Scrape(t)
	counted, _ := m.Value(t, sensitive, map[string]string{"container_id": flooder.Name(), "syscall": "unshare", "result": "denied"})
	if int(counted) != total {
		t.Errorf("%s{unshare, denied} of the flooding container = %v, want every call (%d)", sensitive, counted, total)
	}
	lost, _ := m.Value(t, "rtsec_events_lost_total", map[string]string{"cause": "container_rate_limited"})
	if int(lost) < total-flooded {
		t.Errorf("rtsec_events_lost_total{cause=\"container_rate_limited\"} = %v, want at least the %d calls without a line", lost, total-flooded)
	}
}

// Twenty colluding containers flooding events spend more than every CPU's
// budget together, each within its own container budget; a quiet
// container's event still reaches the log, from the share of the CPUs'
// budget kept for containers that logged nothing in the last second. Not
// parallel: other tests' events would share the CPUs' budget.
func TestEventRateLimitFairness(t *testing.T) {
	const floods, seconds = 20, 4
	e := exporter.Start(t)
	files := map[string][]byte{"bin/rtsec-attack": attack.Program(t)}
	flooders := make([]*runc.Container, floods)
	for i := range flooders {
		flooders[i] = runc.Start(t, runc.Options{Files: files})
	}
	victim := runc.Start(t, runc.Options{Files: files})

	var wg sync.WaitGroup
	for _, f := range flooders {
		wg.Go(func() { f.MustExec(t, "/bin/rtsec-attack", "flood", strconv.Itoa(seconds)) })
	}
	time.Sleep(seconds * time.Second / 2)
	victim.MustExec(t, "/bin/rtsec-attack", "memfd", "/bin/true")
	wg.Wait()

	m := e.Scrape(t)
	if lost, _ := m.Value(t, "rtsec_events_lost_total", map[string]string{"cause": "rate_limited"}); lost == 0 {
		t.Fatalf("the floods never spent a CPU's budget (rtsec_events_lost_total{cause=\"rate_limited\"} = 0): the test shows nothing")
	}
	assertEvent(t, e, func(l eventLine) bool {
		return l.ContainerID == victim.Name() && l.Type == "suspicious_exec"
	}, "the quiet container's memfd exec, sent while 20 others flooded")
}
