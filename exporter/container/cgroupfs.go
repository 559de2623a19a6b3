package container

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/rtsec/rtsec/exporter/sysfile"
)

// Finding cgroups by id on the cgroup2 filesystem: kernfs file handles, and
// a bounded walk of the tree where handles are refused.

// path finds the cgroup path of id, and its creator when recorded: recorded
// by the BPF side, else from a kernfs file handle, else by walking the tree
// (when handles are refused, e.g. without CAP_DAC_READ_SEARCH).
func (r *Resolver) path(id uint64) (path, creator string, ok bool) {
	if r.opts.Recorded != nil {
		if rec, ok := r.opts.Recorded(id); ok {
			return rec.Path, rec.Creator, true
		}
	}
	if r.handles {
		p, err := r.handlePath(id)
		if err == nil {
			return p, "", true
		}
		if isGone(err) {
			return "", "", false
		}
		r.log.Debug("cgroup id by file handle failed, walking the tree", "id", id, "err", err)
	}
	var found string
	err := r.walk(func(path string, ino uint64) (bool, error) {
		if ino == id {
			found = path
			return false, errStopWalk
		}
		return true, nil
	})
	if err != nil && !errors.Is(err, errStopWalk) {
		r.log.Debug("cgroup tree walk failed", "id", id, "err", err)
	}
	return found, "", found != ""
}

// handlePath opens cgroup id by its kernfs file handle and reads back its
// path.
func (r *Resolver) handlePath(id uint64) (string, error) {
	var path string
	var err error
	r.withMount(func(mnt int) {
		var fd int
		if fd, err = openByID(mnt, id); err != nil {
			return
		}
		defer unix.Close(fd)
		var target string
		if target, err = os.Readlink(fmt.Sprintf("/proc/self/fd/%d", fd)); err != nil {
			return
		}
		path, err = relativeTo(r.root, target)
	})
	return path, err
}

// withMount calls f with a descriptor of the cgroup2 mount, or -1 when it
// cannot be opened (then every handle operation fails with EBADF). Not
// O_PATH: open_by_handle_at refuses O_PATH mount descriptors with EBADF.
func (r *Resolver) withMount(f func(mnt int)) {
	mnt, err := unix.Open(r.root, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		r.log.Debug("open cgroup root", "root", r.root, "err", err)
		mnt = -1
	} else {
		defer unix.Close(mnt)
	}
	f(mnt)
}

// fileIDKernfs is FILEID_KERNFS, the handle type of kernfs (cgroup) files:
// the handle is the 64-bit kernfs node id, which is the cgroup id.
const fileIDKernfs = 0xfe

// openByID opens the cgroup with id on the cgroup2 mount mnt, O_PATH.
func openByID(mnt int, id uint64) (int, error) {
	if mnt < 0 {
		return -1, unix.EBADF
	}
	b := make([]byte, 8)
	binary.NativeEndian.PutUint64(b, id)
	fd, err := unix.OpenByHandleAt(mnt, unix.NewFileHandle(fileIDKernfs, b), unix.O_PATH|unix.O_CLOEXEC)
	if err != nil {
		return -1, fmt.Errorf("open_by_handle_at cgroup %d: %w", id, err)
	}
	return fd, nil
}

// isGone reports whether err says the cgroup no longer exists.
func isGone(err error) bool {
	return errors.Is(err, unix.ESTALE) || errors.Is(err, unix.ENOENT)
}

// alive reports whether cgroup id still exists: by its file handle where
// the kernel decides, else by whether its path still names a directory
// with inode id.
func (r *Resolver) alive(mnt int, id uint64, path string) bool {
	if r.handles {
		fd, err := openByID(mnt, id)
		if err == nil {
			unix.Close(fd)
			return true
		}
		if isGone(err) {
			return false
		}
	}
	if path == "" || !wellFormed(path) {
		return false
	}
	var st unix.Stat_t
	if err := unix.Lstat(filepath.Join(r.root, path), &st); err != nil {
		return false
	}
	return st.Mode&unix.S_IFMT == unix.S_IFDIR && st.Ino == id
}

// relativeTo returns target, a path under root, as a "/"-prefixed path
// relative to root.
func relativeTo(root, target string) (string, error) {
	if target == root {
		return "/", nil
	}
	rel, ok := strings.CutPrefix(target, root)
	if !ok || !strings.HasPrefix(rel, "/") {
		return "", fmt.Errorf("cgroup %q outside cgroup root %q", target, root)
	}
	return rel, nil
}

// maxWalkDirs bounds a walk of the cgroup tree: far above real trees
// (hundreds to a few thousand cgroups), and a tree an attacker inflates
// costs at most this many directory listings per walk.
const maxWalkDirs = 100000

var (
	errStopWalk  = errors.New("stop walk")
	errWalkLimit = fmt.Errorf("cgroup tree larger than %d directories", maxWalkDirs)
)

// walk calls visit for every cgroup directory below the root, with its
// "/"-prefixed path and inode number, descending into it while visit
// returns true. Directories are listed by getdents64 alone (sysfile.Subdirs):
// a cgroup directory's dozens of files are skipped unread and no directory
// is stat'ed for its inode. Each directory is listed and closed before its
// subdirectories are, so a deep tree holds one descriptor.
func (r *Resolver) walk(visit func(path string, ino uint64) (bool, error)) error {
	n := 0
	buf := make([]byte, 32<<10)
	var walkDir func(dir string) error
	walkDir = func(dir string) error {
		subdirs, err := sysfile.Subdirs(r.root+dir, buf)
		if err != nil {
			if dir != "" && errors.Is(err, fs.ErrNotExist) {
				return nil // removed while walking
			}
			return err
		}
		for _, d := range subdirs {
			if n++; n > maxWalkDirs {
				return errWalkLimit
			}
			p := dir + "/" + d.Name
			descend, err := visit(p, d.Ino)
			if err != nil {
				return err
			}
			if descend {
				if err := walkDir(p); err != nil {
					return err
				}
			}
		}
		return nil
	}
	return walkDir("")
}
