// Package gobuild builds the static Go test programs that tests copy into
// busybox container root filesystems (CGO_ENABLED=0, so they need no libc).
package gobuild

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

type result struct {
	binary []byte
	err    error
}

var (
	mu    sync.Mutex
	built = map[string]*result{}
)

// Static builds the main package pkg (relative to dir) once per test binary
// and returns the executable's bytes.
func Static(t testing.TB, dir, pkg string) []byte {
	t.Helper()
	return StaticFor(t, dir, pkg, "")
}

// StaticFor is Static for the architecture goarch ("386": a 32-bit x86
// program); "" is the host's.
func StaticFor(t testing.TB, dir, pkg, goarch string) []byte {
	t.Helper()
	key := filepath.Join(dir, pkg) + " " + goarch
	mu.Lock()
	defer mu.Unlock()
	r, ok := built[key]
	if !ok {
		r = &result{}
		r.binary, r.err = build(dir, pkg, goarch)
		built[key] = r
	}
	if r.err != nil {
		t.Fatal(r.err)
	}
	return r.binary
}

func build(dir, pkg, goarch string) ([]byte, error) {
	tmp, err := os.MkdirTemp("", "rtsec-gobuild-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	out := filepath.Join(tmp, filepath.Base(pkg))
	cmd := exec.Command("go", "build", "-o", out, pkg)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if goarch != "" {
		cmd.Env = append(cmd.Env, "GOARCH="+goarch)
	}
	if msg, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("go build %s: %w\n%s", pkg, err, msg)
	}
	return os.ReadFile(out)
}
