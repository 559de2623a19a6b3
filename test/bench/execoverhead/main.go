// Command execoverhead measures what rtsec's exec counting costs a process
// that fork+execs /bin/true in a loop: rounds with nothing attached and
// rounds with the programs attached are interleaved, and the median ratio
// is printed. Run as root; figures, not assertions (the machine is shared).
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/cilium/ebpf"
	"golang.org/x/sys/unix"

	"github.com/rtsec/rtsec/bpf"
	"github.com/rtsec/rtsec/exporter/bpfprog"
	"github.com/rtsec/rtsec/test/bench/bpfstats"
	"github.com/rtsec/rtsec/test/bench/interleave"
)

func main() {
	rounds := flag.Int("rounds", 7, "interleaved baseline/attached rounds (≥ 5)")
	execs := flag.Int("execs", 1000, "fork+exec of /bin/true per round")
	flag.BoolVar(&enforcing, "enforce", false, "load the programs with enforcement on and a kill policy (memfd, stdio_socket) for this process's cgroup, as --enforce.policy-file does: /bin/true is an allowed binary under it")
	flag.Parse()
	if err := run(*rounds, *execs); err != nil {
		fmt.Fprintln(os.Stderr, "execoverhead:", err)
		os.Exit(1)
	}
}

// enforcing loads the programs as with an enforcement policy.
var enforcing bool

func run(rounds, execs int) error {
	stats, err := bpfstats.Enable()
	if err != nil {
		return err
	}
	defer stats.Close()
	r, err := interleave.Run(rounds, func() (time.Duration, error) { return loop(execs) }, withPrograms)
	if err != nil {
		return err
	}
	ratio := r.Ratio(0)
	fmt.Printf("exec overhead: %d rounds × %d fork+exec of /bin/true (enforcement policy loaded: %v)\n", rounds, execs, enforcing)
	fmt.Printf("  per exec, nothing attached: median %.1f µs\n", r.BaseNs(execs).Median()/1e3)
	fmt.Printf("  per exec, added by rtsec:   median %.2f µs (wall clock, noisy)\n", r.AddedNs(0, execs).Median()/1e3)
	fmt.Printf("  handle_exec run time:       median %.0f ns per run (kernel BPF statistics)\n", r.Figure(0).Median())
	fmt.Printf("  ratio attached/nothing:     median %.3f× (min %.3f, max %.3f)\n", ratio.Median(), ratio.Min(), ratio.Max())
	return nil
}

// withPrograms runs f with the process object's programs attached (exec
// counting and classification, and the syscall hooks), as the exporter
// loads them with the event log off, and returns handle_exec's mean time
// per run.
func withPrograms(f interleave.Loop) (time.Duration, float64, error) {
	set := bpfprog.NewSet()
	defer set.Close()
	spec, err := bpf.LoadProcess()
	if err != nil {
		return 0, 0, err
	}
	if _, err := bpfprog.DropMissingTracepoints(spec); err != nil {
		return 0, 0, err
	}
	if enforcing {
		if err := spec.Variables["enforce_enabled"].Set(uint8(1)); err != nil {
			return 0, 0, err
		}
	}
	var objs bpf.ProcessMaps
	if err := set.Load(spec, &objs); err != nil {
		return 0, 0, err
	}
	if enforcing {
		if err := killPolicy(objs.EnforceCgroups); err != nil {
			return 0, 0, err
		}
	}
	d, err := f()
	if err != nil {
		return 0, 0, err
	}
	mean, err := bpfstats.MeanRun("handle_exec", set.Programs()["handle_exec"])
	return d, mean, err
}

// killPolicy writes a kill of memfd and stdio_socket execs for this
// process's cgroup2 cgroup.
func killPolicy(m *ebpf.Map) error {
	data, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		return err
	}
	var path string
	for line := range strings.Lines(string(data)) {
		if p, ok := strings.CutPrefix(line, "0::"); ok {
			path = strings.TrimSpace(p)
		}
	}
	for _, root := range []string{"/sys/fs/cgroup/unified", "/sys/fs/cgroup"} {
		var st unix.Stat_t
		if unix.Stat(root+path, &st) == nil && path != "" {
			var a bpf.ProcessEnforceActions
			a.Kill[1] = 1<<0 | 1<<1 // suspicious_exec: stdio_socket, memfd
			return m.Put(st.Ino, a)
		}
	}
	return fmt.Errorf("no cgroup2 directory for %q", path)
}

func loop(n int) (time.Duration, error) {
	begin := time.Now()
	for range n {
		if err := exec.Command("/bin/true").Run(); err != nil {
			return 0, err
		}
	}
	return time.Since(begin), nil
}
