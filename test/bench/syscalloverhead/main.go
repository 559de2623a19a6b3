// Command syscalloverhead measures what rtsec's syscall hooks cost: a loop
// of one syscall, timed with nothing attached and with the process object
// attached (as the exporter loads it, event log on), interleaved rounds,
// median ratio. It times a hooked sensitive syscall (unshare with no flags,
// a no-op), a hooked set*id call (setresuid(-1, -1, -1), enter and exit
// hooks) and an unhooked one (getppid), which must cost nothing: rtsec
// attaches to these syscalls' own tracepoints, never to every syscall. Run
// as root; figures, not assertions (the machine is shared).
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"time"

	"golang.org/x/sys/unix"

	"github.com/rtsec/rtsec/bpf"
	"github.com/rtsec/rtsec/exporter/bpfprog"
	"github.com/rtsec/rtsec/test/bench/bpfstats"
	"github.com/rtsec/rtsec/test/bench/interleave"
)

// calls are the timed syscalls and the programs that run on each.
var calls = []struct {
	name  string
	do    func() unix.Errno
	progs []string
}{
	{"unshare(0) [hooked: sys_exit]", func() unix.Errno {
		_, _, e := unix.RawSyscall(unix.SYS_UNSHARE, 0, 0, 0)
		return e
	}, []string{"unshare_exit"}},
	{"setresuid(-1,-1,-1) [hooked: enter+exit]", func() unix.Errno {
		keep := ^uintptr(0)
		_, _, e := unix.RawSyscall(unix.SYS_SETRESUID, keep, keep, keep)
		return e
	}, []string{"setresuid_enter", "setresuid_exit"}},
	{"getppid [not hooked]", func() unix.Errno {
		_, _, e := unix.RawSyscall(unix.SYS_GETPPID, 0, 0, 0)
		return e
	}, nil},
}

func main() {
	rounds := flag.Int("rounds", 7, "interleaved baseline/attached rounds (≥ 5)")
	n := flag.Int("calls", 200000, "syscalls per round")
	flag.Parse()
	if err := run(*rounds, *n); err != nil {
		fmt.Fprintln(os.Stderr, "syscalloverhead:", err)
		os.Exit(1)
	}
}

func run(rounds, n int) error {
	stats, err := bpfstats.Enable()
	if err != nil {
		return err
	}
	defer stats.Close()
	runtime.LockOSThread()
	fmt.Printf("syscall overhead: %d rounds × %d calls, median per call\n", rounds, n)
	for _, c := range calls {
		r, err := interleave.Run(rounds, func() (time.Duration, error) { return loop(c.do, n) }, withPrograms(c.progs))
		if err != nil {
			return fmt.Errorf("%s: %w", c.name, err)
		}
		ratio := r.Ratio(0)
		fmt.Printf("  %-42s nothing %6.0f ns, attached %6.0f ns, ratio %.3f× (min %.3f, max %.3f)",
			c.name, r.BaseNs(n).Median(), r.AttachedNs(0, n).Median(), ratio.Median(), ratio.Min(), ratio.Max())
		if len(c.progs) > 0 {
			fmt.Printf(", programs %.0f ns a call", r.Figure(0).Median())
		}
		fmt.Println()
	}
	return nil
}

// withPrograms runs f with the process object attached, event log on at
// the exporter's default rate limit (nobody reads it: past the limit and a
// full ring buffer, events are dropped and counted, the cheap path). Its
// figure is the mean run time of progs summed (kernel BPF statistics):
// what the hooked call pays inside the programs.
func withPrograms(progs []string) interleave.Attachment {
	return func(f interleave.Loop) (time.Duration, float64, error) { return attached(f, progs) }
}

func attached(f interleave.Loop, progs []string) (time.Duration, float64, error) {
	set := bpfprog.NewSet()
	defer set.Close()
	spec, err := bpf.LoadProcess()
	if err != nil {
		return 0, 0, err
	}
	// The exporter's default rate limits.
	for name, v := range map[string]uint32{"events_per_cpu_second": 50, "events_per_cgroup_second": 20} {
		if err := spec.Variables[name].Set(v); err != nil {
			return 0, 0, err
		}
	}
	if _, err := bpfprog.DropMissingTracepoints(spec); err != nil {
		return 0, 0, err
	}
	var objs bpf.ProcessMaps
	if err := set.Load(spec, &objs); err != nil {
		return 0, 0, err
	}
	d, err := f()
	if err != nil {
		return 0, 0, err
	}
	var ns float64
	for _, name := range progs {
		mean, err := bpfstats.MeanRun(name, set.Programs()[name])
		if err != nil {
			return 0, 0, err
		}
		ns += mean
	}
	return d, ns, nil
}

func loop(do func() unix.Errno, n int) (time.Duration, error) {
	begin := time.Now()
	for range n {
		if e := do(); e != 0 {
			return 0, e
		}
	}
	return time.Since(begin), nil
}
