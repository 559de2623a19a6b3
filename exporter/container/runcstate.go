package container

import (
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// Recognising containers by the state files OCI runtimes keep.

// maxStateBytes bounds how much of a runc state.json is read (a few KiB in
// practice).
const maxStateBytes = 1 << 20

// runcState is the stateFunc of the resolver: the cgroup at cgpath is a
// container when some runc root holds name/state.json whose unified cgroup
// path ends in cgpath (so the check holds when the exporter sees the host's
// cgroup mount elsewhere) or whose configured cgroups path is cgpath.
func (r *Resolver) runcState(cgpath, name string) (string, bool) {
	for _, pattern := range r.opts.RuncRoots {
		roots, _ := filepath.Glob(pattern) // patterns checked by NewResolver
		for _, root := range roots {
			if stateNames(filepath.Join(root, name, "state.json"), cgpath) {
				return rootRuntime(root), true
			}
		}
	}
	return "", false
}

// memoState remembers the answers of state for one tree walk, where every
// directory would otherwise look its ancestors up again.
func memoState(state stateFunc) stateFunc {
	type answer struct {
		runtime string
		ok      bool
	}
	memo := map[string]answer{}
	return func(cgpath, name string) (string, bool) {
		a, ok := memo[cgpath]
		if !ok {
			a.runtime, a.ok = state(cgpath, name)
			memo[cgpath] = a
		}
		return a.runtime, a.ok
	}
}

// runcStateFile is the part of runc's state.json the resolver reads.
type runcStateFile struct {
	CgroupPaths map[string]string `json:"cgroup_paths"`
	Config      struct {
		Cgroups struct {
			Path string `json:"path"`
		} `json:"cgroups"`
	} `json:"config"`
}

// stateNames reports whether the runc state file names cgroup cgpath.
func stateNames(file, cgpath string) bool {
	f, err := os.Open(file)
	if err != nil {
		return false
	}
	defer f.Close()
	var st runcStateFile
	if err := json.NewDecoder(io.LimitReader(f, maxStateBytes)).Decode(&st); err != nil {
		return false
	}
	unified := st.CgroupPaths[""]
	return unified != "" && strings.HasSuffix(unified, cgpath) || st.Config.Cgroups.Path == cgpath
}

// rootRuntime names the runtime owning a runc state root by its path.
func rootRuntime(root string) string {
	for _, e := range strings.Split(filepath.Clean(root), string(filepath.Separator)) {
		switch e {
		case "containerd":
			return RuntimeContainerd
		case "docker":
			return RuntimeDocker
		}
	}
	return RuntimeRunc
}
