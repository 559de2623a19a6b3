package events

import (
	"fmt"

	"github.com/rtsec/rtsec/exporter/metricdef"
)

// ia32Names are the ia32 syscalls of bpf/src/process/compat.h's classes
// but "other", by number (arch/x86/entry/syscalls/syscall_32.tbl): the
// only ones the kernel sends events of.
var ia32Names = map[uint32]string{
	21: "mount", 22: "umount", 23: "setuid", 26: "ptrace", 46: "setgid", 52: "umount2",
	70: "setreuid", 71: "setregid", 128: "init_module", 129: "delete_module",
	138: "setfsuid", 139: "setfsgid", 164: "setresuid", 170: "setresgid", 185: "capset",
	203: "setreuid32", 204: "setregid32", 208: "setresuid32", 210: "setresgid32",
	213: "setuid32", 214: "setgid32", 215: "setfsuid32", 216: "setfsgid32", 217: "pivot_root",
	283: "kexec_load", 310: "unshare", 346: "setns", 350: "finit_module", 357: "bpf",
	428: "open_tree", 429: "move_mount", 430: "fsopen", 431: "fsconfig", 432: "fsmount", 433: "fspick",
}

// describeCompat decodes a compat_syscall event's code: the class in the
// low byte, the ia32 syscall number above it.
func describeCompat(code uint32, _ int64, out *Line) {
	out.Class = nameOf(metricdef.CompatSyscallClasses, code&0xff)
	nr := code >> 8
	if name, ok := ia32Names[nr]; ok {
		out.Syscall = name
	} else {
		out.Syscall = fmt.Sprintf("ia32_%d", nr)
	}
}
