package scrape

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/rtsec/rtsec/test/exporter"
	"github.com/rtsec/rtsec/test/load"
)

// stormRate is the counted events per second the storm aims at.
const stormRate = 100_000

// stormFile is a sensitive file (class shadow): each open of it is counted
// in rtsec_file_sensitive_reads_total.
const stormFile = "/etc/shadow"

// unshareEvery: one storm event in so many is an unshare(CLONE_NEWUTS),
// counted in rtsec_sensitive_syscalls_total and sent to the event log,
// which the storm keeps at its rate limit.
const unshareEvery = 10

// BenchmarkStormCPU measures the exporter's own CPU between scrapes while
// the node makes 100 000 counted events per second: the real exporter
// binary with its default flags, a container running a loop per CPU that
// opens /etc/shadow (a sensitive read, counted in the kernel) and, one
// time in 10, calls unshare (a sensitive syscall, counted and sent to the
// event log, which stays at its rate limit), no scrape in between. It
// reports the exporter's user+system CPU (/proc/PID/stat) as a percentage
// of one core, the events the kernel counted per second (from the
// counters, scraped before and after) and the event log's lines. RTSEC_STORM_SECONDS sets the storm's
// length (default 20). Run it with -benchtime 1x.
func BenchmarkStormCPU(b *testing.B) {
	seconds := 20
	if s := os.Getenv("RTSEC_STORM_SECONDS"); s != "" {
		var err error
		if seconds, err = strconv.Atoi(s); err != nil || seconds < 1 {
			b.Fatalf("RTSEC_STORM_SECONDS=%q: want a number of seconds", s)
		}
	}
	e := exporter.Start(b)
	// The storm runs in a container: a sensitive read there is an event
	// for the event log as well as a count.
	cs := load.StartContainers(b, fmt.Sprintf("rtsec-bench-storm-%d", os.Getpid()), 0)
	const reads, syscalls = "rtsec_file_sensitive_reads_total", "rtsec_sensitive_syscalls_total"
	for b.Loop() {
		// Let the start's work (BPF loads, first resolutions) settle.
		time.Sleep(2 * time.Second)
		m := e.Scrape(b)
		before := m.Sum(reads, map[string]string{"file_class": "shadow"}) + m.Sum(syscalls, map[string]string{"syscall": "unshare"})
		logged, lost := m.Sum("rtsec_events_total", nil), m.Sum("rtsec_events_lost_total", nil)
		cpu0 := processCPU(b, e.PID())
		start := time.Now()
		opened := stormIn(b, cs, time.Duration(seconds)*time.Second)
		took := time.Since(start)
		cpu := processCPU(b, e.PID()) - cpu0
		m = e.Scrape(b)
		counted := m.Sum(reads, map[string]string{"file_class": "shadow"}) + m.Sum(syscalls, map[string]string{"syscall": "unshare"}) - before
		logged, lost = m.Sum("rtsec_events_total", nil)-logged, m.Sum("rtsec_events_lost_total", nil)-lost
		b.ReportMetric(float64(opened)/took.Seconds(), "storm-events/s")
		b.ReportMetric(counted/took.Seconds(), "counted-events/s")
		b.ReportMetric(logged/took.Seconds(), "logged-events/s")
		b.ReportMetric(100*cpu.Seconds()/took.Seconds(), "exporter-cpu-%")
		b.Logf("%d opens and unshares in %v, %.0f counted; event log: %.0f events written, %.0f lost to its rate limits; exporter CPU %v (%.2f%% of a core)",
			opened, took.Round(time.Millisecond), counted, logged, lost, cpu, 100*cpu.Seconds()/took.Seconds())
	}
}

// stormChild names the environment variable that makes the test binary a
// storm of that many seconds (TestMain), run in a container by stormIn.
const stormChild = "RTSEC_STORM_CHILD_SECONDS"

func TestMain(m *testing.M) {
	if s := os.Getenv(stormChild); s != "" {
		seconds, err := strconv.Atoi(s)
		if err != nil {
			fmt.Fprintf(os.Stderr, "%s=%q: %v\n", stormChild, s, err)
			os.Exit(2)
		}
		n, err := storm(time.Duration(seconds) * time.Second)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		fmt.Println(n)
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// stormIn runs the storm for d in a new container of cs (this test binary
// again, as stormChild) and returns how many opens it made.
func stormIn(b *testing.B, cs *load.Containers, d time.Duration) int {
	id := cs.Start(b)
	fd, err := syscall.Open(cs.Dir(id), syscall.O_DIRECTORY|syscall.O_RDONLY, 0)
	if err != nil {
		b.Fatal(err)
	}
	defer syscall.Close(fd)
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%d", stormChild, int(d.Seconds())))
	cmd.SysProcAttr = &syscall.SysProcAttr{UseCgroupFD: true, CgroupFD: fd}
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		b.Fatalf("storm in container %s: %v", id, err)
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(out)))
	if err != nil {
		b.Fatalf("storm printed %q: %v", out, err)
	}
	return n
}

// storm makes stormRate events a second for d (opens of stormFile, one in
// unshareEvery an unshare), on a thread per CPU, and returns how many.
func storm(d time.Duration) (int, error) {
	workers := runtime.NumCPU()
	type result struct {
		n   int
		err error
	}
	done := make(chan result)
	for range workers {
		go func() {
			n, err := stormWorker(d, stormRate/workers)
			done <- result{n, err}
		}()
	}
	n := 0
	var errs []error
	for range workers {
		r := <-done
		n += r.n
		errs = append(errs, r.err)
	}
	return n, errors.Join(errs...)
}

// stormWorker makes rate storm events a second for d, on its own thread.
func stormWorker(d time.Duration, rate int) (int, error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	start := time.Now()
	n := 0
	for {
		elapsed := time.Since(start)
		if elapsed >= d {
			return n, nil
		}
		// Catch up to the rate, in slices of at most 1 ms of events.
		due := min(int(elapsed.Seconds()*float64(rate)), n+rate/1000)
		if n >= due {
			time.Sleep(200 * time.Microsecond)
			continue
		}
		for ; n < due; n++ {
			if n%unshareEvery == 0 {
				if err := unix.Unshare(unix.CLONE_NEWUTS); err != nil {
					return n, fmt.Errorf("unshare: %w", err)
				}
				continue
			}
			fd, err := syscall.Open(stormFile, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
			if err != nil {
				return n, fmt.Errorf("open %s: %w", stormFile, err)
			}
			syscall.Close(fd)
		}
	}
}

// processCPU returns the user and system CPU time pid has used, from
// /proc/PID/stat.
func processCPU(b *testing.B, pid int) time.Duration {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		b.Fatal(err)
	}
	// The command name, in parentheses, may hold spaces: fields follow it.
	_, rest, ok := strings.Cut(string(data), ") ")
	f := strings.Fields(rest)
	if !ok || len(f) < 13 {
		b.Fatalf("/proc/%d/stat: %q", pid, data)
	}
	var ticks int64
	for _, s := range f[11:13] { // utime, stime: fields 14 and 15
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			b.Fatalf("/proc/%d/stat: %v", pid, err)
		}
		ticks += v
	}
	return time.Duration(ticks) * time.Second / clockTicks
}

// clockTicks is USER_HZ, the unit of /proc/PID/stat's times: 100 on Linux.
const clockTicks = 100
