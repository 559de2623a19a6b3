package posture

import (
	"strconv"
	"strings"
)

// Task is a pinned process's posture as a task iterator reads it
// (bpf/src/tasks.bpf.c): the fields of its status a posture takes, and the
// inodes of its namespaces but pid's.
type Task struct {
	// EUID is the effective uid in the initial user namespace, the one the
	// exporter reads status in.
	EUID       uint32
	CapEff     uint64
	Seccomp    bool
	NoNewPrivs bool
	// Namespaces are the inodes of Namespaces[1:], in that order.
	Namespaces [5]uint32
}

// Tasks reads the posture of the processes it watches, all in one pass.
type Tasks interface {
	Watch(pid int) error
	Unwatch(pid int)
	// Read fills out (emptied first) with the task of each watched pid
	// whose process is alive.
	Read(out map[int]Task) error
}

func (t Task) fields() statusFields {
	return statusFields{capEff: t.CapEff, root: t.EUID == 0, seccomp: t.Seccomp, noNewPriv: t.NoNewPrivs}
}

// linkInode is the inode of a namespace link ("net:[4026531840]").
func linkInode(link string) (uint32, bool) {
	_, rest, ok := strings.Cut(link, ":[")
	digits, ok2 := strings.CutSuffix(rest, "]")
	if !ok || !ok2 {
		return 0, false
	}
	n, err := strconv.ParseUint(digits, 10, 32)
	return uint32(n), err == nil
}
