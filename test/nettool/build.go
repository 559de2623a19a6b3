// Package nettool builds the nettool command (cmd/nettool), a static
// program that makes exactly the network syscalls a test lists, for copying
// into container root filesystems.
package nettool

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/rtsec/rtsec/test/gobuild"
)

// Build compiles nettool once per test binary (CGO_ENABLED=0, so it runs
// in a busybox root filesystem) and returns the executable's bytes.
func Build(t testing.TB) []byte {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	return gobuild.Static(t, filepath.Dir(file), "./cmd/nettool")
}

// Install writes nettool into dir (a host directory) and returns its path.
func Install(t testing.TB, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "nettool")
	if err := os.WriteFile(path, Build(t), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}
