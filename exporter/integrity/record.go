// Package integrity checks the content, mode, owner and size of a
// configured list of host paths against a baseline persisted in a state
// file (file integrity monitoring): at start, periodically, and promptly
// when a cheap stat poll sees a watched path change.
package integrity

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"syscall"
)

// Record is what the baseline holds of one file.
type Record struct {
	Exists bool        `json:"exists"`
	Mode   fs.FileMode `json:"mode,omitempty"`
	UID    uint32      `json:"uid,omitempty"`
	GID    uint32      `json:"gid,omitempty"`
	Size   int64       `json:"size,omitempty"`
	SHA256 string      `json:"sha256,omitempty"`
}

// Snapshot is a watched path's records: the path itself, and for a
// directory each entry directly in it, by name ("" is the path itself).
type Snapshot map[string]Record

// Equal reports whether two snapshots hold the same records.
func (s Snapshot) Equal(o Snapshot) bool {
	if len(s) != len(o) {
		return false
	}
	for k, v := range s {
		if w, ok := o[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// Diff names what differs between a baseline and a snapshot, for logs.
func (s Snapshot) Diff(now Snapshot) []string {
	var out []string
	for k, was := range s {
		is, ok := now[k]
		switch {
		case !ok:
			out = append(out, fmt.Sprintf("%q removed", k))
		case was != is:
			out = append(out, fmt.Sprintf("%q changed: %s", k, recordDiff(was, is)))
		}
	}
	for k := range now {
		if _, ok := s[k]; !ok {
			out = append(out, fmt.Sprintf("%q added", k))
		}
	}
	slices.Sort(out)
	return out
}

func recordDiff(a, b Record) string {
	switch {
	case a.Exists != b.Exists:
		return fmt.Sprintf("exists %v -> %v", a.Exists, b.Exists)
	case a.SHA256 != b.SHA256:
		return "content"
	case a.Mode != b.Mode:
		return fmt.Sprintf("mode %v -> %v", a.Mode, b.Mode)
	case a.UID != b.UID || a.GID != b.GID:
		return fmt.Sprintf("owner %d:%d -> %d:%d", a.UID, a.GID, b.UID, b.GID)
	}
	return fmt.Sprintf("size %d -> %d", a.Size, b.Size)
}

// maxEntries bounds what a watched directory contributes.
const maxEntries = 1024

// Take reads a watched path: a file, a directory (itself and each entry
// directly in it), or a missing path. Symlinks are recorded as such, not
// followed.
func Take(path string) (Snapshot, error) {
	root, err := record(path)
	if err != nil {
		return nil, err
	}
	snap := Snapshot{"": root}
	if !root.Exists || !root.Mode.IsDir() {
		return snap, nil
	}
	entries, err := os.ReadDir(path)
	if err != nil {
		return nil, fmt.Errorf("read directory %s: %w", path, err)
	}
	if len(entries) > maxEntries {
		return nil, fmt.Errorf("directory %s has %d entries, more than %d", path, len(entries), maxEntries)
	}
	for _, e := range entries {
		r, err := record(filepath.Join(path, e.Name()))
		if err != nil {
			return nil, err
		}
		snap[e.Name()] = r
	}
	return snap, nil
}

func record(path string) (Record, error) {
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return Record{}, nil
	}
	if err != nil {
		return Record{}, fmt.Errorf("stat %s: %w", path, err)
	}
	r := Record{Exists: true, Mode: fi.Mode(), Size: fi.Size()}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		r.UID, r.GID = st.Uid, st.Gid
	}
	switch {
	case fi.Mode().IsRegular():
		if r.SHA256, err = hashFile(path); err != nil {
			return Record{}, err
		}
	case fi.Mode()&fs.ModeSymlink != 0:
		target, err := os.Readlink(path)
		if err != nil {
			return Record{}, fmt.Errorf("readlink %s: %w", path, err)
		}
		sum := sha256.Sum256([]byte(target))
		r.SHA256 = hex.EncodeToString(sum[:])
	}
	return r, nil
}

func hashFile(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("open %s: %w", path, err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("hash %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
