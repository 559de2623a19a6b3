package scrape

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rtsec/rtsec/test/exporter"
)

// stormRate is the counted events per second the storm aims at.
const stormRate = 100_000

// stormFile is a sensitive file (class shadow): each open of it is counted
// in rtsec_file_sensitive_reads_total and offered to the event log, which
// the storm keeps at its rate limit.
const stormFile = "/etc/shadow"

// BenchmarkStormCPU measures the exporter's own CPU between scrapes while
// the node makes 100 000 counted events per second: the real exporter
// binary with its default flags, a loop opening /etc/shadow at that rate
// (each open a sensitive read counted in the kernel, and an event for the
// event log, which stays at its rate limit), no scrape in between. It
// reports the exporter's user+system CPU (/proc/PID/stat) as a percentage
// of one core, and the events the kernel counted per second (from the
// counter, scraped before and after). RTSEC_STORM_SECONDS sets the storm's
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
	const reads = "rtsec_file_sensitive_reads_total"
	for b.Loop() {
		// Let the start's work (BPF loads, first resolutions) settle.
		time.Sleep(2 * time.Second)
		before := e.Scrape(b).Sum(reads, map[string]string{"file_class": "shadow"})
		cpu0 := processCPU(b, e.PID())
		start := time.Now()
		opened := storm(b, time.Duration(seconds)*time.Second)
		took := time.Since(start)
		cpu := processCPU(b, e.PID()) - cpu0
		counted := e.Scrape(b).Sum(reads, map[string]string{"file_class": "shadow"}) - before
		b.ReportMetric(float64(opened)/took.Seconds(), "opens/s")
		b.ReportMetric(counted/took.Seconds(), "counted-events/s")
		b.ReportMetric(100*cpu.Seconds()/took.Seconds(), "exporter-cpu-%")
		b.Logf("%d opens in %v, %.0f counted; exporter CPU %v (%.2f%% of a core)", opened, took.Round(time.Millisecond), counted, cpu, 100*cpu.Seconds()/took.Seconds())
	}
}

// storm opens and closes stormFile stormRate times a second for d, on one
// thread, and returns how many opens it made.
func storm(b *testing.B, d time.Duration) int {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	start := time.Now()
	n := 0
	for {
		elapsed := time.Since(start)
		if elapsed >= d {
			return n
		}
		// Catch up to the rate, in slices of at most 1 ms of events.
		due := min(int(elapsed.Seconds()*stormRate), n+stormRate/1000)
		if n >= due {
			time.Sleep(200 * time.Microsecond)
			continue
		}
		for ; n < due; n++ {
			fd, err := syscall.Open(stormFile, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
			if err != nil {
				b.Fatalf("open %s: %v", stormFile, err)
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
