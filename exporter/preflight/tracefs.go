package preflight

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// TracefsPath is where tracefs belongs; syscall tracepoints are attached
// by the ids it lists.
const TracefsPath = "/sys/kernel/tracing"

// EnsureTracefs makes sure tracefs is mounted, mounting it when it is not
// (many hosts leave it unmounted until something needs it).
func EnsureTracefs() error {
	return ensureTracefs(TracefsPath)
}

func ensureTracefs(dir string) error {
	_, err := os.Stat(dir + "/events")
	if err == nil {
		return nil
	}
	if errors.Is(err, os.ErrPermission) {
		return fmt.Errorf("tracefs at %s is not readable (%w): it is mode 0700, so when not root the exporter needs CAP_DAC_READ_SEARCH", dir, err)
	}
	err = unix.Mount("nodev", dir, "tracefs", 0, "")
	if err == nil || errors.Is(err, unix.EBUSY) {
		if _, statErr := os.Stat(dir + "/events"); statErr == nil {
			return nil
		}
	}
	return fmt.Errorf("tracefs is not mounted at %s and mounting it failed (%v; mounting needs CAP_SYS_ADMIN): mount it on the host with `mount -t tracefs nodev %s`", dir, err, dir)
}
