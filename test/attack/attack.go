// Package attack builds rtsec-attack, a static test program that performs
// the attacks rtsec's process signals detect (reverse shell stdio, fileless
// and deleted executables, a terminal shell, set*id and capset, the
// sensitive syscalls), so tests can copy it into a container and run it.
package attack

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
	once     sync.Once
	program  []byte
	buildErr error
)

// Program returns the rtsec-attack binary, built once per test binary
// (static, CGO_ENABLED=0).
func Program(t testing.TB) []byte {
	t.Helper()
	once.Do(func() {
		_, file, _, _ := runtime.Caller(0)
		dir, err := os.MkdirTemp("", "rtsec-attack-")
		if err != nil {
			buildErr = err
			return
		}
		defer os.RemoveAll(dir)
		out := filepath.Join(dir, "rtsec-attack")
		cmd := exec.Command("go", "build", "-o", out, "./cmd/rtsec-attack")
		cmd.Dir = filepath.Dir(file)
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if b, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build rtsec-attack: %w\n%s", err, b)
			return
		}
		program, buildErr = os.ReadFile(out)
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return program
}
