package containerd

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// pauseSource is the sandbox's pause process: it holds the pod's namespaces
// and exits on SIGTERM or SIGINT, which as PID 1 it must handle itself.
const pauseSource = `package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() {
	c := make(chan os.Signal, 1)
	signal.Notify(c, syscall.SIGTERM, syscall.SIGINT)
	<-c
}
`

// buildPause compiles the static pause binary into rootfs/pause with the go
// command at goPath, using the work directory dir for its sources.
func buildPause(goPath, dir, rootfs string) error {
	files := map[string]string{"go.mod": "module pause\n\ngo 1.21\n", "main.go": pauseSource}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			return err
		}
	}
	cmd := exec.Command(goPath, "build", "-trimpath", "-ldflags=-s -w", "-o", filepath.Join(rootfs, "pause"), ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOWORK=off", "GOFLAGS=", "GOTOOLCHAIN=local")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("build pause: %w: %s", err, out)
	}
	return nil
}
