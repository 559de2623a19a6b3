package sysfile

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// Read gives the whole file, whatever the buffer it starts with, on a
// regular file and on files the kernel generates.
func TestRead(t *testing.T) {
	big := bytes.Repeat([]byte("0123456789abcdef\n"), 1000)
	path := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(path, big, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{path, "/proc/self/status", "/proc/self/mountinfo", "/sys/fs/cgroup/unified/cgroup.controllers"} {
		want, err := os.ReadFile(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		} else if err != nil {
			t.Fatal(err)
		}
		for _, buf := range [][]byte{nil, make([]byte, 0, 7), make([]byte, 3, 64<<10)} {
			got, err := Read(p, buf)
			if err != nil {
				t.Fatalf("%s: %v", p, err)
			}
			// status changes between reads (its VmRSS…): compare the size of a stable one, the bytes of ours.
			if p == path && !bytes.Equal(got, want) || p != path && len(got) == 0 {
				t.Errorf("%s with a buffer of capacity %d: read %d bytes, want %d", p, cap(buf), len(got), len(want))
			}
		}
	}
}

// ReadHead reads one buffer's worth at most; a missing file is
// fs.ErrNotExist for both.
func TestReadHead(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(path, []byte("1234\n5678\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var b [6]byte
	got, err := ReadHead(path, b[:])
	if err != nil || string(got) != "1234\n5" {
		t.Errorf("ReadHead = %q, %v, want %q", got, err, "1234\n5")
	}
	missing := filepath.Join(t.TempDir(), "missing")
	if _, err := ReadHead(missing, b[:]); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("ReadHead of a missing file: %v, want fs.ErrNotExist", err)
	}
	if _, err := Read(missing, nil); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Read of a missing file: %v, want fs.ErrNotExist", err)
	}
}

// Subdirs lists the subdirectories alone, sorted, each with the inode
// lstat gives, on a regular filesystem and on cgroupfs (whose inodes are
// the cgroup ids); a buffer too small for one getdents holds several reads.
func TestSubdirs(t *testing.T) {
	dir := t.TempDir()
	for _, d := range []string{"b", "a", "c.d", "z" + strings.Repeat("x", 200)} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 300 {
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("file%d", i)), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("a", filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{dir, "/sys/fs/cgroup/unified", "/sys/fs/cgroup"} {
		// A mount point's entry has the inode below it: /sys/fs/cgroup of a
		// hybrid node, a tmpfs of mount points, is left out.
		var st unix.Statfs_t
		if err := unix.Statfs(p, &st); err != nil || p != dir && st.Type != unix.CGROUP2_SUPER_MAGIC {
			continue
		}
		entries, err := os.ReadDir(p)
		if err != nil {
			t.Fatal(err)
		}
		var want []Dir
		for _, e := range entries {
			if !e.IsDir() {
				continue
			}
			info, err := e.Info()
			if err != nil {
				t.Fatal(err)
			}
			want = append(want, Dir{Name: e.Name(), Ino: info.Sys().(*syscall.Stat_t).Ino})
		}
		for _, buf := range [][]byte{nil, make([]byte, 4096)} {
			got, err := Subdirs(p, buf)
			if err != nil {
				t.Fatalf("Subdirs(%s): %v", p, err)
			}
			if !slices.Equal(got, want) {
				t.Errorf("Subdirs(%s) = %v, want %v", p, got, want)
			}
		}
	}
	if _, err := Subdirs(filepath.Join(dir, "missing"), nil); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Subdirs of a missing directory: %v, want fs.ErrNotExist", err)
	}
	if _, err := Subdirs(filepath.Join(dir, "file1"), nil); !errors.Is(err, unix.ENOTDIR) {
		t.Errorf("Subdirs of a file: %v, want ENOTDIR", err)
	}
}

// Truncated or inconsistent records are an error, never a panic or an
// entry read past the buffer.
func TestAppendDirsMalformed(t *testing.T) {
	rec := func(reclen uint16, typ byte, name string) []byte {
		b := make([]byte, direntName, max(int(reclen), direntName))
		binary.NativeEndian.PutUint64(b, 42)
		binary.NativeEndian.PutUint16(b[direntReclen:], reclen)
		b[direntType] = typ
		return append(b, name...)
	}
	good := rec(24, unix.DT_DIR, "ok\x00\x00\x00")
	for name, b := range map[string][]byte{
		"short header":                 good[:10],
		"record past the end":          rec(64, unix.DT_DIR, "x\x00"),
		"record shorter than a header": rec(8, unix.DT_DIR, ""),
	} {
		if _, err := appendDirs(nil, "/d", b); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	got, err := appendDirs(nil, "/d", slices.Concat(good, rec(24, unix.DT_REG, "file\x00"), good))
	if err != nil || !slices.Equal(got, []Dir{{"ok", 42}, {"ok", 42}}) {
		t.Errorf("appendDirs = %v, %v", got, err)
	}
}
