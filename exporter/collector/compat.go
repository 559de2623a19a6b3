package collector

import (
	"os"
	"strings"

	"github.com/cilium/ebpf/btf"
)

// ia32Syscalls reports whether this kernel runs 32-bit syscalls, and why
// not: the compat program runs on every syscall of the node, so it is not
// attached where none can be made. The kernel has no ia32 entry points
// without CONFIG_IA32_EMULATION (its BTF then has none of them), and since
// Linux 6.7 ia32_emulation=0 on the command line turns them off.
func ia32Syscalls(cmdline string) (bool, string) {
	if v, ok := bootParam(cmdline, "ia32_emulation"); ok {
		if on, ok := kernelBool(v); ok && !on {
			return false, "the kernel was booted with ia32_emulation=" + v
		}
	}
	spec, err := btf.LoadKernelSpec()
	if err != nil {
		return true, "" // cannot tell: attach
	}
	for _, entry := range []string{"do_fast_syscall_32", "do_int80_syscall_32", "do_int80_emulation", "ia32_sys_call"} {
		var fn *btf.Func
		if spec.TypeByName(entry, &fn) == nil {
			return true, ""
		}
	}
	return false, "the kernel has no 32-bit syscall entry (no CONFIG_IA32_EMULATION)"
}

// bootParam returns the last value of a kernel command line parameter
// name=value (as the kernel, the last one wins), before any "--".
func bootParam(cmdline, name string) (string, bool) {
	value, found := "", false
	for _, f := range strings.Fields(cmdline) {
		if f == "--" {
			break
		}
		if v, ok := strings.CutPrefix(f, name+"="); ok {
			value, found = v, true
		}
	}
	return value, found
}

// kernelBool parses v as the kernel's kstrtobool does: by its first
// character (y, t, 1 / n, f, 0), or on / off.
func kernelBool(v string) (on, ok bool) {
	switch {
	case v == "":
		return false, false
	case strings.ContainsRune("yYtT1", rune(v[0])):
		return true, true
	case strings.ContainsRune("nNfF0", rune(v[0])):
		return false, true
	case len(v) > 1 && (v[0] == 'o' || v[0] == 'O'):
		switch v[1] {
		case 'n', 'N':
			return true, true
		case 'f', 'F':
			return false, true
		}
	}
	return false, false
}

// kernelCmdline is /proc/cmdline, "" when it cannot be read.
func kernelCmdline() string {
	b, err := os.ReadFile("/proc/cmdline")
	if err != nil {
		return ""
	}
	return string(b)
}
