package k8s

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// netNS is a network namespace of the test's own: the control plane,
// the exporter and Prometheus listen and talk only inside it, on its
// loopback device, which carries the cluster's addresses (endpoint
// addresses may not be loopback ones). It has no other device, so no packet
// can leave it.
type netNS struct {
	name, path string
}

// newNetNS creates a namespace with lo up holding addrs (as /32s), removed
// when the test ends.
func newNetNS(t *testing.T, addrs ...string) *netNS {
	t.Helper()
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	n := &netNS{name: "rtsec-k8s-" + hex.EncodeToString(b)}
	n.path = filepath.Join("/run/netns", n.name)
	run(t, "ip", "netns", "add", n.name)
	t.Cleanup(func() { exec.Command("ip", "netns", "del", n.name).Run() })
	run(t, "ip", "-n", n.name, "link", "set", "lo", "up")
	for _, a := range addrs {
		run(t, "ip", "-n", n.name, "addr", "add", a+"/32", "dev", "lo")
	}
	return n
}

func run(t *testing.T, args ...string) {
	t.Helper()
	if out, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil {
		t.Fatalf("%s: %v: %s", strings.Join(args, " "), err, out)
	}
}

// DialContext connects from inside the namespace. The socket is created by
// a goroutine locked to a thread that joined the namespace; the goroutine
// returns without unlocking, so the runtime ends that thread and no other
// goroutine ever runs in the namespace.
func (n *netNS) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	type result struct {
		conn net.Conn
		err  error
	}
	done := make(chan result, 1)
	go func() {
		runtime.LockOSThread()
		f, err := os.Open(n.path)
		if err != nil {
			done <- result{err: err}
			return
		}
		defer f.Close()
		if err := unix.Setns(int(f.Fd()), unix.CLONE_NEWNET); err != nil {
			done <- result{err: fmt.Errorf("join %s: %w", n.name, err)}
			return
		}
		var d net.Dialer
		conn, err := d.DialContext(ctx, network, addr)
		done <- result{conn, err}
	}()
	r := <-done
	return r.conn, r.err
}

// process is a program running in the namespace, its output in a log file.
type process struct {
	name string
	log  string
	cmd  *exec.Cmd
	done chan struct{}
	err  error
}

// start runs argv in the namespace (nsenter changes only the network
// namespace: the programs see the host's /sys, cgroups and BPF file
// systems, unlike under `ip netns exec`), with env added. It is stopped
// with SIGTERM when the test ends; exiting before is a test error.
func (n *netNS) start(t *testing.T, dir, name string, env []string, argv ...string) *process {
	t.Helper()
	p := &process{name: name, log: filepath.Join(dir, name+".log"), done: make(chan struct{})}
	out, err := os.Create(p.log)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	p.cmd = exec.Command("nsenter", append([]string{"--net=" + n.path, "--"}, argv...)...)
	p.cmd.Env = append(os.Environ(), env...)
	p.cmd.Stdout, p.cmd.Stderr = out, out
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	go func() { p.err = p.cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		select {
		case <-p.done:
			t.Errorf("%s exited before the test ended (%v):\n%s", name, p.err, p.tail())
			return
		default:
		}
		p.cmd.Process.Signal(unix.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(15 * time.Second):
			p.cmd.Process.Kill()
			<-p.done
		}
	})
	return p
}

// exited reports an error naming the process when it is no longer running.
func (p *process) exited() error {
	select {
	case <-p.done:
		return fmt.Errorf("%s exited (%v):\n%s", p.name, p.err, p.tail())
	default:
		return nil
	}
}

// tail is the end of the process's log, for failure messages.
func (p *process) tail() string {
	data, _ := os.ReadFile(p.log)
	lines := bytes.Split(bytes.TrimRight(data, "\n"), []byte("\n"))
	if len(lines) > 30 {
		lines = lines[len(lines)-30:]
	}
	return string(bytes.Join(lines, []byte("\n")))
}

// waitFor polls check every 200ms until it returns nil, failing the test
// with the last error after timeout or as soon as one of procs exits.
func waitFor(t *testing.T, what string, timeout time.Duration, check func() error, procs ...*process) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var last error
	for {
		if last = check(); last == nil {
			return
		}
		for _, p := range procs {
			if err := p.exited(); err != nil {
				t.Fatalf("waiting for %s: %v", what, err)
			}
		}
		if time.Now().After(deadline) {
			var logs strings.Builder
			for _, p := range procs {
				fmt.Fprintf(&logs, "\nthe end of %s's log:\n%s", p.name, p.tail())
			}
			t.Fatalf("%s not within %s: %v%s", what, timeout, last, logs.String())
		}
		time.Sleep(200 * time.Millisecond)
	}
}
