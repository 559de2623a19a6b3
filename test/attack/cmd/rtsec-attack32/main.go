// Command rtsec-attack32 makes, as a 32-bit x86 program (GOARCH=386),
// the ia32 syscalls a container would use to evade the per-syscall
// tracepoints, and prints "NAME ERRNO" for each (0: it succeeded):
//
//	unshare      unshare(CLONE_NEWUTS)
//	setresuid32  setresuid32(0, 0, 0)
//	capset       capget, then capset with what it returned
package main

import (
	"fmt"
	"os"
	"runtime"
	"syscall"
	"unsafe"
)

// ia32 syscall numbers (arch/x86/entry/syscalls/syscall_32.tbl).
const (
	sysSetresuid32 = 208
	sysCapget      = 184
	sysCapset      = 185
	sysUnshare     = 310
)

const linuxCapabilityVersion3 = 0x20080522

type capHeader struct {
	version uint32
	pid     int32
}

type capData struct {
	effective, permitted, inheritable uint32
}

func main() {
	if runtime.GOARCH != "386" {
		fmt.Fprintln(os.Stderr, "rtsec-attack32: built for", runtime.GOARCH, "not 386: its syscall numbers are ia32's")
		os.Exit(1)
	}
	_, _, e := syscall.RawSyscall(sysUnshare, syscall.CLONE_NEWUTS, 0, 0)
	fmt.Println("unshare", uintptr(e))
	_, _, e = syscall.RawSyscall(sysSetresuid32, 0, 0, 0)
	fmt.Println("setresuid32", uintptr(e))
	hdr := capHeader{version: linuxCapabilityVersion3}
	var data [2]capData
	if _, _, e = syscall.RawSyscall(sysCapget, uintptr(unsafe.Pointer(&hdr)), uintptr(unsafe.Pointer(&data[0])), 0); e != 0 {
		fmt.Fprintln(os.Stderr, "rtsec-attack32: capget:", e)
		os.Exit(1)
	}
	_, _, e = syscall.RawSyscall(sysCapset, uintptr(unsafe.Pointer(&hdr)), uintptr(unsafe.Pointer(&data[0])), 0)
	fmt.Println("capset", uintptr(e))
}
