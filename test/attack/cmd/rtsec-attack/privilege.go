package main

import (
	"fmt"
	"os"
	"runtime"

	"golang.org/x/sys/unix"
)

// setuid, run as a non-root user from a setuid-root file, sets its
// effective uid to the real (non-root) uid and then back to 0, on one
// thread: one setuid_exec at its exec, one setuid_root here.
func setuid() error {
	runtime.LockOSThread()
	uid := uintptr(unix.Getuid())
	if unix.Geteuid() != 0 || uid == 0 {
		return fmt.Errorf("want euid 0 and a non-root uid, have euid %d uid %d", unix.Geteuid(), uid)
	}
	keep := ^uintptr(0) // -1: unchanged
	if _, _, errno := unix.RawSyscall(unix.SYS_SETRESUID, keep, uid, keep); errno != 0 {
		return fmt.Errorf("setresuid(-1, %d, -1): %w", uid, errno)
	}
	if _, _, errno := unix.RawSyscall(unix.SYS_SETRESUID, keep, 0, keep); errno != 0 {
		return fmt.Errorf("setresuid(-1, 0, -1): %w", errno)
	}
	fmt.Println("euid", unix.Geteuid())
	return nil
}

// capset drops CAP_NET_BIND_SERVICE from the thread's effective set and
// raises it again: one capability gained.
func capset() error {
	runtime.LockOSThread()
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	if err := unix.Capget(&hdr, &data[0]); err != nil {
		return fmt.Errorf("capget: %w", err)
	}
	const bit = 1 << unix.CAP_NET_BIND_SERVICE
	if data[0].Permitted&bit == 0 {
		return fmt.Errorf("CAP_NET_BIND_SERVICE not permitted")
	}
	data[0].Effective &^= bit
	if err := unix.Capset(&hdr, &data[0]); err != nil {
		return fmt.Errorf("capset drop: %w", err)
	}
	data[0].Effective |= bit
	if err := unix.Capset(&hdr, &data[0]); err != nil {
		return fmt.Errorf("capset raise: %w", err)
	}
	fmt.Fprintln(os.Stdout, "capset raised")
	return nil
}

// drop is what a well-behaved service does at start: clear its effective
// capabilities (capset) and settle its uids (setresuid to its own real uid),
// then exec its program. No privilege is gained, so nothing may count.
func drop(args []string) error {
	if err := needProgram(args); err != nil {
		return err
	}
	runtime.LockOSThread()
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	if err := unix.Capget(&hdr, &data[0]); err != nil {
		return fmt.Errorf("capget: %w", err)
	}
	data[0].Effective, data[1].Effective = 0, 0
	if err := unix.Capset(&hdr, &data[0]); err != nil {
		return fmt.Errorf("capset: %w", err)
	}
	uid := uintptr(unix.Getuid())
	if _, _, errno := unix.RawSyscall(unix.SYS_SETRESUID, uid, uid, uid); errno != 0 {
		return fmt.Errorf("setresuid(%d): %w", uid, errno)
	}
	return execv(args[0], args)
}
