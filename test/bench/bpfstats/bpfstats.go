// Package bpfstats sets up what the overhead benchmarks need to load and
// attach BPF programs and read their own run time: no memlock limit,
// tracefs mounted (syscall tracepoints are attached by its ids), and the
// kernel's run-time statistics, which give the programs' time per run, a
// figure the noise of the measured loops cannot blur.
package bpfstats

import (
	"fmt"
	"io"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/rlimit"
	"golang.org/x/sys/unix"

	"github.com/rtsec/rtsec/exporter/preflight"
)

// Enable turns the statistics on until the returned Closer is closed.
func Enable() (io.Closer, error) {
	if err := rlimit.RemoveMemlock(); err != nil {
		return nil, err
	}
	if err := preflight.EnsureTracefs(); err != nil {
		return nil, err
	}
	stats, err := ebpf.EnableStats(uint32(unix.BPF_STATS_RUN_TIME))
	if err != nil {
		return nil, fmt.Errorf("enable BPF statistics: %w", err)
	}
	return stats, nil
}

// MeanRun returns program p's mean run time in nanoseconds from the kernel's
// statistics; name says which program an error is about.
func MeanRun(name string, p *ebpf.Program) (float64, error) {
	st, err := p.Stats()
	if err != nil {
		return 0, fmt.Errorf("%s statistics: %w", name, err)
	}
	if st.RunCount == 0 {
		return 0, fmt.Errorf("%s never ran: its hook is not attached", name)
	}
	return float64(st.Runtime.Nanoseconds()) / float64(st.RunCount), nil
}
