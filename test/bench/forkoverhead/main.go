// Command forkoverhead measures what rtsec's fork and exit hooks
// (resources.bpf.c on tp_btf/sched_process_fork and sched_process_exit, and
// the exits of clone, clone3, fork and vfork) cost a process that forks
// children which exit at once: rounds with nothing attached, with an empty
// program on the same hooks, and with
// rtsec's programs are interleaved, and the median ratios are printed. The
// loop is a busybox shell running `( : )` (a fork and an exit, no exec).
// Run as root; figures, not assertions (the machine is shared).
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"time"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
	"github.com/cilium/ebpf/link"

	"github.com/rtsec/rtsec/bpf"
	"github.com/rtsec/rtsec/exporter/bpfprog"
	"github.com/rtsec/rtsec/test/bench/bpfstats"
	"github.com/rtsec/rtsec/test/bench/interleave"
	"github.com/rtsec/rtsec/test/rootfs"
)

// hooks are the tp_btf tracepoints a fork and an exit run; syscallExits
// the syscall tracepoints of the fork family (refused forks).
var (
	hooks        = []string{"sched_process_fork", "sched_process_exit"}
	syscallExits = []string{"sys_exit_clone", "sys_exit_clone3", "sys_exit_fork", "sys_exit_vfork"}
)

func main() {
	rounds := flag.Int("rounds", 7, "interleaved rounds (≥ 5)")
	forks := flag.Int("forks", 2000, "fork+exit per round")
	flag.Parse()
	if err := run(*rounds, *forks); err != nil {
		fmt.Fprintln(os.Stderr, "forkoverhead:", err)
		os.Exit(1)
	}
}

// cloneExitNs is handle_clone_exit's mean run time in the last rtsec round.
var cloneExitNs float64

func run(rounds, forks int) error {
	if _, err := os.Stat(rootfs.BusyboxPath); err != nil {
		return fmt.Errorf("needs %s (busybox-static): %w", rootfs.BusyboxPath, err)
	}
	stats, err := bpfstats.Enable()
	if err != nil {
		return err
	}
	defer stats.Close()
	loop := func() (time.Duration, error) { return forkLoop(forks) }
	r, err := interleave.Run(rounds, loop, withEmpty, withRtsec)
	if err != nil {
		return err
	}
	empty, rtsec := r.Ratio(0), r.Ratio(1)
	fmt.Printf("fork overhead: %d rounds × %d fork+exit (busybox sh \"( : )\")\n", rounds, forks)
	fmt.Printf("  per fork+exit, nothing attached: median %.1f µs\n", r.BaseNs(forks).Median()/1e3)
	fmt.Printf("  ratio empty program/nothing:     median %.3f× (min %.3f, max %.3f)\n", empty.Median(), empty.Min(), empty.Max())
	fmt.Printf("  ratio rtsec/nothing:             median %.3f× (min %.3f, max %.3f)\n", rtsec.Median(), rtsec.Min(), rtsec.Max())
	fmt.Printf("  added by rtsec per fork+exit:    median %.2f µs (wall clock, noisy)\n", r.AddedNs(1, forks).Median()/1e3)
	fmt.Printf("  run time per run (kernel BPF statistics): empty program %.0f ns, rtsec handle_fork %.0f ns\n", r.Figure(0).Median(), r.Figure(1).Median())
	fmt.Printf("  (the exit of clone, counting refused forks: %.0f ns a run in the last round)\n", cloneExitNs)
	return nil
}

// forkLoop times a shell that forks n subshells, each exiting at once.
func forkLoop(n int) (time.Duration, error) {
	script := fmt.Sprintf("i=0; while [ $i -lt %d ]; do ( : ); i=$((i+1)); done", n)
	begin := time.Now()
	if out, err := exec.Command(rootfs.BusyboxPath, "sh", "-c", script).CombinedOutput(); err != nil {
		return 0, fmt.Errorf("fork loop: %w: %s", err, out)
	}
	return time.Since(begin), nil
}

// withEmpty runs f with a program that returns at once on both hooks: the
// floor of any program there. It returns the program's mean run time.
func withEmpty(f interleave.Loop) (time.Duration, float64, error) {
	var progs []*ebpf.Program
	defer func() {
		for _, p := range progs {
			p.Close()
		}
	}()
	for _, hook := range hooks {
		prog, err := ebpf.NewProgram(&ebpf.ProgramSpec{
			Type:         ebpf.Tracing,
			AttachType:   ebpf.AttachTraceRawTp,
			AttachTo:     hook,
			License:      "GPL",
			Instructions: asm.Instructions{asm.Mov.Imm(asm.R0, 0), asm.Return()},
		})
		if err != nil {
			return 0, 0, fmt.Errorf("load empty program on %s: %w", hook, err)
		}
		progs = append(progs, prog)
		l, err := link.AttachTracing(link.TracingOptions{Program: prog})
		if err != nil {
			return 0, 0, fmt.Errorf("attach empty program to %s: %w", hook, err)
		}
		defer l.Close()
	}
	for _, tp := range syscallExits {
		prog, err := ebpf.NewProgram(&ebpf.ProgramSpec{
			Type:         ebpf.TracePoint,
			License:      "GPL",
			Instructions: asm.Instructions{asm.Mov.Imm(asm.R0, 0), asm.Return()},
		})
		if err != nil {
			return 0, 0, fmt.Errorf("load empty program on %s: %w", tp, err)
		}
		progs = append(progs, prog)
		l, err := link.Tracepoint("syscalls", tp, prog, nil)
		if err != nil {
			return 0, 0, fmt.Errorf("attach empty program to %s: %w", tp, err)
		}
		defer l.Close()
	}
	d, err := f()
	if err != nil {
		return 0, 0, err
	}
	mean, err := bpfstats.MeanRun("empty program", progs[0])
	return d, mean, err
}

// withRtsec runs f with the resources object attached, as the exporter
// loads it, and returns handle_fork's mean run time.
func withRtsec(f interleave.Loop) (time.Duration, float64, error) {
	set := bpfprog.NewSet()
	defer set.Close()
	spec, err := bpf.LoadResources()
	if err != nil {
		return 0, 0, err
	}
	var objs bpf.ResourcesMaps
	if err := set.Load(spec, &objs); err != nil {
		return 0, 0, err
	}
	d, err := f()
	if err != nil {
		return 0, 0, err
	}
	mean, err := bpfstats.MeanRun("handle_fork", set.Programs()["handle_fork"])
	if err != nil {
		return 0, 0, err
	}
	cloneExitNs, err = bpfstats.MeanRun("handle_clone_exit", set.Programs()["handle_clone_exit"])
	return d, mean, err
}
