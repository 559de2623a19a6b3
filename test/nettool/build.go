// Package nettool builds the nettool command (cmd/nettool), a static
// program that makes exactly the network syscalls a test lists, for copying
// into container root filesystems.
package nettool

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
)

var (
	once   sync.Once
	binary []byte
	err    error
)

// Build compiles nettool once per test binary (CGO_ENABLED=0, so it runs
// in a busybox root filesystem) and returns the executable's bytes.
func Build(t testing.TB) []byte {
	t.Helper()
	once.Do(func() {
		_, file, _, _ := runtime.Caller(0)
		dir, e := os.MkdirTemp("", "rtsec-nettool-")
		if e != nil {
			err = e
			return
		}
		defer os.RemoveAll(dir)
		out := filepath.Join(dir, "nettool")
		cmd := exec.Command("go", "build", "-o", out, "./cmd/nettool")
		cmd.Dir = filepath.Dir(file)
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if msg, e := cmd.CombinedOutput(); e != nil {
			err = fmt.Errorf("build nettool: %v\n%s", e, msg)
			return
		}
		binary, err = os.ReadFile(out)
	})
	if err != nil {
		t.Fatal(err)
	}
	return binary
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
