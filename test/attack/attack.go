// Package attack builds rtsec-attack, a static test program that performs
// the attacks rtsec's process signals detect (reverse shell stdio, fileless
// and deleted executables, a terminal shell, set*id and capset, the
// sensitive syscalls) and a path syscall through a dirfd, so tests can
// copy it into a container and run it.
package attack

import (
	"path/filepath"
	"runtime"
	"testing"

	"github.com/rtsec/rtsec/test/gobuild"
)

// Program returns the rtsec-attack binary, built once per test binary
// (static, CGO_ENABLED=0).
func Program(t testing.TB) []byte {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	return gobuild.Static(t, filepath.Dir(file), "./cmd/rtsec-attack")
}

// Program32 returns rtsec-attack32, a 32-bit x86 (GOARCH=386) program that
// makes ia32 syscalls, which the per-syscall tracepoints do not see.
func Program32(t testing.TB) []byte {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	return gobuild.StaticFor(t, filepath.Dir(file), "./cmd/rtsec-attack32", "386")
}
