package posture

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// procFile is a proc file kept open between scrapes: opening one costs more
// than the kernel's generating its content again (a path walk, an inode),
// and each read from offset 0 generates it anew.
type procFile struct {
	fd   int
	path string
}

func openProcFile(path string) (*procFile, error) {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	return &procFile{fd: fd, path: path}, nil
}

// read returns the file's whole content, read into *buf (grown as needed).
// A file of a process that has exited fails with ESRCH.
func (f *procFile) read(buf *[]byte) ([]byte, error) {
	b := (*buf)[:0]
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		n, err := unix.Pread(f.fd, b[len(b):cap(b)], int64(len(b)))
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return nil, &os.PathError{Op: "read", Path: f.path, Err: err}
		}
		if n == 0 {
			*buf = b
			return b, nil
		}
		b = b[:len(b)+n]
	}
}

func (f *procFile) close() {
	unix.Close(f.fd)
}

// mountinfoFile is a /proc/<pid>/mountinfo kept open between scrapes.
type mountinfoFile struct {
	*procFile
	// pollable is whether the file is procfs's, whose poll reports a
	// change of the mount table; a file of another file system (a test's
	// fake /proc) is read again every time.
	pollable bool
	read0    bool
}

func openMountinfo(path string) (*mountinfoFile, error) {
	f, err := openProcFile(path)
	if err != nil {
		return nil, err
	}
	var st unix.Statfs_t
	if err := unix.Fstatfs(f.fd, &st); err != nil {
		f.close()
		return nil, &os.PathError{Op: "fstatfs", Path: path, Err: err}
	}
	return &mountinfoFile{procFile: f, pollable: st.Type == unix.PROC_SUPER_MAGIC}, nil
}

// readChanged returns the file's content into *buf and true when it may
// have changed since the last read (always at the first), else nil and
// false. The kernel sets the open file's event mark at open and poll
// updates it, so a change made after a read shows at the next poll.
func (f *mountinfoFile) readChanged(buf *[]byte) ([]byte, bool, error) {
	if f.read0 && f.pollable {
		fds := []unix.PollFd{{Fd: int32(f.fd), Events: unix.POLLPRI}}
		for {
			_, err := unix.Poll(fds, 0)
			if errors.Is(err, unix.EINTR) {
				continue
			}
			if err != nil {
				return nil, false, &os.PathError{Op: "poll", Path: f.path, Err: err}
			}
			break
		}
		if fds[0].Revents&(unix.POLLPRI|unix.POLLERR) == 0 {
			return nil, false, nil
		}
	}
	b, err := f.read(buf)
	if err != nil {
		return nil, false, err
	}
	f.read0 = true
	return b, true, nil
}
