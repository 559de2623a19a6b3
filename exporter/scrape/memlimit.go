package scrape

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// memLimitShare is the part of the cgroup's memory limit given to the Go
// heap: the rest is for the stacks, the BPF ring buffer mappings and the
// runtime's own overhead, which GOMEMLIMIT does not count.
const memLimitShare = 0.9

// CgroupMemoryLimit returns the memory limit of the cgroup of this process
// (proc is "/proc"): memory.max of its cgroup v2, else memory.limit_in_bytes
// of its cgroup v1 memory controller. ok is false when there is no limit.
func CgroupMemoryLimit(proc string) (limit int64, ok bool, err error) {
	cgroups, err := os.ReadFile(filepath.Join(proc, "self", "cgroup"))
	if err != nil {
		return 0, false, fmt.Errorf("read cgroup: %w", err)
	}
	mounts, err := cgroupMounts(filepath.Join(proc, "self", "mountinfo"))
	if err != nil {
		return 0, false, err
	}
	for line := range strings.Lines(string(cgroups)) {
		// hierarchy-ID:controller-list:path
		parts := strings.SplitN(strings.TrimSpace(line), ":", 3)
		if len(parts) != 3 {
			continue
		}
		var file string
		switch {
		case parts[0] == "0" && parts[1] == "":
			file = "memory.max"
		case hasController(parts[1], "memory"):
			file = "memory.limit_in_bytes"
		default:
			continue
		}
		for _, m := range mounts {
			if (file == "memory.max") != (m.fstype == "cgroup2") || (m.fstype == "cgroup" && !hasController(m.options, "memory")) {
				continue
			}
			rel, err := filepath.Rel(m.root, parts[2])
			if err != nil || strings.HasPrefix(rel, "..") {
				continue
			}
			data, err := os.ReadFile(filepath.Join(m.mountpoint, rel, file))
			if errors.Is(err, os.ErrNotExist) {
				continue // no memory controller in this hierarchy
			}
			if err != nil {
				return 0, false, fmt.Errorf("read memory limit: %w", err)
			}
			v := strings.TrimSpace(string(data))
			if v == "max" {
				return 0, false, nil
			}
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return 0, false, fmt.Errorf("memory limit %s: %w", filepath.Join(m.mountpoint, rel, file), err)
			}
			// cgroup v1 says "no limit" with a huge page-aligned number.
			if n <= 0 || n >= 1<<62 {
				return 0, false, nil
			}
			return n, true, nil
		}
	}
	return 0, false, nil
}

// GoMemLimit is the Go memory limit for a cgroup memory limit.
func GoMemLimit(cgroupLimit int64) int64 {
	return int64(float64(cgroupLimit) * memLimitShare)
}

func hasController(list, name string) bool {
	for c := range strings.SplitSeq(list, ",") {
		if c == name {
			return true
		}
	}
	return false
}

type cgroupMount struct {
	root, mountpoint, fstype, options string
}

// cgroupMounts lists the cgroup and cgroup2 mounts of a mountinfo file.
func cgroupMounts(path string) ([]cgroupMount, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read mountinfo: %w", err)
	}
	defer f.Close()
	var mounts []cgroupMount
	s := bufio.NewScanner(f)
	for s.Scan() {
		// ID parent major:minor root mountpoint options [optional...] - fstype source superoptions
		pre, post, ok := strings.Cut(s.Text(), " - ")
		fields, tail := strings.Fields(pre), strings.Fields(post)
		if !ok || len(fields) < 5 || len(tail) < 3 || (tail[0] != "cgroup" && tail[0] != "cgroup2") {
			continue
		}
		mounts = append(mounts, cgroupMount{root: fields[3], mountpoint: fields[4], fstype: tail[0], options: tail[2]})
	}
	if err := s.Err(); err != nil {
		return nil, fmt.Errorf("read mountinfo: %w", err)
	}
	return mounts, nil
}
