package posture

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// mountinfoFile is a /proc/<pid>/mountinfo kept open between scrapes.
type mountinfoFile struct {
	fd   int
	path string
	// pollable is whether the file is procfs's, whose poll reports a
	// change of the mount table; a file of another file system (a test's
	// fake /proc) is read again every time.
	pollable bool
	read0    bool
}

func openMountinfo(path string) (*mountinfoFile, error) {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	var st unix.Statfs_t
	if err := unix.Fstatfs(fd, &st); err != nil {
		unix.Close(fd)
		return nil, &os.PathError{Op: "fstatfs", Path: path, Err: err}
	}
	return &mountinfoFile{fd: fd, path: path, pollable: st.Type == unix.PROC_SUPER_MAGIC}, nil
}

// read returns the file's content into *buf and true when it may have
// changed since the last read (always at the first), else nil and false.
// The kernel sets the open file's event mark at open and poll updates it,
// so a change made after a read shows at the next poll.
func (f *mountinfoFile) read(buf *[]byte) ([]byte, bool, error) {
	if f.read0 && f.pollable {
		fds := []unix.PollFd{{Fd: int32(f.fd), Events: unix.POLLPRI}}
		if _, err := unix.Poll(fds, 0); err != nil && !errors.Is(err, unix.EINTR) {
			return nil, false, &os.PathError{Op: "poll", Path: f.path, Err: err}
		}
		if fds[0].Revents&(unix.POLLPRI|unix.POLLERR) == 0 {
			return nil, false, nil
		}
	}
	if _, err := unix.Seek(f.fd, 0, 0); err != nil {
		return nil, false, &os.PathError{Op: "seek", Path: f.path, Err: err}
	}
	b := (*buf)[:0]
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		n, err := unix.Read(f.fd, b[len(b):cap(b)])
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return nil, false, &os.PathError{Op: "read", Path: f.path, Err: err}
		}
		if n == 0 {
			break
		}
		b = b[:len(b)+n]
	}
	*buf = b
	f.read0 = true
	return b, true, nil
}

func (f *mountinfoFile) close() {
	unix.Close(f.fd)
}
