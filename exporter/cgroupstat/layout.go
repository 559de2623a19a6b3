// Package cgroupstat reads the CPU, memory and pids accounting of a
// container from its cgroup files: all from the unified (v2) tree on a pure
// cgroup v2 node, and from the v1 controllers that hold them on a hybrid one.
package cgroupstat

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Controllers whose files Read uses.
const (
	CPU    = "cpu"
	Memory = "memory"
	Pids   = "pids"
)

// hierarchy is where one controller's files are: the mount point of its
// hierarchy, whether that is a v1 one, and the mount's root within the
// hierarchy (not "/" when a container's view is mounted).
type hierarchy struct {
	mount string
	root  string
	v1    bool
}

// Layout tells where each controller's files are on this node.
type Layout struct {
	// Unified is the cgroup2 mount point: container paths are relative to it.
	Unified string
	// controllers maps CPU, Memory and Pids to their hierarchy; a controller
	// enabled nowhere is missing, and its values are not read.
	controllers map[string]hierarchy
}

// Detect finds the layout of this node from unified/cgroup.controllers and
// /proc/self/mountinfo.
func Detect(unified string) (Layout, error) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return Layout{}, fmt.Errorf("cgroup layout: %w", err)
	}
	defer f.Close()
	controllers, err := os.ReadFile(filepath.Join(unified, "cgroup.controllers"))
	if err != nil {
		return Layout{}, fmt.Errorf("cgroup layout: %w", err)
	}
	return detect(unified, strings.Fields(string(controllers)), f)
}

// detect builds the layout: a controller the unified root offers is read
// there, else from the v1 hierarchy mountinfo lists for it.
func detect(unified string, v2 []string, mountinfo io.Reader) (Layout, error) {
	l := Layout{Unified: unified, controllers: map[string]hierarchy{}}
	v1 := map[string]hierarchy{}
	sc := bufio.NewScanner(mountinfo)
	for sc.Scan() {
		// id parent major:minor root mountpoint options [optional…] - fstype source superoptions
		fields := strings.Fields(sc.Text())
		sep := slices.Index(fields, "-")
		if sep < 5 || sep+3 >= len(fields) || fields[sep+1] != "cgroup" {
			continue
		}
		for _, opt := range strings.Split(fields[sep+3], ",") {
			if _, seen := v1[opt]; !seen {
				v1[opt] = hierarchy{mount: unescape.Replace(fields[4]), root: unescape.Replace(fields[3]), v1: true}
			}
		}
	}
	if err := sc.Err(); err != nil {
		return Layout{}, fmt.Errorf("read mountinfo: %w", err)
	}
	for _, c := range []string{CPU, Memory, Pids} {
		if slices.Contains(v2, c) {
			l.controllers[c] = hierarchy{mount: unified, root: "/"}
		} else if h, ok := v1[c]; ok {
			l.controllers[c] = h
		}
	}
	// CPU time is in every v2 cgroup's cpu.stat, with or without the
	// controller; v1 cpuacct is not needed for it.
	return l, nil
}

// unescape undoes the octal escapes of mountinfo paths.
var unescape = strings.NewReplacer(`\040`, " ", `\011`, "\t", `\012`, "\n", `\134`, `\`)

// Hybrid reports whether some controller Read uses is a v1 one: container
// directories in those hierarchies are then found from a process of the
// container (PathsOf).
func (l Layout) Hybrid() bool {
	for _, h := range l.controllers {
		if h.v1 {
			return true
		}
	}
	return false
}

// Controllers lists the controllers found, each with "v1" or "v2".
func (l Layout) Controllers() map[string]string {
	out := map[string]string{}
	for c, h := range l.controllers {
		out[c] = "v2"
		if h.v1 {
			out[c] = "v1"
		}
	}
	return out
}

// Dirs are a container's directories, one per controller with files.
type Dirs struct {
	// Unified is the container's cgroup2 directory (absolute).
	Unified     string
	controllers map[string]string
	// found is false when the v1 directories could not be looked up (no
	// process in the container yet, or it exited meanwhile).
	found bool
}

// DirsOf returns the directories of the container whose cgroup2 path (relative
// to the unified mount, "/"-prefixed) is path. On a hybrid node the v1
// directories are those of a process of the container, from
// /proc/<pid>/cgroup, since runtimes place a container at different paths
// in each hierarchy (under the runtime's own cgroup there); proc is the
// /proc mount. A v1 directory counts only when it is named like the cgroup2
// one, as every runtime names them: a process moved into a cgroup2
// directory by hand is still in its parent's v1 cgroups, whose values are
// not the container's.
func (l Layout) DirsOf(path, proc string) (Dirs, error) {
	d := Dirs{Unified: filepath.Join(l.Unified, path), controllers: map[string]string{}, found: true}
	var v1 map[string]string
	for c, h := range l.controllers {
		if !h.v1 {
			d.controllers[c] = d.Unified
			continue
		}
		if v1 == nil {
			var err error
			if v1, d.found, err = v1Paths(d.Unified, proc); err != nil {
				return d, err
			}
		}
		p, ok := v1[c]
		if !ok || filepath.Base(p) != filepath.Base(path) {
			continue
		}
		rel, ok := strings.CutPrefix(p, strings.TrimSuffix(h.root, "/"))
		if !ok {
			continue // the process is outside the part of the hierarchy mounted here
		}
		d.controllers[c] = filepath.Join(h.mount, rel)
	}
	return d, nil
}

// v1Paths reads the v1 cgroup paths, by controller, of the first process
// of the cgroup2 directory dir (or of a cgroup below it), and whether it
// found one.
func v1Paths(dir, proc string) (map[string]string, bool, error) {
	pid, ok := firstPid(dir)
	if !ok {
		return map[string]string{}, false, nil
	}
	data, err := os.ReadFile(filepath.Join(proc, pid, "cgroup"))
	if os.IsNotExist(err) {
		return map[string]string{}, false, nil // exited since
	}
	if err != nil {
		return nil, false, fmt.Errorf("v1 cgroups of a container process: %w", err)
	}
	paths := map[string]string{}
	for line := range strings.Lines(string(data)) {
		// hierarchy-id:controller,controller:path
		parts := strings.SplitN(strings.TrimSpace(line), ":", 3)
		if len(parts) != 3 || parts[1] == "" {
			continue
		}
		for _, c := range strings.Split(parts[1], ",") {
			paths[c] = parts[2]
		}
	}
	return paths, true, nil
}

// firstPid returns the first pid in dir's cgroup.procs, else in the first
// child directory's that has one.
func firstPid(dir string) (string, bool) {
	if data, err := os.ReadFile(filepath.Join(dir, "cgroup.procs")); err == nil {
		if pid, _, _ := strings.Cut(string(data), "\n"); pid != "" {
			return pid, true
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return "", false
	}
	for _, e := range entries {
		if e.IsDir() {
			if pid, ok := firstPid(filepath.Join(dir, e.Name())); ok {
				return pid, true
			}
		}
	}
	return "", false
}

// Found reports whether the v1 directories were looked up: a container
// without a process yet has none, and is looked up again.
func (d Dirs) Found() bool { return d.found }
