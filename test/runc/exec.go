package runc

import (
	"fmt"
	"os"
	"os/exec"
	"testing"
)

// Exec runs args in the container with `runc exec` (no tty) and returns its
// stdout and stderr combined. Output goes through a file, not a pipe, so a
// process left running in the background does not block Exec.
func (c *Container) Exec(t testing.TB, args ...string) (string, error) {
	t.Helper()
	out, err := os.CreateTemp(c.bundle, "exec-*.out")
	if err != nil {
		return "", fmt.Errorf("create exec output: %w", err)
	}
	defer os.Remove(out.Name())
	defer out.Close()
	cmd := exec.Command("runc", append([]string{"exec", c.name}, args...)...)
	cmd.Stdout, cmd.Stderr = out, out
	runErr := cmd.Run()
	data, err := os.ReadFile(out.Name())
	if err != nil {
		return "", fmt.Errorf("read exec output: %w", err)
	}
	if runErr != nil {
		return string(data), fmt.Errorf("runc exec %s %q: %w", c.name, args, runErr)
	}
	return string(data), nil
}

// MustExec is Exec that fails the test when the command fails.
func (c *Container) MustExec(t testing.TB, args ...string) string {
	t.Helper()
	out, err := c.Exec(t, args...)
	if err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	return out
}
