package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	"golang.org/x/sys/unix"

	"github.com/rtsec/rtsec/test/rootfs"
)

// row is one measured loop: n operations of one kind.
type row struct {
	name string
	ops  int
	loop func(n int) error
	// hooks are the sections of the programs the loop's syscalls run,
	// whose run time the program column sums: the other processes of a
	// busy machine run every other program meanwhile. nil: every program
	// (exec, fork and connect run many).
	hooks []string
}

// syscallHooks names the tracepoint sections of syscalls' enter or exit,
// and the raw syscall entry every syscall runs (the compat syscall
// counter's, bpf/src/process/compat.h).
func syscallHooks(names ...string) []string {
	hooks := []string{"tp_btf/sys_enter"}
	for _, n := range names {
		hooks = append(hooks, "tracepoint/syscalls/"+n)
	}
	return hooks
}

// rows returns the table's loops, with ops scaled by scale, their files
// made in dir, and a cleanup for what lies outside dir.
func rows(dir string, scale float64) ([]row, func(), error) {
	if _, err := os.Stat(rootfs.BusyboxPath); err != nil {
		return nil, nil, fmt.Errorf("the fork+exit row needs %s (busybox-static): %w", rootfs.BusyboxPath, err)
	}
	plain := filepath.Join(dir, "plain")
	created := filepath.Join(dir, "created")
	watched := fmt.Sprintf("/etc/rtsec-overhead-%d", os.Getpid())
	for _, p := range []string{plain, watched} {
		if err := os.WriteFile(p, nil, 0o600); err != nil {
			return nil, nil, err
		}
	}
	cleanup := func() { os.Remove(watched) }
	udp, err := newUDPTargets()
	if err != nil {
		cleanup()
		return nil, nil, err
	}
	cleanup = func() { os.Remove(watched); udp.close() }
	n := func(ops int) int { return max(1, int(float64(ops)*scale)) }
	return []row{
		{"openat+close, read-only, unwatched file", n(20000), func(n int) error { return openLoop(plain, unix.O_RDONLY, n) }, syscallHooks("sys_exit_openat")},
		{"write-open O_WRONLY,O_CREAT+close, watched path below /etc", n(20000), func(n int) error { return openLoop(watched, unix.O_WRONLY|unix.O_CREAT, n) }, syscallHooks("sys_exit_openat")},
		{"write-create open O_WRONLY,O_CREAT+close, unwatched tmp file", n(20000), func(n int) error { return openLoop(created, unix.O_WRONLY|unix.O_CREAT, n) }, syscallHooks("sys_exit_openat")},
		{"getpid (no syscall's own hook)", n(50000), func(n int) error { return syscallLoop(unix.SYS_GETPID, 0, n) }, syscallHooks()},
		{"fork+exec /bin/true", n(100), execLoop, nil},
		{"TCP connect+accept, loopback", n(1000), connectLoop, nil},
		{"UDP sendto, loopback, non-DNS port", n(20000), func(n int) error { return udp.send(udp.plain, n) }, syscallHooks("sys_enter_sendto")},
		{"UDP sendto, loopback, DNS port 53", n(20000), func(n int) error { return udp.send(udp.dns, n) }, syscallHooks("sys_enter_sendto")},
		{"fork+exit (busybox sh \"( : )\")", n(200), forkLoop, nil},
		{"setresuid(-1,-1,-1)", n(50000), func(n int) error { return syscallLoop(unix.SYS_SETRESUID, ^uintptr(0), n) }, syscallHooks("sys_enter_setresuid", "sys_exit_setresuid")},
		{"unshare(0)", n(50000), func(n int) error { return syscallLoop(unix.SYS_UNSHARE, 0, n) }, syscallHooks("sys_exit_unshare")},
	}, cleanup, nil
}

func openLoop(path string, flags, n int) error {
	for range n {
		fd, err := unix.Openat(unix.AT_FDCWD, path, flags|unix.O_CLOEXEC, 0o600)
		if err != nil {
			return fmt.Errorf("open %s: %w", path, err)
		}
		unix.Close(fd)
	}
	return nil
}

// syscallLoop makes n calls of nr with arg in its first three arguments.
func syscallLoop(nr, arg uintptr, n int) error {
	for range n {
		if _, _, e := unix.RawSyscall(nr, arg, arg, arg); e != 0 {
			return fmt.Errorf("syscall %d: %w", nr, e)
		}
	}
	return nil
}

func execLoop(n int) error {
	for range n {
		if err := exec.Command("/bin/true").Run(); err != nil {
			return err
		}
	}
	return nil
}

// forkLoop runs a shell that forks n subshells, each exiting at once.
func forkLoop(n int) error {
	script := fmt.Sprintf("i=0; while [ $i -lt %d ]; do ( : ); i=$((i+1)); done", n)
	if out, err := exec.Command(rootfs.BusyboxPath, "sh", "-c", script).CombinedOutput(); err != nil {
		return fmt.Errorf("fork loop: %w: %s", err, out)
	}
	return nil
}

// connectLoop makes n blocking loopback connections to a listener that
// accepts and closes them: connect, accept, close, close.
func connectLoop(n int) error {
	lfd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(lfd)
	if err := unix.Bind(lfd, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		return err
	}
	if err := unix.Listen(lfd, 128); err != nil {
		return err
	}
	sa, err := unix.Getsockname(lfd)
	if err != nil {
		return err
	}
	for range n {
		cfd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			return err
		}
		// SO_LINGER 0: close with a RST, so no TIME_WAIT piles up.
		unix.SetsockoptLinger(cfd, unix.SOL_SOCKET, unix.SO_LINGER, &unix.Linger{Onoff: 1, Linger: 0})
		if err := unix.Connect(cfd, sa); err != nil {
			unix.Close(cfd)
			return fmt.Errorf("connect: %w", err)
		}
		afd, _, err := unix.Accept4(lfd, unix.SOCK_CLOEXEC)
		if err != nil {
			unix.Close(cfd)
			return fmt.Errorf("accept: %w", err)
		}
		unix.Close(cfd)
		unix.Close(afd)
	}
	return nil
}

// udpTargets is a sending socket and two bound receivers on loopback, one
// on port 53 (DNS, whose queries rtsec reads), that never read: a full
// receive buffer drops datagrams, the sender does not notice.
type udpTargets struct {
	fd, plainFd, dnsFd int
	plain, dns         unix.Sockaddr
}

// dnsQuery is a query for example.com's A record.
var dnsQuery = []byte("\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x07example\x03com\x00\x00\x01\x00\x01")

func newUDPTargets() (*udpTargets, error) {
	u := &udpTargets{fd: -1, plainFd: -1, dnsFd: -1}
	var err error
	if u.fd, err = unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0); err != nil {
		return nil, err
	}
	if u.plainFd, u.plain, err = udpReceiver(0); err != nil {
		u.close()
		return nil, err
	}
	if u.dnsFd, u.dns, err = udpReceiver(53); err != nil {
		u.close()
		return nil, fmt.Errorf("bind 127.0.0.1:53 (is a DNS server listening there?): %w", err)
	}
	return u, nil
}

func udpReceiver(port int) (int, unix.Sockaddr, error) {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, nil, err
	}
	if err := unix.Bind(fd, &unix.SockaddrInet4{Port: port, Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		unix.Close(fd)
		return -1, nil, err
	}
	sa, err := unix.Getsockname(fd)
	if err != nil {
		unix.Close(fd)
		return -1, nil, err
	}
	return fd, sa, nil
}

func (u *udpTargets) send(to unix.Sockaddr, n int) error {
	for range n {
		if err := unix.Sendto(u.fd, dnsQuery, 0, to); err != nil {
			return fmt.Errorf("sendto: %w", err)
		}
	}
	return nil
}

func (u *udpTargets) close() {
	for _, fd := range []int{u.fd, u.plainFd, u.dnsFd} {
		if fd >= 0 {
			unix.Close(fd)
		}
	}
}
