// Package runc runs real runc containers on busybox root filesystems for
// integration tests of the exporter and for attack scenarios.
//
// Containers use runc's default state root (/run/runc), as on a real host,
// and its default cgroup path: the container name under runc's own cgroup in
// each hierarchy (on the test machines, /NAME in cgroup2).
package runc

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rtsec/rtsec/internal/testenv"
	"github.com/rtsec/rtsec/test/rootfs"
)

// Options configures a container started by Start. The zero value is an
// unprivileged container with a writable rootfs that sleeps for ever.
type Options struct {
	// Name is the runc container ID; "" generates "rtsec-test-<random>".
	Name string
	// Files are written into the rootfs before start (paths relative to the
	// rootfs root, mode 0755, parent directories created).
	Files map[string][]byte
	// Privileged grants every capability of the caller's bounding set except
	// CAP_SYS_RESOURCE, removes masked and read-only paths and mounts /sys
	// read-write.
	Privileged bool
	// HostPID shares the host's pid namespace.
	HostPID bool
	// HostNetwork shares the host's network namespace.
	HostNetwork bool
	// Seccomp installs a filter that allows everything except a few
	// syscalls (see seccompDenied), so /proc/<pid>/status shows Seccomp: 2.
	Seccomp bool
	// ReadonlyRootfs mounts the rootfs read-only. The harness defaults to
	// writable (unlike `runc spec`) so that scenarios can drop files.
	ReadonlyRootfs bool
	// User runs the container's processes as this user instead of root.
	User *User
	// AllowPrivilegeEscalation clears noNewPrivileges (set by `runc spec`),
	// so setuid files raise privileges.
	AllowPrivilegeEscalation bool
	// Limits are the container's cgroup limits; the zero value sets none.
	Limits Limits
	// Args is the container's init process; it must keep running, because
	// Start reads its pid and cgroup. Default: sleep 1000000.
	Args []string
}

// Limits are cgroup limits of a container (linux.resources of its
// config.json); a zero field sets no limit.
type Limits struct {
	// MemoryBytes is the memory limit (memory.max, memory.limit_in_bytes).
	MemoryBytes int64
	// Pids is the task limit (pids.max).
	Pids int64
	// CPUQuota and CPUPeriod are the CFS quota per period, in µs.
	CPUQuota, CPUPeriod int64
}

// User is a numeric process identity inside the container.
type User struct {
	UID, GID uint32
}

// Container is a running runc container removed when its test ends.
type Container struct {
	name       string
	bundle     string
	pid        int
	cgroupPath string
	cgroupID   uint64
}

// Start runs a container for opts with `runc run -d` and registers a cleanup
// that force-deletes it, also when the test fails. It skips (or fails in CI)
// without root, runc or busybox, and fails the test if the container does
// not come up.
func Start(t testing.TB, opts Options) *Container {
	t.Helper()
	testenv.RequireRoot(t)
	testenv.RequireCommand(t, "runc")
	if _, err := os.Stat(rootfs.BusyboxPath); err != nil {
		testenv.Unavailable(t, "needs %s (busybox-static)", rootfs.BusyboxPath)
	}
	name := opts.Name
	if name == "" {
		name = "rtsec-test-" + randomHex(4)
	}
	c := &Container{name: name, bundle: t.TempDir()}
	if err := c.prepare(opts); err != nil {
		t.Fatalf("prepare container %s: %v", name, err)
	}
	stdio, err := os.Create(filepath.Join(c.bundle, "stdio.log"))
	if err != nil {
		t.Fatalf("create container stdio file: %v", err)
	}
	defer stdio.Close()
	cmd := exec.Command("runc", "run", "-d", "--bundle", c.bundle, name)
	cmd.Stdout, cmd.Stderr = stdio, stdio
	runErr := cmd.Run()
	t.Cleanup(func() { c.Delete(t) })
	if runErr != nil {
		out, _ := os.ReadFile(stdio.Name())
		t.Fatalf("runc run %s: %v: %s", name, runErr, out)
	}
	if err := c.inspect(); err != nil {
		t.Fatalf("inspect container %s: %v", name, err)
	}
	if err := waitExec(c.pid); err != nil {
		t.Fatalf("container %s: %v", name, err)
	}
	return c
}

// waitExec waits until pid is no longer runc's init: `runc run -d`
// returns once the init is released, which may be before it has exec'd
// the entrypoint, and until then the process is runc's (its mounts being
// set up, posture not yet the container's). A process already gone has
// run its entrypoint.
func waitExec(pid int) error {
	comm := fmt.Sprintf("/proc/%d/comm", pid)
	for deadline := time.Now().Add(5 * time.Second); ; {
		b, err := os.ReadFile(comm)
		if err != nil || !strings.HasPrefix(string(b), "runc:") {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("pid %d is still runc's init (%s) 5s after runc run", pid, strings.TrimSpace(string(b)))
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// prepare builds the bundle: rootfs, extra files and config.json.
func (c *Container) prepare(opts Options) error {
	dir := c.Rootfs()
	if err := os.Mkdir(dir, 0o755); err != nil {
		return err
	}
	if err := rootfs.Busybox(dir); err != nil {
		return fmt.Errorf("build rootfs: %w", err)
	}
	for name, data := range opts.Files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(path, data, 0o755); err != nil {
			return err
		}
	}
	if out, err := exec.Command("runc", "spec", "--bundle", c.bundle).CombinedOutput(); err != nil {
		return fmt.Errorf("runc spec: %w: %s", err, out)
	}
	return editConfig(filepath.Join(c.bundle, "config.json"), opts)
}

// inspect records the init pid and its cgroup from the running container.
func (c *Container) inspect() error {
	out, err := exec.Command("runc", "state", c.name).Output()
	if err != nil {
		return fmt.Errorf("runc state: %w", err)
	}
	var state struct {
		Pid    int    `json:"pid"`
		Status string `json:"status"`
	}
	if err := json.Unmarshal(out, &state); err != nil {
		return fmt.Errorf("parse runc state: %w", err)
	}
	if state.Status != "running" || state.Pid == 0 {
		return fmt.Errorf("container is %s (pid %d), want running", state.Status, state.Pid)
	}
	c.pid = state.Pid
	if c.cgroupPath, err = cgroup2Path(fmt.Sprint(c.pid)); err != nil {
		return err
	}
	c.cgroupID, err = cgroup2ID(c.cgroupPath)
	return err
}

// Delete force-deletes the container, killing its processes, as a test's
// cleanup does. A container that no longer exists (deleted already, or runc
// run failed early) is not an error.
func (c *Container) Delete(t testing.TB) {
	out, err := exec.Command("runc", "delete", "--force", c.name).CombinedOutput()
	if err != nil && exec.Command("runc", "state", c.name).Run() == nil {
		t.Errorf("runc delete --force %s: %v: %s", c.name, err, out)
	}
}

// Name returns the runc container ID.
func (c *Container) Name() string { return c.name }

// Rootfs returns the host path of the container's root filesystem.
func (c *Container) Rootfs() string { return filepath.Join(c.bundle, "rootfs") }

// Pid returns the host pid of the container's init process.
func (c *Container) Pid() int { return c.pid }

// CgroupPath returns the init process's cgroup2 path (the 0:: line of
// /proc/<pid>/cgroup), e.g. "/rtsec-test-0a1b2c3d".
func (c *Container) CgroupPath() string { return c.cgroupPath }

// CgroupID returns the inode of the container's cgroup2 directory, which is
// what bpf_get_current_cgroup_id() returns for its processes.
func (c *Container) CgroupID() uint64 { return c.cgroupID }

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
