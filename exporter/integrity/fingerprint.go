package integrity

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// fingerprint is a cheap summary of a path's stat, and of the entries of a
// directory: it changes whenever the content, mode, owner or inode does
// (ctime moves on every such change and cannot be set from userspace).
func fingerprint(path string) string {
	var b strings.Builder
	stamp(&b, path)
	if entries, err := os.ReadDir(path); err == nil {
		for _, e := range entries {
			b.WriteString(e.Name())
			stamp(&b, filepath.Join(path, e.Name()))
		}
	}
	return b.String()
}

func stamp(b *strings.Builder, path string) {
	var st syscall.Stat_t
	if err := syscall.Lstat(path, &st); err != nil {
		b.WriteString("-;")
		return
	}
	fmt.Fprintf(b, "%d/%d/%o/%d:%d/%d.%d/%d.%d;", st.Ino, st.Size, st.Mode, st.Uid, st.Gid,
		st.Mtim.Sec, st.Mtim.Nsec, st.Ctim.Sec, st.Ctim.Nsec)
}
