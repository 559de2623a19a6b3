package container

import (
	"bufio"
	"errors"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
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
	pid := 0
	stop := errors.New("found")
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return nil
		}
		f, err := os.Open(filepath.Join(p, "cgroup.procs"))
		if err != nil {
			return nil
		}
		defer f.Close()
		s := bufio.NewScanner(f)
		if s.Scan() {
			if n, err := strconv.Atoi(s.Text()); err == nil && n > 0 {
				pid = n
				return stop
			}
		}
		return nil
	})
	return pid, pid > 0
}
