// Package bpfstats sets up what the overhead benchmarks need to load BPF
// programs and read their own run time: no memlock limit, and the kernel's
// run-time statistics, which give the programs' time per run, a figure the
// noise of the measured loops cannot blur.
package bpfstats

import (
	"fmt"
	"io"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/rlimit"
	"golang.org/x/sys/unix"
)

// Enable turns the statistics on until the returned Closer is closed.
func Enable() (io.Closer, error) {
	if err := rlimit.RemoveMemlock(); err != nil {
		return nil, err
	}
	stats, err := ebpf.EnableStats(uint32(unix.BPF_STATS_RUN_TIME))
	if err != nil {
		return nil, fmt.Errorf("enable BPF statistics: %w", err)
	}
	return stats, nil
}
