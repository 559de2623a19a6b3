// Package testenv decides what a test does when the machine lacks what it
// needs: outside CI it skips with the reason, in CI (CI=true) it fails,
// because CI runs as root on a machine that must have everything.
package testenv

import (
	"os"
	"os/exec"
	"testing"

	"github.com/rtsec/rtsec/exporter/preflight"
)

// InCI reports whether the tests run under CI, where nothing may be skipped.
func InCI() bool {
	return os.Getenv("CI") == "true"
}

// Unavailable skips the test outside CI and fails it in CI.
func Unavailable(t testing.TB, format string, args ...any) {
	t.Helper()
	if InCI() {
		t.Fatalf("required in CI: "+format, args...)
	}
	t.Skipf(format, args...)
}

// RequireRoot stops the test unless it runs as root.
func RequireRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		Unavailable(t, "needs root (loads BPF programs, runs containers); run make test as root")
	}
}

// RequireCommand stops the test unless name is on PATH, and returns its path.
func RequireCommand(t testing.TB, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		Unavailable(t, "needs %s on PATH; make deps installs it", name)
	}
	return path
}

// RequireTracefs stops the test unless tracefs is mounted, mounting it as
// rtsec_exporter does at start (a new machine often leaves it unmounted):
// syscall tracepoints are attached by the ids it lists. Tests that attach
// programs without starting the exporter need it.
func RequireTracefs(t testing.TB) {
	t.Helper()
	if err := preflight.EnsureTracefs(); err != nil {
		Unavailable(t, "%v", err)
	}
}
