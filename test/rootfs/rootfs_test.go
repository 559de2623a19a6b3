package rootfs

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/rtsec/rtsec/internal/testenv"
)

func TestBusybox(t *testing.T) {
	testenv.RequireCommand(t, BusyboxPath)
	dir := t.TempDir()
	if err := Busybox(dir); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"bin/busybox", "bin/sh", "bin/true", "etc/passwd"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Errorf("rootfs lacks %s: %v", name, err)
		}
	}
	if target, err := os.Readlink(filepath.Join(dir, "bin/sh")); err != nil || target != "busybox" {
		t.Errorf("bin/sh -> %q (%v), want busybox", target, err)
	}
}
