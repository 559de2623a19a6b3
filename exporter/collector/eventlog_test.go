package collector

import (
	"log/slog"
	"testing"
	"time"

	"github.com/rtsec/rtsec/bpf/enums"
	"github.com/rtsec/rtsec/exporter/bpfprog/bpfprogtest"
)

// The events written by type and the events lost by cause, every value
// of both present from the start.
func TestEventLogGolden(t *testing.T) {
	n := newNode(t, time.Hour, nil, nil)
	e := newEventLog(slog.New(slog.DiscardHandler), n.resolver)
	// What load takes from the first object loaded.
	e.counts = bpfprogtest.PerCPUArray(uint32(len(enums.EventNames)+1), map[uint32]uint64{
		enums.EventPrivilegeChange: 4, uint32(len(enums.EventNames)): 2,
	})
	e.stats = bpfprogtest.PerCPUArray(enums.EventStats, map[uint32]uint64{
		enums.EventStatRateLimited: 7, enums.EventStatCgroupLimited: 3, enums.EventStatRingbufFull: 1,
	})
	assertGolden(t, &scrape{c: e}, "eventlog")
}
