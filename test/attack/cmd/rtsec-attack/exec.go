package main

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"syscall"

	"golang.org/x/sys/unix"
)

func needProgram(args []string) error {
	if len(args) == 0 {
		return errors.New("want PROG [ARGS…]")
	}
	return nil
}

// stdioSocket connects to a listener of its own on 127.0.0.1 and execs
// args with that connection as fds 0, 1 and 2: a reverse shell's shape.
func stdioSocket(args []string) error {
	if err := needProgram(args); err != nil {
		return err
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	go func() {
		for {
			if _, err := l.Accept(); err != nil {
				return
			}
		}
	}()
	conn, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		return err
	}
	f, err := conn.(*net.TCPConn).File()
	if err != nil {
		return err
	}
	for fd := range 3 {
		if err := unix.Dup2(int(f.Fd()), fd); err != nil {
			return fmt.Errorf("dup2: %w", err)
		}
	}
	return execv(args[0], args)
}

// memfd copies PROG into a memfd and execs it through /proc/self/fd.
func memfd(args []string) error {
	if err := needProgram(args); err != nil {
		return err
	}
	data, err := os.ReadFile(args[0])
	if err != nil {
		return err
	}
	fd, err := unix.MemfdCreate("payload", 0)
	if err != nil {
		return fmt.Errorf("memfd_create: %w", err)
	}
	if _, err := unix.Write(fd, data); err != nil {
		return err
	}
	return execv(fmt.Sprintf("/proc/self/fd/%d", fd), args)
}

// deleted copies PROG next to itself, opens it, unlinks it, and execs the
// open file.
func deleted(args []string) error {
	if err := needProgram(args); err != nil {
		return err
	}
	data, err := os.ReadFile(args[0])
	if err != nil {
		return err
	}
	path := args[0] + ".rtsec-deleted"
	if err := os.WriteFile(path, data, 0o755); err != nil {
		return err
	}
	fd, err := unix.Open(path, unix.O_RDONLY, 0)
	if err != nil {
		return err
	}
	if err := os.Remove(path); err != nil {
		return err
	}
	return execv(fmt.Sprintf("/proc/self/fd/%d", fd), args)
}

// ttyShell runs SHELL -c true in a new session whose controlling terminal
// is a fresh pseudo-terminal, as `kubectl exec -it` does.
func ttyShell(args []string) error {
	if len(args) != 1 {
		return errors.New("want SHELL")
	}
	ptmx, err := os.OpenFile("/dev/ptmx", os.O_RDWR, 0)
	if err != nil {
		return err
	}
	defer ptmx.Close()
	if err := unix.IoctlSetPointerInt(int(ptmx.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		return fmt.Errorf("unlock pty: %w", err)
	}
	n, err := unix.IoctlGetInt(int(ptmx.Fd()), unix.TIOCGPTN)
	if err != nil {
		return fmt.Errorf("pty number: %w", err)
	}
	pts, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		return err
	}
	defer pts.Close()
	go func() { _, _ = ptmx.Read(make([]byte, 4096)) }()
	cmd := exec.Command(args[0], "-c", "true")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = pts, pts, pts
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	return cmd.Run()
}

func execv(path string, args []string) error {
	err := unix.Exec(path, args, os.Environ())
	return fmt.Errorf("exec %s: %w", path, err)
}
