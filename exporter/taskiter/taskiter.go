// Package taskiter reads the posture of the processes the posture cache
// pins with a BPF task iterator (bpf/src/tasks.bpf.c): one pass over the
// node's tasks at each scrape instead of a status file and five namespace
// links per container.
package taskiter

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"unsafe"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/link"

	"github.com/rtsec/rtsec/bpf"
	"github.com/rtsec/rtsec/exporter/bpfprog"
	"github.com/rtsec/rtsec/exporter/posture"
)

// Reader is posture.Tasks on the task iterator. Not safe for concurrent
// use; the posture cache calls it under its lock.
type Reader struct {
	pids *ebpf.Map
	iter *link.Iter
	buf  bytes.Buffer
}

var _ posture.Tasks = (*Reader)(nil)

// Load loads the iterator into set. It fails with bpfprog.ErrUnsupported
// where the kernel has no task iterators (before 5.8) or refuses them.
func Load(set *bpfprog.Set) (*Reader, error) {
	// The iterator knows a process by its pid in the initial pid namespace,
	// the cache by its pid in the exporter's: the same numbers only there.
	// Elsewhere a pid of the one could name another process in the other.
	link, err := os.Readlink("/proc/self/ns/pid")
	if err != nil {
		return nil, fmt.Errorf("task iterator: %w", err)
	}
	if !initialPidNS(link) {
		return nil, fmt.Errorf("task iterator: the exporter is not in the host's pid namespace (%s), whose pids the iterator gives", link)
	}
	spec, err := bpf.LoadTasks()
	if err != nil {
		return nil, err
	}
	var objs bpf.TasksMaps
	if err := set.Load(spec, &objs); err != nil {
		return nil, err
	}
	it, ok := set.Iter("dump_task_posture")
	if !ok {
		return nil, errors.New("task iterator: loaded without its link")
	}
	return &Reader{pids: objs.TaskPids, iter: it}, nil
}

// initPidNSInode is the inode of the initial pid namespace, which the
// kernel fixes (PROC_PID_INIT_INO).
const initPidNSInode = 0xEFFFFFFC

// initialPidNS reports whether link, a pid namespace link, is the initial
// pid namespace's.
func initialPidNS(link string) bool {
	return link == "pid:["+strconv.Itoa(initPidNSInode)+"]"
}

// Watch adds pid to the processes Read reports.
func (r *Reader) Watch(pid int) error {
	if err := r.pids.Put(uint32(pid), uint8(1)); err != nil {
		return fmt.Errorf("task iterator: watch pid %d: %w", pid, err)
	}
	return nil
}

// Unwatch removes pid.
func (r *Reader) Unwatch(pid int) {
	r.pids.Delete(uint32(pid)) // gone already is as good
}

const recordSize = int(unsafe.Sizeof(bpf.TasksTaskPosture{}))

// Read runs the iterator once and fills out with its records.
func (r *Reader) Read(out map[int]posture.Task) error {
	clear(out)
	rd, err := r.iter.Open()
	if err != nil {
		return fmt.Errorf("task iterator: %w", err)
	}
	defer rd.Close()
	r.buf.Reset()
	if _, err := r.buf.ReadFrom(rd); err != nil {
		return fmt.Errorf("task iterator: %w", err)
	}
	return decode(r.buf.Bytes(), out)
}

// decode parses the records of one read into out: struct task_posture,
// in the kernel's byte order.
func decode(b []byte, out map[int]posture.Task) error {
	if len(b)%recordSize != 0 {
		return fmt.Errorf("task iterator: read %d bytes, not a whole number of %d-byte records", len(b), recordSize)
	}
	u32 := func(r []byte, at int) uint32 { return binary.NativeEndian.Uint32(r[at:]) }
	for r := range slices.Chunk(b, recordSize) {
		t := posture.Task{
			EUID:       u32(r, 4),
			CapEff:     binary.NativeEndian.Uint64(r[8:]),
			Seccomp:    u32(r, 16) != 0,
			NoNewPrivs: u32(r, 20) != 0,
		}
		for i := range t.Namespaces {
			t.Namespaces[i] = u32(r, 24+4*i)
		}
		out[int(u32(r, 0))] = t
	}
	return nil
}
