package main

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// unlinkat removes name relative to an fd of dir: a path syscall that the
// kernel resolves through its dirfd, not the cwd.
func unlinkat(args []string) error {
	if len(args) != 2 {
		return fmt.Errorf("usage: rtsec-attack unlinkat DIR NAME")
	}
	fd, err := unix.Open(args[0], unix.O_RDONLY|unix.O_DIRECTORY, 0)
	if err != nil {
		return fmt.Errorf("open %s: %w", args[0], err)
	}
	defer unix.Close(fd)
	if err := unix.Unlinkat(fd, args[1], 0); err != nil {
		return fmt.Errorf("unlinkat %s %s: %w", args[0], args[1], err)
	}
	return nil
}
