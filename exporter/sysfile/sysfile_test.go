package sysfile

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
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
