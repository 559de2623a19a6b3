package collector

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rtsec/rtsec/exporter/posture"
)

// The host's mounts, pid 1's in the fake /proc.
const postureHostMountinfo = `22 27 0:21 / /proc rw,relatime - proc proc rw
27 1 254:0 / / rw,relatime - ext4 /dev/vda rw
30 27 0:26 / /run rw,nosuid - tmpfs tmpfs rw
`

// proc is a fake /proc: status, ns links and mountinfo per pid.
type proc string

// process writes pid's files; ns maps a namespace link name to its inode,
// the host's (4026531840 + i) for those not given.
func (p proc) process(t *testing.T, pid int, status, mountinfo string, ns map[string]int) {
	t.Helper()
	dir := filepath.Join(string(p), fmt.Sprint(pid))
	if err := os.MkdirAll(filepath.Join(dir, "ns"), 0o755); err != nil {
		t.Fatal(err)
	}
	for i, n := range posture.Namespaces {
		ino, ok := ns[n.Link]
		if !ok {
			ino = 4026531840 + i
		}
		if err := os.Symlink(fmt.Sprintf("%s:[%d]", n.Link, ino), filepath.Join(dir, "ns", n.Link)); err != nil {
			t.Fatal(err)
		}
	}
	for name, data := range map[string]string{"status": status, "mountinfo": mountinfo} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// status is a /proc/<pid>/status of the given effective uid, CapEff,
// NoNewPrivs and Seccomp mode.
func status(euid int, capEff string, noNewPrivs, seccomp int) string {
	return fmt.Sprintf("Name:\tsh\nUid:\t%d\t%d\t%d\t%d\nCapEff:\t%s\nNoNewPrivs:\t%d\nSeccomp:\t%d\n", euid, euid, euid, euid, capEff, noNewPrivs, seccomp)
}

// privileged writes pid's files as a privileged container's that shares the
// host's network and has the docker socket and the host's /etc mounted.
func (p proc) privileged(t *testing.T, pid int) {
	p.process(t, pid, status(0, "000001ffffffffff", 0, 0), `1 0 0:50 / / rw - overlay overlay rw
2 1 0:26 /docker.sock /var/run/docker.sock rw - tmpfs tmpfs rw
3 1 254:0 /etc /host/etc ro - ext4 /dev/vda rw
`, map[string]int{"pid": 1, "ipc": 2, "uts": 3, "cgroup": 4, "mnt": 5})
}

// postureNode is a fixed node whose containers' first processes are pids,
// by cgroup path, and a fake /proc with the host's pid 1.
func postureNode(t *testing.T, pids map[string]int, extra ...string) (*node, proc) {
	t.Helper()
	n := newNode(t, 0, nil, nil, extra...)
	for cg, pid := range pids {
		if err := os.WriteFile(filepath.Join(n.root, cg, "cgroup.procs"), []byte(fmt.Sprintf("%d\n", pid)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	p := proc(t.TempDir())
	p.process(t, 1, status(0, "000001ffffffffff", 0, 0), postureHostMountinfo, nil)
	return n, p
}

// Every live container's posture from one of its processes, against pid
// 1's: the privileged container gets its capabilities, namespace and
// mount series; a restricted one only its info series; a container whose
// process has exited is skipped; a host service is no container.
func TestPostureGolden(t *testing.T) {
	const gone = "/docker/cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"
	n, p := postureNode(t, map[string]int{cgWeb: 101, cgJob: 102, gone: 103, cgSSH: 105}, gone)
	p.privileged(t, 101)
	// Restricted: nobody, no capabilities, seccomp, no_new_privs, a
	// read-only root, every namespace its own.
	p.process(t, 102, status(65534, "0000000000000000", 1, 2), "1 0 0:51 / / ro - overlay overlay rw\n",
		map[string]int{"pid": 11, "net": 12, "ipc": 13, "uts": 14, "cgroup": 15, "mnt": 16})
	p.process(t, 105, status(0, "000001ffffffffff", 0, 0), postureHostMountinfo, nil)
	assertGolden(t, &scrape{c: newPosture(n.resolver, posture.Reader{Proc: string(p), HostPid: 1}, nil)}, "posture")
}

// A status the kernel would never write fails the scrape, naming the
// process and the field, and the other containers are still measured.
func TestPostureUnreadableStatus(t *testing.T) {
	const broken = "/docker/dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd"
	n, p := postureNode(t, map[string]int{cgWeb: 101, broken: 104}, broken)
	p.privileged(t, 101)
	p.process(t, 104, "Name:\tsh\nUid:\t0\t0\t0\t0\nCapEff:\tnot-hex\nNoNewPrivs:\t0\nSeccomp:\t0\n", "1 0 0:52 / / rw - overlay overlay rw\n", nil)
	s := &scrape{c: newPosture(n.resolver, posture.Reader{Proc: string(p), HostPid: 1}, nil)}
	out := string(exposition(t, s))
	if s.err == nil || !strings.Contains(s.err.Error(), "pid 104") || !strings.Contains(s.err.Error(), "CapEff") {
		t.Errorf("scrape error %v, want one naming pid 104's CapEff", s.err)
	}
	if !strings.Contains(out, `rtsec_container_posture_info{container="nginx",container_id="`+hexWeb) {
		t.Errorf("the readable container's posture is missing:\n%s", out)
	}
	if strings.Contains(out, "dddd") {
		t.Errorf("the unreadable container has series:\n%s", out)
	}
}

// The posture cache between scrapes: a container's namespaces are read
// at every scrape (its process joined the host's network: seen at once),
// again when its first process changes, its mounts and its capabilities at the next scrape after they changed,
// its mounts again when the host's changed, and its namespaces when the
// host's changed.
func TestPostureCache(t *testing.T) {
	n, p := postureNode(t, map[string]int{cgWeb: 101})
	p.privileged(t, 101)
	s := &scrape{c: newPosture(n.resolver, posture.Reader{Proc: string(p), HostPid: 1}, nil)}
	series := func(step, name, label string, want bool) {
		t.Helper()
		out := string(exposition(t, s, name))
		if s.err != nil {
			t.Fatalf("%s: %v", step, s.err)
		}
		if got := strings.Contains(out, label); got != want {
			t.Errorf("%s: %s has %s: %v, want %v:\n%s", step, name, label, got, want, out)
		}
	}
	series("first scrape", "rtsec_container_host_namespace", `ns="net"`, true)
	series("first scrape", "rtsec_container_sensitive_mounts", `mount="docker_sock"`, true)

	// The same process moves to a network namespace of its own, then back
	// to the host's (setns): each is seen at the next scrape.
	link := filepath.Join(string(p), "101", "ns", "net")
	relink := func(target string) {
		t.Helper()
		if err := os.Remove(link); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(target, link); err != nil {
			t.Fatal(err)
		}
	}
	relink("net:[99]")
	series("same pid, own network", "rtsec_container_host_namespace", `ns="net"`, false)
	hostNet, err := os.Readlink(filepath.Join(string(p), "1", "ns", "net"))
	if err != nil {
		t.Fatal(err)
	}
	relink(hostNet)
	series("same pid, joined the host's network", "rtsec_container_host_namespace", `ns="net"`, true)

	// Its mounts and capabilities change: the next scrape sees them.
	write := func(pid int, name, data string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(string(p), fmt.Sprint(pid), name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(101, "mountinfo", "1 0 0:50 / / rw - overlay overlay rw\n3 1 254:0 /etc /host/etc ro - ext4 /dev/vda rw\n")
	write(101, "status", status(0, "0000000000000000", 0, 0))
	series("mount change", "rtsec_container_sensitive_mounts", `mount="docker_sock"`, false)
	series("mount change", "rtsec_container_sensitive_mounts", `mount="etc"`, true)
	series("capability change", "rtsec_container_capabilities", `cap="sys_admin"`, false)

	// The host's disk is now mounted at /data: the container's mount of
	// its /etc shows the host's /data/etc.
	write(1, "mountinfo", "27 1 254:9 / / rw - ext4 /dev/vdb rw\n28 27 254:0 / /data rw - ext4 /dev/vda rw\n")
	series("host mount change", "rtsec_container_sensitive_mounts", `mount="etc"`, false)

	// Another first process, in its own namespaces: they are read again.
	p.process(t, 106, status(0, "0000000000000000", 0, 0), "1 0 0:50 / / rw - overlay overlay rw\n",
		map[string]int{"pid": 11, "net": 12, "ipc": 13, "uts": 14, "cgroup": 15, "mnt": 16})
	if err := os.WriteFile(filepath.Join(n.root, cgWeb, "cgroup.procs"), []byte("106\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	series("pid change", "rtsec_container_host_namespace", `ns="net"`, false)

	// The host's namespaces change (the exporter compares with its own
	// when pid 1's are unreadable): every container's are compared again.
	hostNetLink := filepath.Join(string(p), "1", "ns", "net")
	if err := os.Remove(hostNetLink); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("net:[12]", hostNetLink); err != nil {
		t.Fatal(err)
	}
	series("host namespace change", "rtsec_container_host_namespace", `ns="net"`, true)
}
