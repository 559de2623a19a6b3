package posture

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/rtsec/rtsec/test/runc"
)

// A real runc container (host pid namespace, so that its first process can
// exit and leave the others running, and privileged, so that it can enter
// the host's network): a steady container is measured on its pinned first
// process without reading cgroup.procs again; a first process that enters
// the host's network with setns shows at the next scrape; once it exits,
// the next scrape reads cgroup.procs and measures the process that took
// its place.
func TestCacheRunc(t *testing.T) {
	// The first process (sh) starts a sleep, then waits for /go and execs
	// nsenter, which joins the network of this test (the host's: pid 1's
	// namespaces are not readable without the capabilities it holds) and
	// execs sleep: the same pid throughout.
	self := os.Getpid()
	c := runc.Start(t, runc.Options{Privileged: true, HostPID: true, Args: []string{"sh", "-c",
		"sleep 1000000 & while [ ! -e /go ]; do sleep 0.05; done; exec nsenter -t " + strconv.Itoa(self) + " -n sleep 1000001"}})
	procs := filepath.Join("/sys/fs/cgroup/unified", c.CgroupPath(), "cgroup.procs")
	if _, err := os.Stat(procs); err != nil {
		procs = filepath.Join("/sys/fs/cgroup", c.CgroupPath(), "cgroup.procs")
	}
	firstPid := func() (int, bool) {
		b, err := os.ReadFile(procs)
		if err != nil {
			return 0, false
		}
		line, _, _ := bytes.Cut(b, []byte("\n"))
		pid, err := strconv.Atoi(string(line))
		return pid, err == nil
	}
	cache := NewCache(Reader{Proc: "/proc", HostPid: self}, nil)
	t.Cleanup(cache.Close)
	if !cache.pidfds {
		t.Fatal("the real /proc is not taken for the exporter's own: no pidfds")
	}
	read := func(step string) Posture {
		t.Helper()
		if err := cache.Begin(); err != nil {
			t.Fatalf("%s: %v", step, err)
		}
		defer cache.End()
		p, err := cache.Read(c.Name(), firstPid)
		if err != nil {
			t.Fatalf("%s: %v", step, err)
		}
		return p
	}
	first := c.Pid()
	if p := read("first scrape"); p.HostNamespaces["net"] || !p.HostNamespaces["pid"] || !p.Privileged {
		t.Errorf("first scrape: host namespaces %v, privileged %v; want the host's pid, its own net, privileged", p.HostNamespaces, p.Privileged)
	}
	if e := cache.entries[c.Name()]; e == nil || e.pid != first || e.pidfd < 0 {
		t.Fatalf("first scrape: entry %+v, want pid %d pinned by a pidfd", e, first)
	}

	// Steady: neither cgroup.procs nor the pid namespace link is read.
	before := cache.reads
	read("steady scrape")
	if got, want := cache.reads, (reads{firstPids: before.firstPids, links: before.links + len(Namespaces) - 1, statuses: before.statuses + 1}); got != want {
		t.Errorf("steady scrape: reads %+v, want %+v (no first pid, every namespace link but pid's, status: no seccomp)", got, want)
	}

	// The first process joins the host's network.
	if err := os.WriteFile(filepath.Join(c.Rootfs(), "go"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	hostNet, err := os.Readlink("/proc/self/ns/net")
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the first process to join the host's network", func() bool {
		l, _ := os.Readlink("/proc/" + strconv.Itoa(first) + "/ns/net")
		return l == hostNet
	})
	before = cache.reads
	if p := read("after setns"); !p.HostNamespaces["net"] {
		t.Errorf("after setns into the host's network: host namespaces %v, want net", p.HostNamespaces)
	}
	if cache.reads.firstPids != before.firstPids {
		t.Errorf("after setns: the first pid was read again (%d times), want the pinned process", cache.reads.firstPids-before.firstPids)
	}

	// The first process exits: the sleep it started is the first now, in
	// the container's own network.
	if err := syscall.Kill(first, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "another first process", func() bool {
		pid, ok := firstPid()
		return ok && pid != first
	})
	next, _ := firstPid()
	if p := read("after the first process exited"); p.HostNamespaces["net"] {
		t.Errorf("after the first process exited: host namespaces %v, want its successor's own net", p.HostNamespaces)
	}
	if e := cache.entries[c.Name()]; e == nil || e.pid != next {
		t.Errorf("after the first process exited: entry %+v, want pid %d", e, next)
	}
}

// A confined privileged container (seccomp and no_new_privs, which hold
// for life) is
// measured without reading its status again: its capabilities and uid come
// from capget and the pidfd, and a change of uid (su, which clears the
// effective capabilities) shows at the next scrape.
func TestCacheConfined(t *testing.T) {
	c := runc.Start(t, runc.Options{Seccomp: true, Privileged: true, Files: map[string][]byte{
		"etc/passwd": []byte("root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/sh\n"),
	}, Args: []string{"sh", "-c", "while [ ! -e /go ]; do sleep 0.05; done; exec su -s /bin/sh nobody -c 'exec sleep 1000000'"}})
	pid := c.Pid()
	cache := NewCache(Reader{Proc: "/proc", HostPid: os.Getpid()}, nil)
	t.Cleanup(cache.Close)
	read := func(step string) Posture {
		t.Helper()
		if err := cache.Begin(); err != nil {
			t.Fatalf("%s: %v", step, err)
		}
		defer cache.End()
		p, err := cache.Read(c.Name(), func() (int, bool) { return pid, true })
		if err != nil {
			t.Fatalf("%s: %v", step, err)
		}
		return p
	}
	first := read("first scrape")
	if !first.SeccompEnabled || !first.NoNewPrivs || !first.RunningAsRoot || !first.Privileged {
		t.Fatalf("first scrape: %+v, want seccomp, no_new_privs, root, privileged", first)
	}
	before := cache.reads.statuses
	steady := read("steady scrape")
	if cache.reads.statuses != before {
		t.Errorf("steady scrape of a confined container: status read %d times, want 0", cache.reads.statuses-before)
	}
	if fmt.Sprint(steady) != fmt.Sprint(first) {
		t.Errorf("steady scrape: %+v, want what status gave, %+v", steady, first)
	}

	if err := os.WriteFile(filepath.Join(c.Rootfs(), "go"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the first process to become nobody", func() bool {
		b, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
		return bytes.Contains(b, []byte("\nUid:\t65534\t65534"))
	})
	before = cache.reads.statuses
	p := read("after su")
	if p.RunningAsRoot || p.Privileged || p.Caps["sys_admin"] || !p.SeccompEnabled || !p.NoNewPrivs {
		t.Errorf("after su nobody: %+v, want not root, no capabilities, still seccomp and no_new_privs", p)
	}
	if cache.reads.statuses != before {
		t.Errorf("after su: status read %d times, want 0", cache.reads.statuses-before)
	}
}

// waitFor waits up to 10 s for cond.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}
