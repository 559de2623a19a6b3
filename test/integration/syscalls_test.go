package integration

import (
	"os"
	"strings"
	"testing"

	"github.com/rtsec/rtsec/test/attack"
	"github.com/rtsec/rtsec/test/exporter"
	"github.com/rtsec/rtsec/test/runc"
)

const sensitive = "rtsec_sensitive_syscalls_total"

// tracepointExists reports whether the kernel has the syscall's exit
// tracepoint (init_module and kexec_load are compiled out on some kernels).
func tracepointExists(syscall string) bool {
	if syscall == "umount2" {
		syscall = "umount"
	}
	_, err := os.Stat("/sys/kernel/tracing/events/syscalls/sys_exit_" + syscall)
	return err == nil
}

// rtsec-attack calls every sensitive syscall once and prints how each
// ended; each must be counted once under that result, the calls rtsec must
// not count (a ptrace peek, a bpf map create) not at all, and the runtime's
// own mount, pivot_root and setns calls at start and exec not at all.
func TestSensitiveSyscalls(t *testing.T) {
	t.Parallel()
	e := exporter.Start(t)
	c := runc.Start(t, runc.Options{Files: map[string][]byte{"bin/rtsec-attack": attack.Program(t)}})
	out := c.MustExec(t, "/bin/rtsec-attack", "syscalls")

	m := e.Scrape(t)
	want := 0.0
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		syscall, result, ok := strings.Cut(line, " ")
		if !ok {
			t.Fatalf("rtsec-attack syscalls printed %q", line)
		}
		match := map[string]string{"container_id": c.Name(), "syscall": syscall, "result": result}
		got, _ := m.Value(t, sensitive, match)
		expected := 0.0
		if tracepointExists(syscall) {
			expected = 1
		}
		want += expected
		if got != expected {
			t.Errorf("%s%v = %v, want %v", sensitive, match, got, expected)
		}
	}
	if total := m.Sum(sensitive, map[string]string{"container_id": c.Name()}); total != want {
		t.Errorf("container has %v sensitive syscalls counted in all, want %v: %v", total, want, m.Series(sensitive, map[string]string{"container_id": c.Name()}))
	}
}
