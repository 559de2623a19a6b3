package container

import (
	"bytes"
	"errors"
	"io/fs"
	"path/filepath"
	"strconv"

	"github.com/rtsec/rtsec/exporter/sysfile"
)

// Cgroups is one live container and its cgroup directories, for readers of
// per-process state (/proc/<pid>/status, mountinfo, namespaces) that find
// its process themselves: posture keeps a first process while it lives and
// reads the cgroup again only once it exited.
type Cgroups struct {
	Identity Identity
	// root is the cgroup2 mount; g the container's directories below it.
	root string
	g    *group
}

// LiveContainers is Live without the gone containers the cache still holds,
// with each container's cgroup directories.
func (r *Resolver) LiveContainers() ([]Cgroups, error) {
	groups, err := r.containerGroups()
	if err != nil {
		return nil, err
	}
	out := make([]Cgroups, len(groups))
	for i, g := range groups {
		out[i] = Cgroups{Identity: r.withMetadata(g.ident), root: r.root, g: &groups[i]}
	}
	return out, nil
}

// FirstPid returns the first process listed in the container's cgroup, or
// in a cgroup below it; false for a container with no process (exiting).
func (c Cgroups) FirstPid() (int, bool) {
	if c.g == nil {
		return 0, false
	}
	for _, dir := range append([]string{c.g.path}, c.g.more...) {
		if pid, ok := firstPid(filepath.Join(c.root, dir)); ok {
			return pid, true
		}
	}
	return 0, false
}

// firstPid returns the first pid in dir's cgroup.procs, else in those of
// its descendants.
func firstPid(dir string) (int, bool) {
	if pid, ok := procsHead(dir); ok {
		return pid, true // the usual case: no walk below the container's own
	}
	pid := 0
	stop := errors.New("found")
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() || p == dir {
			return nil
		}
		if n, ok := procsHead(p); ok {
			pid = n
			return stop
		}
		return nil
	})
	return pid, pid > 0
}

// procsHead returns the first pid of dir's cgroup.procs, reading only its
// first line.
func procsHead(dir string) (int, bool) {
	var b [32]byte
	head, err := sysfile.ReadHead(filepath.Join(dir, "cgroup.procs"), b[:])
	if err != nil {
		return 0, false
	}
	line, _, _ := bytes.Cut(head, []byte("\n"))
	pid, err := strconv.Atoi(string(line))
	return pid, err == nil && pid > 0
}
