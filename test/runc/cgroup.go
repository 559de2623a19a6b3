package runc

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// cgroup2Path returns the cgroup2 path of pid ("self" for this process): the
// 0:: line of /proc/<pid>/cgroup.
func cgroup2Path(pid string) (string, error) {
	data, err := os.ReadFile("/proc/" + pid + "/cgroup")
	if err != nil {
		return "", err
	}
	for line := range strings.Lines(string(data)) {
		if path, ok := strings.CutPrefix(line, "0::"); ok {
			return strings.TrimSpace(path), nil
		}
	}
	return "", fmt.Errorf("no cgroup2 (0::) line in /proc/%s/cgroup", pid)
}

// cgroup2ID returns the inode of the cgroup2 directory of path, which is the
// kernel's cgroup id.
func cgroup2ID(path string) (uint64, error) {
	dir, err := cgroup2Dir(path)
	if err != nil {
		return 0, err
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return 0, err
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, fmt.Errorf("stat %s: no inode", dir)
	}
	return st.Ino, nil
}

// cgroup2Dir maps a cgroup2 path to its directory on the host, using the
// cgroup2 entry of /proc/self/mountinfo.
func cgroup2Dir(path string) (string, error) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return "", err
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		// ID parent major:minor root mountpoint options [optional...] - fstype source superoptions
		fields := strings.Fields(s.Text())
		i := strings.Index(s.Text(), " - ")
		if len(fields) < 5 || i < 0 || !strings.HasPrefix(s.Text()[i+3:], "cgroup2 ") {
			continue
		}
		rel, err := filepath.Rel(fields[3], path)
		if err != nil || strings.HasPrefix(rel, "..") {
			return "", fmt.Errorf("cgroup %s is outside the cgroup2 mount root %s", path, fields[3])
		}
		return filepath.Join(fields[4], rel), nil
	}
	if err := s.Err(); err != nil {
		return "", fmt.Errorf("read mountinfo: %w", err)
	}
	return "", errors.New("no cgroup2 mount in /proc/self/mountinfo")
}

// HostCgroup creates a cgroup2 directory named name beside the cgroup of
// this process, as a systemd service or session scope of the host would
// be, and removes it at the end of the test. It returns the directory;
// write a pid to its cgroup.procs to move a process there.
func HostCgroup(t testing.TB, name string) string {
	t.Helper()
	self, err := cgroup2Path("self")
	if err != nil {
		t.Fatal(err)
	}
	parent, err := cgroup2Dir(self)
	if err != nil {
		t.Fatal(err)
	}
	if self != "/" {
		parent = filepath.Dir(parent)
	}
	dir := filepath.Join(parent, name)
	err = os.Mkdir(dir, 0o755)
	if errors.Is(err, fs.ErrExist) {
		// Left by a run that was killed before its cleanup: an empty
		// cgroup goes, one with processes or children stays and is named.
		if rmErr := os.Remove(dir); rmErr != nil {
			t.Fatalf("create host cgroup: %s is left from an earlier run and cannot be removed (%v): stop its processes and rmdir it", dir, rmErr)
		}
		err = os.Mkdir(dir, 0o755)
	}
	if err != nil {
		t.Fatalf("create host cgroup: %v", err)
	}
	t.Cleanup(func() {
		if err := os.Remove(dir); err != nil {
			t.Errorf("remove host cgroup %s: %v", dir, err)
		}
	})
	return dir
}
