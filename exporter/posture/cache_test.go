package posture

import (
	"errors"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"
)

// On the real /proc, a container's mountinfo is read again only after poll
// reports a change of its mount table, and that change shows at the next
// Read. Needs root (a mount namespace and a mount in it).
func TestCacheMountChange(t *testing.T) {
	if os.Geteuid() != 0 {
		if os.Getenv("CI") == "true" {
			t.Fatal("needs root to make a mount namespace")
		}
		t.Skip("needs root")
	}
	cmd := exec.Command("unshare", "-m", "--propagation", "private", "sleep", "60")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	pid := cmd.Process.Pid
	self, err := readLink("/proc/self", "mnt")
	if err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if l, err := readLink("/proc/"+strconv.Itoa(pid), "mnt"); err == nil && l != self {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("unshare made no mount namespace")
		}
	}
	c := NewCache(Reader{Proc: "/proc", HostPid: os.Getpid()}, nil)
	t.Cleanup(c.Close)
	read := func(step string) Posture {
		t.Helper()
		if err := c.Begin(); err != nil {
			t.Fatal(err)
		}
		p, err := c.Read("c", fixed(pid))
		if err != nil {
			t.Fatalf("%s: %v", step, err)
		}
		c.End()
		return p
	}
	if p := read("first read"); p.SensitiveMounts["etc"] || p.HostNamespaces["mnt"] || !p.HostNamespaces["pid"] {
		t.Errorf("first read: %+v, want the host's pid namespace, its own mount namespace, no sensitive mount", p)
	}
	var buf []byte
	if err := c.poll(); err != nil {
		t.Fatal(err)
	}
	if _, changed, err := c.entries["c"].mountinfo.readChanged(&buf); err != nil || changed {
		t.Errorf("mountinfo unchanged since the last read: read again %v (%v), want not", changed, err)
	}
	if out, err := exec.Command("nsenter", "-t", strconv.Itoa(pid), "-m", "mount", "--bind", "/etc", "/mnt").CombinedOutput(); err != nil {
		t.Fatalf("bind mount in the namespace: %v: %s", err, out)
	}
	if p := read("after a mount"); !p.SensitiveMounts["etc"] {
		t.Errorf("after /etc was bind-mounted: sensitive mounts %v, want etc", p.SensitiveMounts)
	}
	// Past the bound on kept files, a container is measured all the same.
	c.max = 0
	c.entries["c"].close()
	delete(c.entries, "c")
	if p := read("past the bound"); !p.SensitiveMounts["etc"] || len(c.entries) != 0 {
		t.Errorf("past the bound: sensitive mounts %v, %d entries kept; want etc, none kept", p.SensitiveMounts, len(c.entries))
	}
	c.max = 1

	// The process exits: its kept files fail, and so does the read, as
	// for a process that is gone.
	cmd.Process.Kill()
	cmd.Wait()
	if err := c.Begin(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Read("c", fixed(pid)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("read of an exited process: %v, want one that is os.ErrNotExist", err)
	}
	c.End()
}

// fixed is a container's first pid as always pid.
func fixed(pid int) func() (int, bool) {
	return func() (int, bool) { return pid, true }
}

// fakeTasks answers for the pids of tasks, with what tasks holds.
type fakeTasks struct {
	tasks   map[int]Task
	watched map[int]bool
}

func (f *fakeTasks) Watch(pid int) error { f.watched[pid] = true; return nil }
func (f *fakeTasks) Unwatch(pid int)     { delete(f.watched, pid) }
func (f *fakeTasks) Read(out map[int]Task) error {
	clear(out)
	for pid := range f.watched {
		if t, ok := f.tasks[pid]; ok {
			out[pid] = t
		}
	}
	return nil
}

// With Tasks, a pinned process's status and namespace links are read once,
// when it is pinned; later scrapes take them from Tasks, and a change Tasks
// reports (a namespace, no_new_privs) is the posture's. A process Tasks
// does not report is read from /proc.
func TestCacheTasks(t *testing.T) {
	cmd := exec.Command("sleep", "60")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	pid := cmd.Process.Pid
	fake := &fakeTasks{tasks: map[int]Task{}, watched: map[int]bool{}}
	c := NewCache(Reader{Proc: "/proc", HostPid: os.Getpid()}, fake)
	t.Cleanup(c.Close)
	read := func() Posture {
		t.Helper()
		if err := c.Begin(); err != nil {
			t.Fatal(err)
		}
		defer c.End()
		p, err := c.Read("c", fixed(pid))
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	first := read()
	if !fake.watched[pid] {
		t.Fatalf("pid %d pinned but not watched", pid)
	}
	before := c.reads
	read() // Tasks has no record of it: /proc
	if c.reads.statuses == before.statuses || c.reads.links == before.links {
		t.Errorf("reads %+v → %+v: a process Tasks did not report was not read from /proc", before, c.reads)
	}
	e := c.entries["c"]
	fake.tasks[pid] = Task{CapEff: e.status0.capEff, EUID: 0, Seccomp: first.SeccompEnabled, NoNewPrivs: first.NoNewPrivs, Namespaces: e.inodes}
	before = c.reads
	if p := read(); p.NoNewPrivs != first.NoNewPrivs || !p.HostNamespaces["net"] {
		t.Errorf("from Tasks: %+v, want %+v", p, first)
	}
	if c.reads.statuses != before.statuses || c.reads.links != before.links || c.reads.tasks != before.tasks+1 {
		t.Errorf("reads %+v → %+v: want one task and no status or link read", before, c.reads)
	}
	moved := fake.tasks[pid]
	moved.NoNewPrivs, moved.Namespaces[0] = true, 1
	fake.tasks[pid] = moved
	p := read()
	if !p.NoNewPrivs {
		t.Errorf("Tasks reports no_new_privs: posture %+v", p)
	}
	if c.reads.links == before.links {
		t.Errorf("Tasks reports another network namespace: its links were not read again")
	}
	c.Close()
	if len(fake.watched) != 0 {
		t.Errorf("closed, but Tasks still watches %v", fake.watched)
	}
}
