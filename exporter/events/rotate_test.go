package events

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// readLines returns the JSON lines of the log file and its backups, oldest
// first, failing on a line that does not decode (a torn line).
func readLines(t *testing.T, path string, backups int) (seqs []int, sizes []int64) {
	t.Helper()
	for i := backups; i >= 0; i-- {
		name := path
		if i > 0 {
			name = fmt.Sprintf("%s.%d", path, i)
		}
		f, err := os.Open(name)
		if os.IsNotExist(err) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		info, _ := f.Stat()
		sizes = append(sizes, info.Size())
		scan := bufio.NewScanner(f)
		for scan.Scan() {
			var line struct{ Seq int }
			if err := json.Unmarshal(scan.Bytes(), &line); err != nil {
				t.Fatalf("%s: torn line %q: %v", name, scan.Text(), err)
			}
			seqs = append(seqs, line.Seq)
		}
		f.Close()
	}
	return seqs, sizes
}

// Lines written through the rotating file (with json.Encoder, as Log
// writes) stay whole, each file stays within MaxSize, at most MaxBackups
// backups remain, and the lines kept are the newest, in order, without a
// gap: rotation drops only the oldest backup, never a line.
func TestRotation(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "events.json")
	const maxSize, backups, lines = 4096, 3, 1000
	w, err := Open("file:"+path, FileOptions{MaxSize: maxSize, MaxBackups: backups})
	if err != nil {
		t.Fatal(err)
	}
	enc := json.NewEncoder(w)
	for i := 1; i <= lines; i++ {
		// Lines of varying length, up to ~190 bytes.
		if err := enc.Encode(map[string]any{"Seq": i, "Pad": strings.Repeat("x", i%170)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(path + "*")
	if len(files) != backups+1 {
		t.Errorf("%d files %v, want the log and %d backups", len(files), files, backups)
	}
	seqs, sizes := readLines(t, path, backups+2)
	for _, size := range sizes {
		if size > maxSize {
			t.Errorf("a file of %d bytes, over MaxSize %d", size, maxSize)
		}
	}
	if len(seqs) == 0 || seqs[len(seqs)-1] != lines {
		t.Fatalf("the last line kept is not the last written (%d lines kept)", len(seqs))
	}
	for i := 1; i < len(seqs); i++ {
		if seqs[i] != seqs[i-1]+1 {
			t.Fatalf("line %d follows line %d: a line was lost", seqs[i], seqs[i-1])
		}
	}
	if kept := len(seqs); kept < (backups*maxSize)/200 {
		t.Errorf("only %d lines kept in %d files", kept, len(sizes))
	}
	t.Logf("%d files of %v bytes keep lines %d..%d", len(sizes), sizes, seqs[0], lines)
}

// A restart appends to the file and counts what is there toward MaxSize;
// without backups a rotation starts the file afresh; a line longer than
// MaxSize gets a file of its own; MaxSize 0 never rotates.
func TestRotationEdges(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "events.json")
	if err := os.WriteFile(path, []byte(`{"Seq":1}`+"\n"+strings.Repeat(" ", 90)+"\n"), 0o640); err != nil {
		t.Fatal(err)
	}
	w, err := Open("file:"+path, FileOptions{MaxSize: 120})
	if err != nil {
		t.Fatal(err)
	}
	// 101 bytes there: a 20-byte line does not fit, and no backup is kept.
	if _, err := w.Write([]byte(`{"Seq":2,"Pad":"x"}` + "\n")); err != nil {
		t.Fatal(err)
	}
	long := `{"Seq":3,"Pad":"` + strings.Repeat("y", 200) + `"}` + "\n"
	if _, err := w.Write([]byte(long)); err != nil {
		t.Fatal(err)
	}
	w.Close()
	if files, _ := filepath.Glob(path + "*"); len(files) != 1 {
		t.Errorf("files %v, want the log alone (MaxBackups 0)", files)
	}
	if data, _ := os.ReadFile(path); string(data) != long {
		t.Errorf("the file holds %q, want the long line alone", data)
	}

	unbounded := filepath.Join(dir, "unbounded.json")
	w, err = Open("file:"+unbounded, FileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for range 100 {
		w.Write([]byte(long))
	}
	w.Close()
	if info, err := os.Stat(unbounded); err != nil || info.Size() != int64(100*len(long)) {
		t.Errorf("MaxSize 0: %v, %v; want one file of every line", info, err)
	}
}

// A rotation that fails (the directory turned read-only to the exporter:
// here, a backup name taken by a directory) is reported, and the line goes
// to the current file: nothing is lost.
func TestRotationFailureKeepsLines(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "events.json")
	if err := os.MkdirAll(path+".1/blocker", 0o755); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var reported []error
	w, err := Open("file:"+path, FileOptions{MaxSize: 30, MaxBackups: 1, OnRotateError: func(err error) {
		mu.Lock()
		defer mu.Unlock()
		reported = append(reported, err)
	}})
	if err != nil {
		t.Fatal(err)
	}
	enc := json.NewEncoder(w)
	for i := 1; i <= 3; i++ {
		if err := enc.Encode(map[string]int{"Seq": i, "Padding": 1234567}); err != nil {
			t.Fatal(err)
		}
	}
	w.Close()
	if len(reported) != 2 || !strings.Contains(reported[0].Error(), "rotate "+path) {
		t.Errorf("reported %v, want two rotation errors naming the file", reported)
	}
	if seqs, _ := readLines(t, path, 0); len(seqs) != 3 {
		t.Errorf("the log holds lines %v, want all 3", seqs)
	}
}
