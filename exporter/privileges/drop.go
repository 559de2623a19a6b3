package privileges

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Result is what Drop left the process with.
type Result struct {
	// Kept are the capabilities still effective, in the order asked for.
	Kept []Capability
	// BoundingLowered reports whether the bounding set was lowered to Kept
	// as well (it needs CAP_SETPCAP, which rtsec does not ask for; with
	// no_new_privs set a lower bounding set changes nothing for this
	// process, which never executes programs).
	BoundingLowered bool
}

// Drop keeps, on every thread of the process, exactly those of keep that it
// holds in its permitted and effective sets, empties the inheritable and
// ambient sets, lowers the bounding set where CAP_SETPCAP allows, and sets
// no_new_privs, so that nothing the process executes can gain privileges.
//
// Capabilities are per thread, and Go changes every thread at once only in
// programs built without cgo (syscall.AllThreadsSyscall): in a cgo build
// Drop fails and changes nothing.
func Drop(keep []Capability) (Result, error) {
	var res Result
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	if err := unix.Capget(&hdr, &data[0]); err != nil {
		return res, fmt.Errorf("read capabilities: %w", err)
	}
	permitted := uint64(data[0].Permitted) | uint64(data[1].Permitted)<<32
	effective := uint64(data[0].Effective) | uint64(data[1].Effective)<<32
	for _, c := range keep {
		if permitted&effective&(1<<c.Bit) != 0 {
			res.Kept = append(res.Kept, c)
		}
	}
	if err := allThreads(unix.SYS_PRCTL, unix.PR_SET_NO_NEW_PRIVS, 1, 0); err != nil {
		return res, fmt.Errorf("set no_new_privs: %w", err)
	}
	if err := allThreads(unix.SYS_PRCTL, unix.PR_CAP_AMBIENT, unix.PR_CAP_AMBIENT_CLEAR_ALL, 0); err != nil {
		return res, fmt.Errorf("clear ambient capabilities: %w", err)
	}
	mask := Mask(res.Kept)
	if effective&(1<<unix.CAP_SETPCAP) != 0 {
		last, err := lastCap()
		if err != nil {
			return res, err
		}
		for bit := 0; bit <= last; bit++ {
			if mask&(1<<bit) != 0 {
				continue
			}
			if err := allThreads(unix.SYS_PRCTL, unix.PR_CAPBSET_DROP, uintptr(bit), 0); err != nil {
				return res, fmt.Errorf("drop capability %d from the bounding set: %w", bit, err)
			}
		}
		res.BoundingLowered = true
	}
	set := [2]unix.CapUserData{
		{Effective: uint32(mask), Permitted: uint32(mask)},
		{Effective: uint32(mask >> 32), Permitted: uint32(mask >> 32)},
	}
	err := allThreads(unix.SYS_CAPSET, uintptr(unsafe.Pointer(&hdr)), uintptr(unsafe.Pointer(&set[0])), 0)
	runtime.KeepAlive(&hdr)
	runtime.KeepAlive(&set)
	if err != nil {
		return res, fmt.Errorf("set capabilities: %w", err)
	}
	return res, verify(mask)
}

// allThreads makes one system call on every thread of the process.
func allThreads(trap, a1, a2, a3 uintptr) error {
	_, _, errno := syscall.AllThreadsSyscall(trap, a1, a2, a3)
	switch {
	case errno == syscall.ENOTSUP:
		return errors.New("a cgo build cannot change the capabilities of every thread: build rtsec_exporter with CGO_ENABLED=0 (make build does), or pass --no-privileges.drop")
	case errno != 0:
		return errno
	}
	return nil
}

// lastCap is the highest capability number the kernel knows.
func lastCap() (int, error) {
	b, err := os.ReadFile("/proc/sys/kernel/cap_last_cap")
	if err != nil {
		return 0, fmt.Errorf("read cap_last_cap: %w", err)
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		return 0, fmt.Errorf("parse cap_last_cap: %w", err)
	}
	return n, nil
}

// verify checks that every thread's permitted and effective sets are mask
// and its inheritable and ambient sets empty.
func verify(mask uint64) error {
	tasks, err := filepath.Glob("/proc/self/task/*/status")
	if err != nil {
		return fmt.Errorf("list own threads: %w", err)
	}
	if len(tasks) == 0 {
		return errors.New("no threads under /proc/self/task")
	}
	want := map[string]uint64{"CapPrm": mask, "CapEff": mask, "CapInh": 0, "CapAmb": 0}
	for _, status := range tasks {
		got, err := ReadStatus(status)
		if err != nil {
			return err
		}
		for field, w := range want {
			if got[field] != w {
				return fmt.Errorf("thread %s: %s is %016x after the drop, want %016x", filepath.Base(filepath.Dir(status)), field, got[field], w)
			}
		}
	}
	return nil
}

// ReadStatus returns the capability masks (CapInh, CapPrm, CapEff, CapBnd,
// CapAmb), NoNewPrivs and the Seccomp mode of a /proc/PID/status or
// /proc/PID/task/TID/status file.
func ReadStatus(path string) (map[string]uint64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read capabilities: %w", err)
	}
	defer f.Close()
	out := map[string]uint64{}
	s := bufio.NewScanner(f)
	for s.Scan() {
		key, value, ok := strings.Cut(s.Text(), ":")
		if !ok || !strings.HasPrefix(key, "Cap") && key != "NoNewPrivs" && key != "Seccomp" {
			continue
		}
		base := 16
		if key == "NoNewPrivs" || key == "Seccomp" {
			base = 10
		}
		n, err := strconv.ParseUint(strings.TrimSpace(value), base, 64)
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %w", path, key, err)
		}
		out[key] = n
	}
	if err := s.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return out, nil
}
