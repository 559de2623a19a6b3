package bpfprog

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/cilium/ebpf"
)

// TracefsEvents is where the kernel lists its tracepoints.
const TracefsEvents = "/sys/kernel/tracing/events"

// DropMissingTracepoints removes from spec the programs whose
// tracepoint/GROUP/NAME does not exist in the running kernel (syscalls of
// features compiled out, such as init_module without CONFIG_MODULES), and
// returns their section names, sorted. Load such a spec into an object
// struct that does not name those programs (a bpf2go *Maps struct): the set
// keeps the programs objs does not take.
func DropMissingTracepoints(spec *ebpf.CollectionSpec) ([]string, error) {
	return dropMissing(spec, TracefsEvents)
}

func dropMissing(spec *ebpf.CollectionSpec, events string) ([]string, error) {
	var dropped []string
	for name, p := range spec.Programs {
		kind, hook, _ := strings.Cut(p.SectionName, "/")
		if kind != "tracepoint" && kind != "tp" {
			continue
		}
		_, err := os.Stat(filepath.Join(events, hook))
		if errors.Is(err, fs.ErrNotExist) {
			delete(spec.Programs, name)
			dropped = append(dropped, p.SectionName)
		} else if err != nil {
			return nil, err
		}
	}
	slices.Sort(dropped)
	return dropped, nil
}
