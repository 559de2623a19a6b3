// Command nettool makes exactly the network syscalls a test asks for, in
// order, so tests and scenarios can assert exact counts. It is built
// statically (CGO_ENABLED=0) and copied into container root filesystems.
//
// Each argument is a step, optionally repeated with *N:
//
//	listen=ADDR        TCP listen on ADDR and accept (and close) connections
//	connect=ADDR       blocking connect(2) of a TCP socket, then close
//	dial=ADDR          non-blocking connect as Go's net.Dial does, then close
//	udp=ADDR/NAME      one DNS query for NAME sent with sendto(2) to ADDR
//	udpconn=ADDR/NAME  connect(2) a UDP socket to ADDR, send one query for NAME
//	udpflow=ADDR,…     one UDP socket sends a query for flow.example.test
//	                   with sendto(2) to each ADDR in turn (repeats allowed)
//	packet, raw        socket(2) of AF_PACKET, of SOCK_RAW ICMP
//	unix-listen=PATH   listen on a unix socket and accept connections
//	unix-connect=PATH  connect to a unix socket, then close
//	dns-serve=ADDR     answer every DNS query on UDP ADDR with an A record
//	                   for the link's remote address (10.77.0.1)
//	hold=DURATION      sleep, keeping the listeners open
//
// Every step prints one line; failures of the network are results, not
// errors: the exit status is 0 unless an argument is malformed.
package main

import (
	"fmt"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// maxRepeat bounds every loop a step can ask for.
const maxRepeat = 10000

func main() {
	for _, arg := range os.Args[1:] {
		step, n, err := repeat(arg)
		if err != nil {
			fmt.Fprintln(os.Stderr, "nettool:", err)
			os.Exit(2)
		}
		for range n {
			out, err := run(step)
			if err != nil {
				fmt.Fprintln(os.Stderr, "nettool:", err)
				os.Exit(2)
			}
			fmt.Println(step, out)
		}
	}
}

func repeat(arg string) (string, int, error) {
	step, count, ok := strings.Cut(arg, "*")
	if !ok {
		return arg, 1, nil
	}
	n, err := strconv.Atoi(count)
	if err != nil || n < 1 || n > maxRepeat {
		return "", 0, fmt.Errorf("%q: repeat count must be 1-%d", arg, maxRepeat)
	}
	return step, n, nil
}

func run(step string) (string, error) {
	kind, arg, _ := strings.Cut(step, "=")
	switch kind {
	case "listen":
		return listen("tcp", arg)
	case "unix-listen":
		os.Remove(arg)
		return listen("unix", arg)
	case "connect":
		return connectBlocking(arg)
	case "dial":
		return result(net.DialTimeout("tcp", arg, 2*time.Second))
	case "unix-connect":
		return result(net.DialTimeout("unix", arg, 2*time.Second))
	case "udp", "udpconn":
		addr, name, _ := strings.Cut(arg, "/")
		return query(kind == "udpconn", addr, name)
	case "udpflow":
		return flow(strings.Split(arg, ","))
	case "packet":
		return socket(unix.AF_PACKET, unix.SOCK_RAW, 0x0300) // ETH_P_ALL, network order
	case "raw":
		return socket(unix.AF_INET, unix.SOCK_RAW, unix.IPPROTO_ICMP)
	case "dns-serve":
		return serveDNS(arg)
	case "hold":
		d, err := time.ParseDuration(arg)
		if err != nil || d > 10*time.Minute {
			return "", fmt.Errorf("%q: want a duration up to 10m", step)
		}
		time.Sleep(d)
		return "ok", nil
	}
	return "", fmt.Errorf("unknown step %q", step)
}

// listen keeps the listener open for the life of the process.
func listen(network, addr string) (string, error) {
	l, err := net.Listen(network, addr)
	if err != nil {
		return "failed: " + err.Error(), nil
	}
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	return "ok " + l.Addr().String(), nil
}

func result(c net.Conn, err error) (string, error) {
	if err != nil {
		return "failed: " + err.Error(), nil
	}
	c.Close()
	return "ok", nil
}

func sockaddr(s string) (int, unix.Sockaddr, error) {
	ap, err := netip.ParseAddrPort(s)
	if err != nil {
		return 0, nil, err
	}
	if ap.Addr().Is4() {
		return unix.AF_INET, &unix.SockaddrInet4{Addr: ap.Addr().As4(), Port: int(ap.Port())}, nil
	}
	return unix.AF_INET6, &unix.SockaddrInet6{Addr: ap.Addr().As16(), Port: int(ap.Port())}, nil
}

// connectBlocking is one connect(2) on a blocking socket, which returns
// the result itself (no EINPROGRESS).
func connectBlocking(addr string) (string, error) {
	family, sa, err := sockaddr(addr)
	if err != nil {
		return "", err
	}
	fd, err := unix.Socket(family, unix.SOCK_STREAM, 0)
	if err != nil {
		return "", err
	}
	defer unix.Close(fd)
	if err := unix.Connect(fd, sa); err != nil {
		return "failed: " + err.Error(), nil
	}
	return "ok", nil
}

// query sends one DNS query for name, with sendto(2) or connect(2)+send.
func query(connected bool, addr, name string) (string, error) {
	family, sa, err := sockaddr(addr)
	if err != nil {
		return "", err
	}
	fd, err := unix.Socket(family, unix.SOCK_DGRAM, 0)
	if err != nil {
		return "", err
	}
	defer unix.Close(fd)
	msg := dnsQuery(name)
	if connected {
		if err := unix.Connect(fd, sa); err != nil {
			return "failed: " + err.Error(), nil
		}
		err = unix.Sendto(fd, msg, 0, nil)
	} else {
		err = unix.Sendto(fd, msg, 0, sa)
	}
	if err != nil {
		return "failed: " + err.Error(), nil
	}
	return "ok", nil
}

// flow sends one datagram to each address from a single UDP socket, so
// that a test sees which of a socket's datagrams are counted.
func flow(addrs []string) (string, error) {
	family, _, err := sockaddr(addrs[0])
	if err != nil {
		return "", err
	}
	fd, err := unix.Socket(family, unix.SOCK_DGRAM, 0)
	if err != nil {
		return "", err
	}
	defer unix.Close(fd)
	msg := dnsQuery("flow.example.test")
	for _, a := range addrs {
		f, sa, err := sockaddr(a)
		if err != nil {
			return "", err
		}
		if f != family {
			return "", fmt.Errorf("udpflow: %s is not of %s's family", a, addrs[0])
		}
		if err := unix.Sendto(fd, msg, 0, sa); err != nil {
			return "failed: " + err.Error(), nil
		}
	}
	return "ok", nil
}

// dnsQuery is a minimal A query for name in DNS wire format.
func dnsQuery(name string) []byte {
	msg := []byte{0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0}
	for _, label := range strings.Split(strings.TrimSuffix(name, "."), ".") {
		msg = append(msg, byte(len(label)))
		msg = append(msg, label...)
	}
	return append(msg, 0, 0, 1, 0, 1)
}

func socket(family, typ, proto int) (string, error) {
	fd, err := unix.Socket(family, typ, proto)
	if err != nil {
		return "failed: " + err.Error(), nil
	}
	unix.Close(fd)
	return "ok", nil
}

// serveDNS answers queries in the background for the life of the process.
func serveDNS(addr string) (string, error) {
	pc, err := net.ListenPacket("udp", addr)
	if err != nil {
		return "failed: " + err.Error(), nil
	}
	go func() {
		buf := make([]byte, 512)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			if n < 12 {
				continue
			}
			reply := append([]byte{}, buf[:n]...)
			reply[2], reply[3] = 0x81, 0x80 // response, recursion desired and available
			reply[6], reply[7] = 0, 1       // one answer
			reply = append(reply, 0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 10, 77, 0, 1)
			pc.WriteTo(reply, from)
		}
	}()
	return "ok " + pc.LocalAddr().String(), nil
}
