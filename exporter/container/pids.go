package container

import (
	"bytes"
	"errors"
	"io/fs"
	"maps"
	"path/filepath"
	"slices"
	"strconv"

	"github.com/rtsec/rtsec/exporter/sysfile"
)

// Cgroups is one live container and its cgroup directories, for readers of
// per-process state (/proc/<pid>/status, mountinfo, namespaces) that find
// its process themselves: posture keeps a first process while it lives and
// reads the cgroup again only once it exited.
type Cgroups struct {
	Identity Identity
	// dirs are the container's cgroup directories, in the order of the
	// walk (one, but for a container listed under several paths).
	dirs []string
}

// LiveContainers is Live without the gone containers the cache still holds,
// with each container's cgroup directories.
func (r *Resolver) LiveContainers() ([]Cgroups, error) {
	dirs, err := r.containerDirs()
	if err != nil {
		return nil, err
	}
	found := map[string]*Cgroups{}
	for _, d := range dirs {
		c := found[d.ident.ID]
		if c == nil {
			c = &Cgroups{Identity: d.ident}
			found[d.ident.ID] = c
		}
		c.dirs = append(c.dirs, filepath.Join(r.root, d.path))
	}
	out := make([]Cgroups, 0, len(found))
	for _, id := range slices.Sorted(maps.Keys(found)) {
		c := found[id]
		c.Identity = r.withMetadata(c.Identity)
		out = append(out, *c)
	}
	return out, nil
}

// FirstPid returns the first process listed in the container's cgroup, or
// in a cgroup below it; false for a container with no process (exiting).
func (c Cgroups) FirstPid() (int, bool) {
	for _, dir := range c.dirs {
		if pid, ok := firstPid(dir); ok {
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
