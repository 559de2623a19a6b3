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
	c := NewCache(Reader{Proc: "/proc", HostPid: os.Getpid()})
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
