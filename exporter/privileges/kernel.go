package privileges

import (
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// bpfCommandsNeedCap reports whether this kernel checks CAP_BPF on every
// bpf() command while unprivileged BPF is disabled: Linux 6.5 moved that
// check into map creation and program loading only.
func bpfCommandsNeedCap() bool {
	var uts unix.Utsname
	if err := unix.Uname(&uts); err != nil {
		return true
	}
	if !olderThan(unix.ByteSliceToString(uts.Release[:]), 6, 5) {
		return false
	}
	b, err := os.ReadFile("/proc/sys/kernel/unprivileged_bpf_disabled")
	return err != nil || strings.TrimSpace(string(b)) != "0"
}

// olderThan reports whether a kernel release such as "6.1.0-27-amd64" is
// older than major.minor; an unparsable release counts as older.
func olderThan(release string, major, minor int) bool {
	parts := strings.SplitN(release, ".", 3)
	if len(parts) < 2 {
		return true
	}
	maj, err1 := strconv.Atoi(parts[0])
	min, err2 := strconv.Atoi(leadingDigits(parts[1]))
	if err1 != nil || err2 != nil {
		return true
	}
	return maj < major || maj == major && min < minor
}

// leadingDigits returns the digits s starts with ("5" of "5-rc1").
func leadingDigits(s string) string {
	end := strings.IndexFunc(s, func(r rune) bool { return r < '0' || r > '9' })
	if end < 0 {
		return s
	}
	return s[:end]
}
