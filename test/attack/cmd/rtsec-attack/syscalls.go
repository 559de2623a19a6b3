package main

import (
	"errors"
	"fmt"
	"os"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// call is one harmless call of a sensitive syscall (bad arguments, no-op
// flags or a missing target), with the name rtsec counts it under ("" for
// calls rtsec must not count).
type call struct {
	name string
	nr   uintptr
	args [6]uintptr
}

func str(s string) uintptr {
	p, _ := unix.BytePtrFromString(s)
	return uintptr(unsafe.Pointer(p))
}

const noSuchPid = 0x3fffffff

func calls() []call {
	root, missing := str("/"), str("/rtsec-missing")
	return []call{
		{"ptrace", unix.SYS_PTRACE, [6]uintptr{unix.PTRACE_ATTACH, noSuchPid}},
		{"", unix.SYS_PTRACE, [6]uintptr{unix.PTRACE_PEEKDATA, noSuchPid}},
		{"process_vm_writev", unix.SYS_PROCESS_VM_WRITEV, [6]uintptr{uintptr(os.Getpid())}},
		{"bpf", unix.SYS_BPF, [6]uintptr{unix.BPF_PROG_LOAD}},
		{"", unix.SYS_BPF, [6]uintptr{unix.BPF_MAP_CREATE}},
		{"perf_event_open", unix.SYS_PERF_EVENT_OPEN, [6]uintptr{0, 0, ^uintptr(0), ^uintptr(0)}},
		{"userfaultfd", unix.SYS_USERFAULTFD, [6]uintptr{unix.O_CLOEXEC}},
		{"unshare", unix.SYS_UNSHARE, [6]uintptr{0}},
		{"setns", unix.SYS_SETNS, [6]uintptr{^uintptr(0), 0}},
		{"mount", unix.SYS_MOUNT, [6]uintptr{str("none"), missing, str("tmpfs"), 0, 0}},
		{"umount2", unix.SYS_UMOUNT2, [6]uintptr{missing, 0}},
		{"pivot_root", unix.SYS_PIVOT_ROOT, [6]uintptr{missing, missing}},
		{"chroot", unix.SYS_CHROOT, [6]uintptr{root}},
		{"open_by_handle_at", unix.SYS_OPEN_BY_HANDLE_AT, [6]uintptr{^uintptr(0), 0, 0}},
		{"keyctl", unix.SYS_KEYCTL, [6]uintptr{unix.KEYCTL_GET_KEYRING_ID, ^uintptr(2), 0}},
		{"add_key", unix.SYS_ADD_KEY, [6]uintptr{0, 0, 0, 0, 0}},
		{"init_module", unix.SYS_INIT_MODULE, [6]uintptr{0, 0, 0}},
		{"finit_module", unix.SYS_FINIT_MODULE, [6]uintptr{^uintptr(0), 0, 0}},
		{"delete_module", unix.SYS_DELETE_MODULE, [6]uintptr{str("rtsec_missing"), 0}},
		{"kexec_load", unix.SYS_KEXEC_LOAD, [6]uintptr{0, 0, 0, 0}},
	}
}

// syscalls makes each call once and prints the name and the result as
// rtsec classifies it: ok, denied (EPERM, EACCES) or failed.
func syscalls() error {
	for _, c := range calls() {
		r, _, errno := unix.Syscall6(c.nr, c.args[0], c.args[1], c.args[2], c.args[3], c.args[4], c.args[5])
		result := "ok"
		switch {
		case errors.Is(errno, unix.EPERM), errors.Is(errno, unix.EACCES):
			result = "denied"
		case errno != 0:
			result = "failed"
		}
		if errno == 0 && (c.nr == unix.SYS_USERFAULTFD || c.nr == unix.SYS_BPF) {
			unix.Close(int(r))
		}
		if c.name != "" {
			fmt.Println(c.name, result)
		}
	}
	return nil
}

// flood calls unshare(CLONE_NEWUTS) for the given seconds: a sensitive
// syscall, denied without CAP_SYS_ADMIN, each call an event. It prints the
// number of calls.
func flood(args []string) error {
	if len(args) != 1 {
		return errors.New("usage: flood SECONDS")
	}
	seconds, err := time.ParseDuration(args[0] + "s")
	if err != nil {
		return fmt.Errorf("flood: %w", err)
	}
	n := 0
	for end := time.Now().Add(seconds); time.Now().Before(end); n++ {
		unix.Unshare(unix.CLONE_NEWUTS)
	}
	fmt.Println(n)
	return nil
}
