package posture

import (
	"os"

	"golang.org/x/sys/unix"

	"github.com/rtsec/rtsec/exporter/sysfile"
)

// mountinfoFile is a /proc/<pid>/mountinfo kept open between scrapes.
type mountinfoFile struct {
	*sysfile.File
	// pollable is whether the file is procfs's, whose poll reports a
	// change of the mount table; a file of another file system (a test's
	// fake /proc) is read again every time.
	pollable bool
	read0    bool
	// changed is whether the last poll (Cache.poll) reported a change
	// of the mount table since the last read.
	changed bool
}

func openMountinfo(path string) (*mountinfoFile, error) {
	f, err := sysfile.Open(path)
	if err != nil {
		return nil, err
	}
	var st unix.Statfs_t
	if err := unix.Fstatfs(f.Fd(), &st); err != nil {
		f.Close()
		return nil, &os.PathError{Op: "fstatfs", Path: path, Err: err}
	}
	return &mountinfoFile{File: f, pollable: st.Type == unix.PROC_SUPER_MAGIC}, nil
}

// readChanged returns the file's content into *buf and true when it may
// have changed since the last read (always at the first), else nil and
// false. The kernel sets the open file's event mark at open and poll
// updates it, so a change made after a read shows at the next poll.
func (f *mountinfoFile) readChanged(buf *[]byte) ([]byte, bool, error) {
	if f.read0 && f.pollable && !f.changed {
		return nil, false, nil
	}
	b, err := f.ReadAll(*buf)
	if err != nil {
		return nil, false, err
	}
	*buf = b
	f.read0 = true
	f.changed = false
	return b, true, nil
}
