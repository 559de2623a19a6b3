// Package sysfile reads the small files the kernel generates on each read
// (cgroupfs, procfs) with plain system calls. An os.File registers each
// file with the Go netpoller, as these files can be polled: two more
// system calls a file, which made opening and reading a cgroup file take
// twice as long (34 µs against 18 µs measured for cgroup.procs), and a
// scrape reads several per container.
package sysfile

import (
	"io/fs"

	"golang.org/x/sys/unix"
)

// Read reads the file at path whole into buf, which it grows as needed,
// and returns what it read. Errors are *fs.PathError, as os.ReadFile's:
// errors.Is(err, fs.ErrNotExist) holds for a missing file.
func Read(path string, buf []byte) ([]byte, error) {
	f, err := Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return f.ReadAll(buf)
}

// File is a generated file kept open between reads: opening one costs more
// than the kernel's generating its content again (a path walk, an inode),
// and each ReadAll, from offset 0, generates it anew.
type File struct {
	fd   int
	path string
}

// Open opens the file at path for ReadAll. Errors are *fs.PathError.
func Open(path string) (*File, error) {
	fd, err := open(path, 0)
	if err != nil {
		return nil, err
	}
	return &File{fd: fd, path: path}, nil
}

// ReadAll returns the file's whole content from offset 0, read into buf
// (grown as needed). A proc file of a process that has exited fails with
// ESRCH.
func (f *File) ReadAll(buf []byte) ([]byte, error) {
	buf = buf[:0]
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := unix.Pread(f.fd, buf[len(buf):cap(buf)], int64(len(buf)))
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return nil, &fs.PathError{Op: "read", Path: f.path, Err: err}
		}
		if n == 0 {
			return buf, nil
		}
		buf = buf[:len(buf)+n]
	}
}

// Fd returns the file's descriptor, for poll(2).
func (f *File) Fd() int { return f.fd }

// Name returns the path the file was opened with.
func (f *File) Name() string { return f.path }

// Close closes the file.
func (f *File) Close() { unix.Close(f.fd) }

// ReadHead reads at most len(buf) bytes from the start of the file at path,
// in one read: a generated file gives whole lines.
func ReadHead(path string, buf []byte) ([]byte, error) {
	fd, err := open(path, 0)
	if err != nil {
		return nil, err
	}
	defer unix.Close(fd)
	for {
		n, err := unix.Read(fd, buf)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return nil, &fs.PathError{Op: "read", Path: path, Err: err}
		}
		return buf[:n], nil
	}
}

// open opens path read-only with flags added (O_DIRECTORY), retrying on
// EINTR. Errors are *fs.PathError.
func open(path string, flags int) (int, error) {
	for {
		fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC|flags, 0)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return -1, &fs.PathError{Op: "open", Path: path, Err: err}
		}
		return fd, nil
	}
}

// DescriptorShare returns 1/n of the descriptors the process may open (its
// RLIMIT_NOFILE; Go raises the soft limit to the hard one at start), the
// bound of a cache of kept files, so that the caches together leave room
// for the rest of the exporter. 0 when the limit cannot be read.
func DescriptorShare(n int) int {
	var lim unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &lim); err != nil {
		return 0
	}
	return int(min(lim.Cur, 1<<30) / uint64(n))
}
