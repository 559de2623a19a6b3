package posture

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// runc's init, while it sets a container up, is not the container's
// process; a process that has borne its name for longer than settingUpFor
// is.
func TestRuntimeInit(t *testing.T) {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_BOOTTIME, &ts); err != nil {
		t.Fatal(err)
	}
	ticksAgo := func(d time.Duration) uint64 { return uint64((time.Duration(ts.Nano()) - d) / (10 * time.Millisecond)) }
	cases := []struct {
		name, comm string
		started    uint64
		want       bool
	}{
		{"runc init", "runc:[2:INIT]", ticksAgo(time.Second), true},
		{"runc's child stage", "runc:[1:CHILD]", ticksAgo(time.Second), true},
		{"crun", "crun", ticksAgo(time.Second), true},
		{"the entrypoint", "sh", ticksAgo(time.Second), false},
		{"runc's name for too long", "runc:[2:INIT]", ticksAgo(time.Minute), false},
		{"a process named runc", "runc", ticksAgo(time.Second), false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			stat := fmt.Sprintf("42 (%s) S %s %d\n", c.comm, strings.Repeat("0 ", 18), c.started)
			if err := os.WriteFile(filepath.Join(dir, "stat"), []byte(stat), 0o644); err != nil {
				t.Fatal(err)
			}
			if got := runtimeInit([]byte("Name:\t"+c.comm+"\nUid:\t0\t0\t0\t0\n"), dir); got != c.want {
				t.Errorf("runtimeInit = %v, want %v", got, c.want)
			}
		})
	}
}
