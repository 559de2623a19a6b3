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

// Process is one live container and a process running in it, for readers
// of per-process state (/proc/<pid>/status, mountinfo, namespaces).
type Process struct {
	Identity Identity
	Pid      int
}

// LiveProcesses is Live with one pid per container: the first process
// listed in its cgroup, or in a cgroup below it. Containers with no process
// (exiting) are left out.
func (r *Resolver) LiveProcesses() ([]Process, error) {
	dirs, err := r.containerDirs()
	if err != nil {
		return nil, err
	}
	found := map[string]Process{}
	for _, d := range dirs {
		if pid, ok := firstPid(filepath.Join(r.root, d.path)); ok {
			found[d.ident.ID] = Process{Identity: d.ident, Pid: pid}
		}
	}
	out := make([]Process, 0, len(found))
	for _, id := range slices.Sorted(maps.Keys(found)) {
		p := found[id]
		p.Identity = r.withMetadata(p.Identity)
		out = append(out, p)
	}
	return out, nil
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
