// Command fileoverhead measures what rtsec's file programs cost the hot
// path: an openat+close loop on a path no class covers, and an
// open(O_WRONLY)+write+close loop on a watched path (below /etc). Rounds
// with nothing attached, with an empty program on the same tracepoints and
// with rtsec's programs are interleaved; median ratios to nothing attached
// are printed. Run as root; figures, not assertions (the machine is shared).
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
	"github.com/cilium/ebpf/link"
	"golang.org/x/sys/unix"

	"github.com/rtsec/rtsec/bpf"
	"github.com/rtsec/rtsec/exporter/bpfprog"
	"github.com/rtsec/rtsec/exporter/fileclass"
	"github.com/rtsec/rtsec/test/bench/bpfstats"
	"github.com/rtsec/rtsec/test/bench/interleave"
)

func main() {
	rounds := flag.Int("rounds", 7, "interleaved rounds (≥ 5)")
	ops := flag.Int("ops", 200000, "loop iterations per round")
	flag.Parse()
	if err := run(*rounds, *ops); err != nil {
		fmt.Fprintln(os.Stderr, "fileoverhead:", err)
		os.Exit(1)
	}
}

// workload is one measured loop.
type workload struct {
	name string
	loop func(n int) error
}

func run(rounds, ops int) error {
	stats, err := bpfstats.Enable()
	if err != nil {
		return err
	}
	defer stats.Close()
	dir, err := os.MkdirTemp("", "rtsec-fileoverhead-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	plain := filepath.Join(dir, "plain")
	watched := fmt.Sprintf("/etc/rtsec-fileoverhead-%d", os.Getpid())
	for _, p := range []string{plain, watched} {
		if err := os.WriteFile(p, nil, 0o600); err != nil {
			return err
		}
	}
	defer os.Remove(watched)
	workloads := []workload{
		{"openat+close, non-watched path (hot path)", func(n int) error { return openLoop(plain, n) }},
		{"open(O_WRONLY)+write+close, watched path below /etc", func(n int) error { return writeLoop(watched, n) }},
	}
	sections, err := fileSections()
	if err != nil {
		return err
	}
	fmt.Printf("file overhead: %d interleaved rounds × %d iterations; ratios to nothing attached, median (min–max)\n", rounds, ops)
	for _, w := range workloads {
		r, err := interleave.Run(rounds, func() (time.Duration, error) { return timed(w.loop, ops) },
			func(f interleave.Loop) (time.Duration, float64, error) { return withEmpty(sections, f) },
			withRtsec)
		if err != nil {
			return err
		}
		empty, rtsec := r.Ratio(0), r.Ratio(1)
		fmt.Printf("%s:\n", w.name)
		fmt.Printf("  nothing attached:      median %.0f ns per iteration\n", r.BaseNs(ops).Median())
		fmt.Printf("  empty program:         %.3f× (%.3f–%.3f)\n", empty.Median(), empty.Min(), empty.Max())
		fmt.Printf("  rtsec file programs:   %.3f× (%.3f–%.3f)\n", rtsec.Median(), rtsec.Min(), rtsec.Max())
		fmt.Printf("  run time per run (kernel BPF statistics): empty program %.0f ns (all its hooks), rtsec file_exit_openat %.0f ns\n", r.Figure(0).Median(), r.Figure(1).Median())
	}
	return nil
}

// fileSections lists the tracepoints rtsec's file programs attach to.
func fileSections() ([]string, error) {
	spec, err := bpf.LoadFiles()
	if err != nil {
		return nil, err
	}
	var out []string
	for _, p := range spec.Programs {
		out = append(out, p.SectionName)
	}
	slices.Sort(out)
	return out, nil
}

// withEmpty runs f with a program that returns at once attached to every
// tracepoint rtsec's file programs use: the floor of any tracepoint hook.
// It returns the program's mean run time, the floor of the statistics.
func withEmpty(sections []string, f interleave.Loop) (time.Duration, float64, error) {
	prog, err := ebpf.NewProgram(&ebpf.ProgramSpec{
		Type:         ebpf.TracePoint,
		License:      "GPL",
		Instructions: asm.Instructions{asm.Mov.Imm(asm.R0, 0), asm.Return()},
	})
	if err != nil {
		return 0, 0, fmt.Errorf("load empty program: %w", err)
	}
	defer prog.Close()
	for _, s := range sections {
		_, hook, _ := strings.Cut(s, "/")
		group, name, _ := strings.Cut(hook, "/")
		l, err := link.Tracepoint(group, name, prog, nil)
		if err != nil {
			return 0, 0, fmt.Errorf("attach empty program to %s: %w", s, err)
		}
		defer l.Close()
	}
	d, err := f()
	if err != nil {
		return 0, 0, err
	}
	mean, err := bpfstats.MeanRun("empty program", prog)
	return d, mean, err
}

// withRtsec runs f with rtsec's file programs attached and the built-in
// class table loaded, as the exporter does, and returns the open-exit
// program's mean run time.
func withRtsec(f interleave.Loop) (time.Duration, float64, error) {
	set := bpfprog.NewSet()
	defer set.Close()
	spec, err := bpf.LoadFiles()
	if err != nil {
		return 0, 0, err
	}
	var objs bpf.FilesObjects
	if err := set.Load(spec, &objs); err != nil {
		return 0, 0, err
	}
	table, err := fileclass.Load("")
	if err != nil {
		return 0, 0, err
	}
	if err := table.Fill(objs.FileClasses, objs.ReadGate, objs.GateFilter); err != nil {
		return 0, 0, err
	}
	d, err := f()
	if err != nil {
		return 0, 0, err
	}
	mean, err := bpfstats.MeanRun("file_exit_openat", objs.FileExitOpenat)
	return d, mean, err
}

func openLoop(path string, n int) error {
	for range n {
		fd, err := unix.Openat(unix.AT_FDCWD, path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			return err
		}
		unix.Close(fd)
	}
	return nil
}

func writeLoop(path string, n int) error {
	b := []byte{'x'}
	for range n {
		fd, err := unix.Openat(unix.AT_FDCWD, path, unix.O_WRONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			return err
		}
		if _, err := unix.Pwrite(fd, b, 0); err != nil {
			unix.Close(fd)
			return err
		}
		unix.Close(fd)
	}
	return nil
}

func timed(loop func(int) error, n int) (time.Duration, error) {
	begin := time.Now()
	err := loop(n)
	return time.Since(begin), err
}
