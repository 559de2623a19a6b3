// Package hostcgroup makes host cgroups shaped like the node's actors (a
// login session's session-N.scope, a systemd unit's system.slice/<unit>) in
// the unified (cgroup2) hierarchy, and runs commands in them, for tests of
// the host actor classes (docs/host.md).
package hostcgroup

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rtsec/rtsec/internal/testenv"
)

// Cgroup is one cgroup made by New, removed when the test ends.
type Cgroup struct {
	// Path is relative to the cgroup2 root, "/"-prefixed.
	Path string
	dir  string
}

// Session is the path of a login session's scope, as logind names it, of
// root's user slice: /user.slice/user-0.slice/session-<name>.scope.
func Session(name string) string {
	return "/user.slice/user-0.slice/session-" + name + ".scope"
}

// Unit is the path of a system service's cgroup: /system.slice/<unit>.
func Unit(unit string) string {
	return "/system.slice/" + unit
}

// New creates the cgroup at path (and its missing parents) in the unified
// hierarchy. It fails when path exists already: the cgroup of a real
// service is never borrowed. The cgroups it created are removed when the
// test ends, once empty.
func New(t testing.TB, path string) *Cgroup {
	t.Helper()
	testenv.RequireRoot(t)
	root, err := Root()
	if err != nil {
		testenv.Unavailable(t, "%v", err)
	}
	dir := filepath.Join(root, path)
	if _, err := os.Stat(dir); err == nil {
		t.Fatalf("cgroup %s exists already: a real one is not borrowed", path)
	}
	// The parents this call creates, outermost first, to remove innermost first.
	var made []string
	for p := dir; p != root; p = filepath.Dir(p) {
		if _, err := os.Stat(p); err == nil {
			break
		}
		made = append([]string{p}, made...)
	}
	for _, p := range made {
		if err := os.Mkdir(p, 0o755); err != nil {
			t.Fatalf("create cgroup %s: %v", p, err)
		}
	}
	t.Cleanup(func() {
		for i := len(made) - 1; i >= 0; i-- {
			removeWhenEmpty(made[i])
		}
	})
	return &Cgroup{Path: path, dir: dir}
}

// removeWhenEmpty removes a cgroup directory, waiting a little for its
// last processes to be reaped (rmdir fails with EBUSY until then).
func removeWhenEmpty(dir string) {
	for range 50 {
		if err := os.Remove(dir); err == nil || errors.Is(err, os.ErrNotExist) {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Command is exec.Command(name, args...) whose process starts inside the
// cgroup (clone3 CLONE_INTO_CGROUP), as a unit's or a session's would.
func (c *Cgroup) Command(t testing.TB, name string, args ...string) *exec.Cmd {
	t.Helper()
	f, err := os.Open(c.dir)
	if err != nil {
		t.Fatalf("open cgroup %s: %v", c.Path, err)
	}
	t.Cleanup(func() { f.Close() })
	cmd := exec.Command(name, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{UseCgroupFD: true, CgroupFD: int(f.Fd())}
	return cmd
}

// Run runs name with args in the cgroup and returns its combined output;
// it fails the test if the command fails.
func (c *Cgroup) Run(t testing.TB, name string, args ...string) string {
	t.Helper()
	out, err := c.Command(t, name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s in cgroup %s: %v: %s", name, strings.Join(args, " "), c.Path, err, out)
	}
	return string(out)
}

// Root returns the mount point of the unified (cgroup2) hierarchy:
// /sys/fs/cgroup on pure cgroup v2, /sys/fs/cgroup/unified on hybrid hosts.
func Root() (string, error) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return "", err
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		// mountinfo: ... mount-point ... - fstype source options
		left, right, ok := strings.Cut(s.Text(), " - ")
		fields := strings.Fields(left)
		if ok && len(fields) >= 5 && strings.HasPrefix(right, "cgroup2 ") {
			return fields[4], nil
		}
	}
	if err := s.Err(); err != nil {
		return "", err
	}
	return "", fmt.Errorf("no cgroup2 mount in /proc/self/mountinfo")
}
