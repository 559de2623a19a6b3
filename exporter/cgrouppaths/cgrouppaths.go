// Package cgrouppaths records, in the kernel, the path of every cgroup v2
// directory created while rtsec runs, so that a container that lived and
// died between two scrapes still resolves to its identity.
package cgrouppaths

import (
	"bytes"
	"fmt"
	"time"

	"golang.org/x/sys/unix"

	"github.com/rtsec/rtsec/bpf"
	"github.com/rtsec/rtsec/exporter/bpfprog"
	"github.com/rtsec/rtsec/exporter/container"
)

// Recorder reads the paths the cgroup_mkdir hook recorded.
type Recorder struct {
	objs bpf.CgroupsObjects
}

// Load loads and attaches the recording program into set.
func Load(set *bpfprog.Set) (*Recorder, error) {
	spec, err := bpf.LoadCgroups()
	if err != nil {
		return nil, err
	}
	r := &Recorder{}
	if err := set.Load(spec, &r.objs); err != nil {
		return nil, err
	}
	return r, nil
}

// Lookup returns the recorded cgroup id. A path that filled the kernel's
// buffer may be cut short, so it is not returned: the caller falls back to
// asking the cgroup filesystem.
func (r *Recorder) Lookup(id uint64) (container.RecordedCgroup, bool) {
	var value bpf.CgroupsCgroupPath
	if err := r.objs.CgroupPaths.Lookup(id, &value); err != nil {
		return container.RecordedCgroup{}, false
	}
	path, complete := cString(value.Path[:])
	if !complete {
		return container.RecordedCgroup{}, false
	}
	creator, _ := cString(value.Creator[:])
	return container.RecordedCgroup{Path: path, Creator: creator}, true
}

// ForgetRemoved deletes the entries of cgroups removed more than grace
// ago (the kernel stamps an entry at cgroup_rmdir), by then resolved or
// no longer exported, and returns how many it deleted.
func (r *Recorder) ForgetRemoved(grace time.Duration) (int, error) {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_BOOTTIME, &ts); err != nil {
		return 0, fmt.Errorf("boot time: %w", err)
	}
	now := uint64(ts.Nano())
	var (
		id    uint64
		value bpf.CgroupsCgroupPath
		old   []uint64
	)
	iter := r.objs.CgroupPaths.Iterate()
	for iter.Next(&id, &value) {
		if value.RemovedNs != 0 && now-value.RemovedNs > uint64(grace) {
			old = append(old, id)
		}
	}
	if err := iter.Err(); err != nil {
		return 0, fmt.Errorf("list recorded cgroups: %w", err)
	}
	n := 0
	for _, id := range old {
		// Gone already (LRU eviction) is as good as deleted.
		if err := r.objs.CgroupPaths.Delete(id); err == nil {
			n++
		}
	}
	return n, nil
}

// cString returns the NUL-terminated string in raw, and whether it ended
// before the buffer's last byte (so it was not cut short).
func cString(raw []int8) (string, bool) {
	b := make([]byte, len(raw))
	for i, c := range raw {
		b[i] = byte(c)
	}
	n := bytes.IndexByte(b, 0)
	if n < 0 {
		return string(b), false
	}
	return string(b[:n]), n < len(b)-1
}
