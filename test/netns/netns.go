// Package netns gives a test a network namespace of its own, joined to a
// container's network namespace by a veth pair, to stand for remote hosts
// (metadata, private, public documentation addresses) with no packet ever
// leaving the machine: neither namespace gets a default route, and the
// container routes only the addresses the test names through the pair.
package netns

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/rtsec/rtsec/internal/testenv"
)

// Link is the /24 of the veth pair: the container is .2, the remote .1.
const Link = "10.77.0"

// Remote is a network namespace joined to a container's.
type Remote struct {
	name string
}

// Attach creates a namespace holding addrs (on its loopback) plus the link
// address, joins it to the network namespace of pid by a veth pair, and
// routes each of addrs from the container through the pair. Everything is
// removed when the test ends.
func Attach(t testing.TB, pid int, addrs ...netip.Addr) *Remote {
	t.Helper()
	testenv.RequireRoot(t)
	testenv.RequireCommand(t, "ip")
	testenv.RequireCommand(t, "nsenter")
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	suffix := hex.EncodeToString(b)
	r := &Remote{name: "rtsec-" + suffix}
	host, peer := "rh"+suffix, "rc"+suffix
	in := func(args ...string) []string {
		return append([]string{"nsenter", "-t", fmt.Sprint(pid), "-n"}, args...)
	}
	must(t, "ip", "netns", "add", r.name)
	t.Cleanup(func() { exec.Command("ip", "netns", "del", r.name).Run() })
	// Both ends are created in their namespaces: neither ever sits in the host's.
	must(t, "ip", "link", "add", host, "netns", r.name, "type", "veth", "peer", "name", peer, "netns", fmt.Sprint(pid))
	must(t, "ip", "-n", r.name, "link", "set", "lo", "up")
	must(t, "ip", "-n", r.name, "addr", "add", Link+".1/24", "dev", host)
	must(t, "ip", "-n", r.name, "link", "set", host, "up")
	must(t, in("ip", "link", "set", "lo", "up")...)
	must(t, in("ip", "addr", "add", Link+".2/24", "dev", peer)...)
	must(t, in("ip", "link", "set", peer, "up")...)
	for _, a := range addrs {
		bits := a.BitLen()
		must(t, "ip", "-n", r.name, "addr", "add", fmt.Sprintf("%s/%d", a, bits), "dev", "lo")
		must(t, in("ip", "route", "add", fmt.Sprintf("%s/%d", a, bits), "via", Link+".1")...)
	}
	return r
}

// Name is the namespace's name, for `ip netns exec`.
func (r *Remote) Name() string { return r.name }

// Start runs a command in the namespace in the background, killed when the
// test ends (exiting before is a test error), and waits until its output holds ready lines (nettool prints
// one per step: its listeners are then up).
func (r *Remote) Start(t testing.TB, ready int, args ...string) {
	t.Helper()
	out, err := os.CreateTemp(t.TempDir(), "remote-*.out")
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	cmd := exec.Command("ip", append([]string{"netns", "exec", r.name}, args...)...)
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %v in %s: %v", args, r.name, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		select {
		case err := <-exited:
			data, _ := os.ReadFile(out.Name())
			t.Errorf("%v in %s exited before the test ended (%v): %s", args, r.name, err, data)
		default:
			cmd.Process.Kill()
			<-exited
		}
	})
	deadline := time.Now().Add(5 * time.Second)
	for {
		data, _ := os.ReadFile(out.Name())
		if strings.Count(string(data), "\n") >= ready {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%v in %s not ready within 5s: %s", args, r.name, data)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func must(t testing.TB, args ...string) {
	t.Helper()
	if out, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil {
		t.Fatalf("%s: %v: %s", strings.Join(args, " "), err, out)
	}
}

// Unanswered routes addr from the network namespace of pid to a neighbour
// of the link that does not exist: packets to it are never delivered (ARP
// fails), so a TCP connect to it stays in SYN_SENT until its caller gives up.
func Unanswered(t testing.TB, pid int, addr netip.Addr) {
	t.Helper()
	must(t, "nsenter", "-t", fmt.Sprint(pid), "-n", "ip", "route", "add", fmt.Sprintf("%s/%d", addr, addr.BitLen()), "via", Link+".99")
}
