package integrity

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// ErrLocked is returned by LockState when another process holds the lock.
var ErrLocked = errors.New("in use by another rtsec_exporter")

// LockState takes the lock of the state file at path: path+".lock", held
// while the checker runs, as Prometheus locks its data directory. Two
// exporters sharing one state file would each drop the paths only the
// other watches from the baseline and write it back, each rewrite seen by
// the other as changes accepted, at every poll. Where the lock file cannot
// be made (a read-only or unreachable directory) the state file cannot be
// written either, so no exporter shares it: LockState then holds nothing.
// The rebaseline command does not lock: it writes while an exporter runs.
func LockState(path string) (io.Closer, error) {
	lock := path + ".lock"
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return io.NopCloser(nil), nil
	}
	f, err := os.OpenFile(lock, os.O_RDWR|os.O_CREATE|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
	if errors.Is(err, unix.EROFS) || errors.Is(err, unix.EACCES) || errors.Is(err, unix.EPERM) {
		return io.NopCloser(nil), nil
	}
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, unix.EWOULDBLOCK) {
			return nil, fmt.Errorf("%s: %w, which holds %s: give each exporter a state file of its own", path, ErrLocked, lock)
		}
		return nil, fmt.Errorf("lock %s: %w", lock, err)
	}
	return f, nil
}
