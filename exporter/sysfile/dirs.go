package sysfile

import (
	"encoding/binary"
	"io/fs"
	"slices"
	"strings"

	"golang.org/x/sys/unix"
)

// Dir is a subdirectory: its name and inode number (a cgroup's id on
// cgroup2).
type Dir struct {
	Name string
	Ino  uint64
}

// Subdirs returns the subdirectories of the directory at path, sorted by
// name, from getdents64 alone: each entry carries its inode and type, where
// os.ReadDir drops the inode and a walk then stats every directory for it.
// A cgroup directory holds dozens of files and a few subdirectories, so
// only the subdirectories are made into strings. buf is scratch space for
// the entries (nil: one is made). An entry of unknown type is looked up
// with lstat. Errors are *fs.PathError.
func Subdirs(path string, buf []byte) ([]Dir, error) {
	fd, err := open(path, unix.O_DIRECTORY)
	if err != nil {
		return nil, err
	}
	defer unix.Close(fd)
	if len(buf) < 4096 {
		buf = make([]byte, 8192)
	}
	var out []Dir
	for {
		n, err := unix.Getdents(fd, buf)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return nil, &fs.PathError{Op: "getdents", Path: path, Err: err}
		}
		if n == 0 {
			break
		}
		if out, err = appendDirs(out, path, buf[:n]); err != nil {
			return nil, err
		}
	}
	slices.SortFunc(out, func(a, b Dir) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// The fields of struct linux_dirent64: d_ino, d_off, d_reclen, d_type,
// then the name, NUL-terminated.
const (
	direntReclen = 16
	direntType   = 18
	direntName   = 19
)

// appendDirs appends the subdirectories among the linux_dirent64 records
// of b, read from the directory at path.
func appendDirs(out []Dir, path string, b []byte) ([]Dir, error) {
	for len(b) > 0 {
		if len(b) < direntName {
			return nil, &fs.PathError{Op: "getdents", Path: path, Err: unix.EINVAL}
		}
		reclen := int(binary.NativeEndian.Uint16(b[direntReclen:]))
		if reclen < direntName || reclen > len(b) {
			return nil, &fs.PathError{Op: "getdents", Path: path, Err: unix.EINVAL}
		}
		rec := b[:reclen]
		b = b[reclen:]
		typ := rec[direntType]
		if typ != unix.DT_DIR && typ != unix.DT_UNKNOWN {
			continue
		}
		name := rec[direntName:]
		if i := slices.Index(name, 0); i >= 0 {
			name = name[:i]
		}
		if string(name) == "." || string(name) == ".." {
			continue
		}
		ino := binary.NativeEndian.Uint64(rec)
		if typ == unix.DT_UNKNOWN {
			var st unix.Stat_t
			if err := unix.Lstat(path+"/"+string(name), &st); err != nil || st.Mode&unix.S_IFMT != unix.S_IFDIR {
				continue // gone since, or not a directory
			}
			ino = st.Ino
		}
		out = append(out, Dir{Name: string(name), Ino: ino})
	}
	return out, nil
}
