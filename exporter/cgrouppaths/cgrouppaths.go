// Package cgrouppaths records, in the kernel, the path of every cgroup v2
// directory created while rtsec runs, so that a container that lived and
// died between two scrapes still resolves to its identity.
package cgrouppaths

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"time"

	"github.com/cilium/ebpf/ringbuf"
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

// Births tells of each cgroup v2 directory as the kernel makes it.
type Births struct {
	rd *ringbuf.Reader
}

// Births opens the ring buffer of new cgroups' ids. It has one reader:
// the enforcer.
func (r *Recorder) Births() (*Births, error) {
	rd, err := ringbuf.NewReader(r.objs.CgroupBirths)
	if err != nil {
		return nil, fmt.Errorf("read cgroup_births: %w", err)
	}
	return &Births{rd: rd}, nil
}

// Next waits for the next new cgroup and returns its id; after Close it
// returns an error wrapping ringbuf.ErrClosed.
func (b *Births) Next() (uint64, error) {
	rec, err := b.rd.Read()
	if err != nil {
		return 0, err
	}
	if len(rec.RawSample) < 8 {
		return 0, fmt.Errorf("cgroup_births: a record of %d bytes", len(rec.RawSample))
	}
	return binary.NativeEndian.Uint64(rec.RawSample), nil
}

// Close ends a Next in progress and the ones after it.
func (b *Births) Close() error { return b.rd.Close() }

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
