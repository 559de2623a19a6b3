package runc

import (
	"math/bits"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/rtsec/rtsec/internal/testenv"
)

// The tests run real containers: they need root, runc and busybox-static.
func requireRunc(t *testing.T) {
	t.Helper()
	testenv.RequireRoot(t)
	testenv.RequireCommand(t, "runc")
}

func TestDefaultContainer(t *testing.T) {
	requireRunc(t)
	c := Start(t, Options{Files: map[string][]byte{"opt/hello": []byte("from host\n")}})

	if got := c.MustExec(t, "echo", "hi"); got != "hi\n" {
		t.Errorf("echo hi = %q, want %q", got, "hi\n")
	}
	if got := c.MustExec(t, "cat", "/opt/hello"); got != "from host\n" {
		t.Errorf("cat /opt/hello = %q, want %q", got, "from host\n")
	}
	c.MustExec(t, "touch", "/written") // the rootfs is writable by default
	if !strings.HasPrefix(c.Name(), "rtsec-test-") {
		t.Errorf("Name() = %q, want prefix rtsec-test-", c.Name())
	}
	if c.Pid() <= 1 {
		t.Errorf("Pid() = %d, want a host pid > 1", c.Pid())
	}
}

func TestCgroup(t *testing.T) {
	requireRunc(t)
	c := Start(t, Options{})

	path := c.CgroupPath()
	if path == "" || path == "/" {
		t.Fatalf("CgroupPath() = %q, want a non-root cgroup", path)
	}
	t.Logf("runc cgroup2 path of %s: %s", c.Name(), path)
	dir, err := cgroup2Dir(path)
	if err != nil {
		t.Fatal(err)
	}
	procs, err := os.ReadFile(filepath.Join(dir, "cgroup.procs"))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(strings.Fields(string(procs)), strconv.Itoa(c.Pid())) {
		t.Errorf("%s/cgroup.procs = %q, want pid %d in it", dir, procs, c.Pid())
	}
	var st os.FileInfo
	if st, err = os.Stat(dir); err != nil {
		t.Fatal(err)
	}
	if want := inode(t, st); c.CgroupID() != want {
		t.Errorf("CgroupID() = %d, want inode %d of %s", c.CgroupID(), want, dir)
	}
	selfPath, err := cgroup2Path("self")
	if err != nil {
		t.Fatal(err)
	}
	selfID, err := cgroup2ID(selfPath)
	if err != nil {
		t.Fatal(err)
	}
	if c.CgroupID() == selfID {
		t.Errorf("CgroupID() = %d, same as the test process's cgroup %s", selfID, selfPath)
	}
}

func TestPrivileged(t *testing.T) {
	requireRunc(t)
	def := Start(t, Options{})
	priv := Start(t, Options{Privileged: true})

	defCaps, privCaps := capEff(t, def.Pid()), capEff(t, priv.Pid())
	t.Logf("CapEff default %#x, privileged %#x", defCaps, privCaps)
	if bits.OnesCount64(privCaps) <= bits.OnesCount64(defCaps) {
		t.Errorf("CapEff privileged %#x, default %#x: want more bits when privileged", privCaps, defCaps)
	}
	if out := priv.MustExec(t, "grep", " /sys ", "/proc/mounts"); !strings.Contains(out, " rw,") {
		t.Errorf("privileged /sys mount = %q, want rw", out)
	}
}

func TestHostNamespaces(t *testing.T) {
	requireRunc(t)
	host := Start(t, Options{HostPID: true, HostNetwork: true})
	isolated := Start(t, Options{})

	for _, ns := range []string{"pid", "net"} {
		self := nsLink(t, "self", ns)
		if got := nsLink(t, strconv.Itoa(host.Pid()), ns); got != self {
			t.Errorf("host%s container: %s namespace %s, want the host's %s", ns, ns, got, self)
		}
		if got := nsLink(t, strconv.Itoa(isolated.Pid()), ns); got == self {
			t.Errorf("default container: %s namespace %s, want not the host's", ns, got)
		}
	}
}

func TestSeccomp(t *testing.T) {
	requireRunc(t)
	c := Start(t, Options{Seccomp: true})

	mode, err := statusHex(strconv.Itoa(c.Pid()), "Seccomp")
	if err != nil {
		t.Fatal(err)
	}
	if mode != 2 {
		t.Errorf("Seccomp = %d, want 2 (filter)", mode)
	}
}

func TestReadonlyRootfs(t *testing.T) {
	requireRunc(t)
	c := Start(t, Options{ReadonlyRootfs: true})

	if out, err := c.Exec(t, "touch", "/written"); err == nil {
		t.Errorf("touch /written on a read-only rootfs succeeded: %s", out)
	}
}

func TestUser(t *testing.T) {
	requireRunc(t)
	c := Start(t, Options{User: &User{UID: 65534, GID: 65534}})

	if got := c.MustExec(t, "id", "-u"); got != "65534\n" {
		t.Errorf("id -u = %q, want 65534", got)
	}
}

func TestCleanupDeletes(t *testing.T) {
	requireRunc(t)
	var c *Container
	t.Run("container", func(t *testing.T) {
		c = Start(t, Options{})
	})
	if c == nil {
		t.Fatal("subtest did not start a container")
	}
	if out, err := exec.Command("runc", "state", c.Name()).CombinedOutput(); err == nil {
		t.Errorf("runc state %s after cleanup succeeded: %s", c.Name(), out)
	}
	// The killed init may linger as a zombie until the host's init reaps it.
	if stat, err := os.ReadFile("/proc/" + strconv.Itoa(c.Pid()) + "/stat"); err == nil {
		if _, after, _ := strings.Cut(string(stat), ") "); !strings.HasPrefix(after, "Z") && !strings.HasPrefix(after, "X") {
			t.Errorf("init pid %d still alive after cleanup: %s", c.Pid(), stat)
		}
	}
	dir, err := cgroup2Dir(c.CgroupPath())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("cgroup %s after cleanup: %v, want it removed", dir, err)
	}
}

func capEff(t *testing.T, pid int) uint64 {
	t.Helper()
	v, err := statusHex(strconv.Itoa(pid), "CapEff")
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func nsLink(t *testing.T, pid, ns string) string {
	t.Helper()
	link, err := os.Readlink("/proc/" + pid + "/ns/" + ns)
	if err != nil {
		t.Fatal(err)
	}
	return link
}

func inode(t *testing.T, fi os.FileInfo) uint64 {
	t.Helper()
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		t.Fatalf("no inode for %s", fi.Name())
	}
	return st.Ino
}

// A host cgroup left by a killed run (no cleanup ran) does not stop the
// next run: an empty one is taken over.
func TestHostCgroupLeftover(t *testing.T) {
	testenv.RequireRoot(t)
	name := "rtsec-test-leftover-" + strconv.Itoa(os.Getpid())
	var dir string
	t.Run("where", func(t *testing.T) { dir = HostCgroup(t, name) })
	// What a killed run leaves.
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if again := HostCgroup(t, name); again != dir {
		t.Errorf("HostCgroup after a leftover = %s, want %s", again, dir)
	}
}
