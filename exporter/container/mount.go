package container

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"golang.org/x/sys/unix"
)

// Finding the cgroup2 mount.

// isCgroup2 reports whether dir is on a cgroup2 file system.
func isCgroup2(dir string) (bool, error) {
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		return false, fmt.Errorf("cgroup root: %w", err)
	}
	return st.Type == unix.CGROUP2_SUPER_MAGIC, nil
}

// detectCgroup2 finds the cgroup2 mount point in /proc/self/mountinfo.
func detectCgroup2() (string, error) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return "", fmt.Errorf("find cgroup2 mount: %w", err)
	}
	defer f.Close()
	return cgroup2Mount(f)
}

// cgroup2Mount returns the cgroup2 mount point listed in mountinfo,
// preferring /sys/fs/cgroup (pure v2) and /sys/fs/cgroup/unified (hybrid).
func cgroup2Mount(mountinfo io.Reader) (string, error) {
	var mounts []string
	sc := bufio.NewScanner(mountinfo)
	for sc.Scan() {
		// id parent major:minor root mountpoint options [optional…] - fstype source superoptions
		fields := strings.Fields(sc.Text())
		sep := slices.Index(fields, "-")
		if sep < 5 || sep+1 >= len(fields) || fields[sep+1] != "cgroup2" {
			continue
		}
		mounts = append(mounts, mountinfoUnescape.Replace(fields[4]))
	}
	if err := sc.Err(); err != nil {
		return "", fmt.Errorf("read mountinfo: %w", err)
	}
	for _, want := range []string{"/sys/fs/cgroup", "/sys/fs/cgroup/unified"} {
		if slices.Contains(mounts, want) {
			return want, nil
		}
	}
	if len(mounts) == 0 {
		return "", errors.New("no cgroup2 mount in mountinfo")
	}
	return mounts[0], nil
}

// mountinfoUnescape undoes the octal escapes of mountinfo paths.
var mountinfoUnescape = strings.NewReplacer(`\040`, " ", `\011`, "\t", `\012`, "\n", `\134`, `\`)
