package taskiter

import (
	"bufio"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/rtsec/rtsec/bpf"
	"github.com/rtsec/rtsec/exporter/bpfprog"
	"github.com/rtsec/rtsec/exporter/posture"
	"github.com/rtsec/rtsec/internal/testenv"
)

func load(t *testing.T) *Reader {
	t.Helper()
	testenv.RequireRoot(t)
	set := bpfprog.NewSet()
	t.Cleanup(func() { set.Close() })
	r, err := Load(set)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// fromProc is what /proc says of pid, as a Task.
func fromProc(t *testing.T, pid int) posture.Task {
	t.Helper()
	dir := "/proc/" + strconv.Itoa(pid)
	b, err := os.ReadFile(dir + "/status")
	if err != nil {
		t.Fatal(err)
	}
	var task posture.Task
	for line := range strings.Lines(string(b)) {
		k, v, _ := strings.Cut(strings.TrimSpace(line), ":")
		f := strings.Fields(v)
		switch k {
		case "Uid":
			n, _ := strconv.ParseUint(f[1], 10, 32)
			task.EUID = uint32(n)
		case "CapEff":
			task.CapEff, _ = strconv.ParseUint(f[0], 16, 64)
		case "Seccomp":
			task.Seccomp = f[0] != "0"
		case "NoNewPrivs":
			task.NoNewPrivs = f[0] == "1"
		}
	}
	for i, ns := range posture.Namespaces[1:] {
		link, err := os.Readlink(dir + "/ns/" + ns.Link)
		if err != nil {
			t.Fatal(err)
		}
		_, digits, _ := strings.Cut(strings.TrimSuffix(link, "]"), "[")
		n, _ := strconv.ParseUint(digits, 10, 32)
		task.Namespaces[i] = uint32(n)
	}
	return task
}

// Only the initial pid namespace's pids are the iterator's.
func TestInitialPidNS(t *testing.T) {
	for link, want := range map[string]bool{"pid:[4026531836]": true, "pid:[4026532201]": false, "": false, "pid:[4026531836": false} {
		if got := initialPidNS(link); got != want {
			t.Errorf("initialPidNS(%q) = %v, want %v", link, got, want)
		}
	}
}

// The decoder's offsets are those of the record bpf2go wrote.
func TestRecordLayout(t *testing.T) {
	var r bpf.TasksTaskPosture
	got := []uintptr{unsafe.Offsetof(r.Pid), unsafe.Offsetof(r.Euid), unsafe.Offsetof(r.CapEffective),
		unsafe.Offsetof(r.SeccompMode), unsafe.Offsetof(r.NoNewPrivs), unsafe.Offsetof(r.Ns)}
	want := []uintptr{0, 4, 8, 16, 20, 24}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("field %d of struct task_posture at %d, the decoder reads it at %d", i, got[i], want[i])
		}
	}
	if recordSize != 48 {
		t.Fatalf("struct task_posture is %d bytes, the decoder reads 48", recordSize)
	}
}

// A read reports exactly the watched processes that live, each as /proc
// reports it: the test itself (root, every capability) and a child without
// privileges in its own namespaces (an unprivileged uid, no_new_privs, a
// network and UTS namespace of its own).
func TestReadMatchesProc(t *testing.T) {
	r := load(t)
	child := exec.Command("unshare", "-n", "-u", "setpriv", "--no-new-privs", "--reuid", "65534", "--clear-groups", "--inh-caps", "-all", "sleep", "60")
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { child.Process.Kill(); child.Wait() })
	pid := child.Process.Pid
	// Until sleep runs, the child may still be unshare or setpriv.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if comm, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/comm"); string(comm) == "sleep\n" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the child never ran sleep")
		}
	}
	self := os.Getpid()
	for _, p := range []int{self, pid} {
		if err := r.Watch(p); err != nil {
			t.Fatal(err)
		}
	}
	out := map[int]posture.Task{12345678: {}} // emptied by Read
	if err := r.Read(out); err != nil {
		t.Fatal(err)
	}
	if len(out) != 2 {
		t.Fatalf("read %d tasks (%v), want the 2 watched", len(out), out)
	}
	for _, p := range []int{self, pid} {
		if got, want := out[p], fromProc(t, p); got != want {
			t.Errorf("pid %d: iterator %+v, /proc %+v", p, got, want)
		}
	}
	if c := out[pid]; c.EUID != 65534 || !c.NoNewPrivs || c.Namespaces[0] == out[self].Namespaces[0] || c.Namespaces[4] != out[self].Namespaces[4] {
		t.Errorf("child %+v, want uid 65534, no_new_privs, its own network namespace and the test's mount namespace", c)
	}

	r.Unwatch(self)
	child.Process.Kill()
	child.Wait()
	if err := r.Read(out); err != nil {
		t.Fatal(err)
	}
	if len(out) != 0 {
		t.Errorf("after unwatching one and reaping the other: read %v, want nothing", out)
	}
}

// The posture cache on the iterator sees what a container's first process
// does to itself after it was pinned: it enters a network namespace of its
// own and turns no_new_privs on, in the same process (exec keeps the pid),
// and the next Read reports both.
func TestCacheOnIterator(t *testing.T) {
	r := load(t)
	child := exec.Command("sh", "-c", "read x; exec unshare -n setpriv --no-new-privs sleep 60")
	stdin, err := child.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { child.Process.Kill(); child.Wait() })
	pid := child.Process.Pid
	c := posture.NewCache(posture.Reader{Proc: "/proc", HostPid: os.Getpid()}, r)
	t.Cleanup(c.Close)
	read := func() posture.Posture {
		t.Helper()
		if err := c.Begin(); err != nil {
			t.Fatal(err)
		}
		defer c.End()
		p, err := c.Read("c", func() (int, bool) { return pid, true })
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	for i := range 2 {
		if p := read(); !p.HostNamespaces["net"] || p.NoNewPrivs {
			t.Fatalf("read %d: %+v, want the host's network and no no_new_privs", i, p)
		}
	}
	var v uint8
	if err := r.pids.Lookup(uint32(pid), &v); err != nil {
		t.Fatalf("the cache pinned pid %d but the iterator does not watch it: %v", pid, err)
	}
	w := bufio.NewWriter(stdin)
	w.WriteString("go\n")
	w.Flush()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if comm, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/comm"); string(comm) == "sleep\n" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the child never ran sleep")
		}
	}
	if p := read(); p.HostNamespaces["net"] || !p.NoNewPrivs || !p.HostNamespaces["mnt"] {
		t.Errorf("after unshare -n and no_new_privs: %+v, want a network namespace of its own, no_new_privs and the host's mounts", p)
	}
	c.Close()
	if err := r.pids.Lookup(uint32(pid), &v); err == nil {
		t.Errorf("the cache is closed but the iterator still watches pid %d", pid)
	}
}
