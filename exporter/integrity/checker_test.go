package integrity

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// setup writes a watched file and a watched directory with one entry.
func setup(t *testing.T) (file, dir, state string) {
	t.Helper()
	root := t.TempDir()
	file = filepath.Join(root, "passwd")
	dir = filepath.Join(root, "sudoers.d")
	state = filepath.Join(root, "state", "integrity.json")
	if err := os.WriteFile(file, []byte("root:x:0:0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "a"), []byte("a ALL=(ALL) ALL\n"), 0o440); err != nil {
		t.Fatal(err)
	}
	return file, dir, state
}

// ran is an exporter's run that ended: a checker made and closed.
func ran(t *testing.T, paths []string, state string) {
	t.Helper()
	c, err := New(paths, state, quiet)
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
}

func changed(t *testing.T, c *Checker) map[string]bool {
	t.Helper()
	return c.Status().Changed
}

func TestChangesAreDetectedAndSticky(t *testing.T) {
	file, dir, state := setup(t)
	missing := filepath.Join(filepath.Dir(file), "ld.so.preload")
	paths := []string{file, dir, missing}
	c, err := New(paths, state, quiet)
	if err != nil {
		t.Fatal(err)
	}
	if st := c.Status(); st.Rebuilds[ReasonMissing] != 1 || st.Results[ResultUnchanged] != 1 {
		t.Errorf("first start: rebuilds %v, results %v; want missing=1, unchanged=1", st.Rebuilds, st.Results)
	}
	steps := []struct {
		name   string
		change func() error
		path   string
	}{
		{"content", func() error { return os.WriteFile(file, []byte("root:x:0:0\nevil:x:0:0\n"), 0o644) }, file},
		{"entry added to a directory", func() error { return os.WriteFile(filepath.Join(dir, "b"), []byte("b ALL\n"), 0o440) }, dir},
		{"missing file created", func() error { return os.WriteFile(missing, []byte("/x.so\n"), 0o644) }, missing},
	}
	for _, s := range steps {
		if err := s.change(); err != nil {
			t.Fatal(err)
		}
		c.Check()
		if !changed(t, c)[s.path] {
			t.Errorf("%s: %s not reported changed", s.name, s.path)
		}
	}
	// Reverting does not clear the flag: only accepting does.
	os.WriteFile(file, []byte("root:x:0:0\n"), 0o644)
	c.Check()
	if !changed(t, c)[file] {
		t.Errorf("reverted %s: flag cleared without an accept", file)
	}
	if err := Rebaseline(paths, state, []string{file, dir, missing}); err != nil {
		t.Fatal(err)
	}
	if !c.reloadIfAccepted() {
		t.Fatal("rewritten state file was not reloaded")
	}
	c.Check()
	for p, v := range changed(t, c) {
		if v {
			t.Errorf("after accept: %s still changed", p)
		}
	}
}

func TestModeAndOwnerChangesDetected(t *testing.T) {
	file, dir, state := setup(t)
	c, err := New([]string{file, dir}, state, quiet)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(file, 0o4755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(filepath.Join(dir, "a"), 1, 1); err != nil && os.Geteuid() == 0 {
		t.Fatal(err)
	}
	c.Check()
	if got := changed(t, c); !got[file] || (os.Geteuid() == 0 && !got[dir]) {
		t.Errorf("changed = %v, want %s (mode) and %s (owner of an entry)", got, file, dir)
	}
}

func TestChangeWhileDownCaughtAtStart(t *testing.T) {
	file, dir, state := setup(t)
	ran(t, []string{file, dir}, state)
	os.WriteFile(file, []byte("tampered\n"), 0o644)
	c, err := New([]string{file, dir}, state, quiet)
	if err != nil {
		t.Fatal(err)
	}
	st := c.Status()
	if !st.Changed[file] || st.Changed[dir] || st.Results[ResultChanged] != 1 || len(st.Rebuilds) != 0 {
		t.Errorf("restart after tampering: %+v, want %s changed, one changed check, no rebuild", st, file)
	}
}

func TestCorruptStateRebuiltNotTrusted(t *testing.T) {
	cases := map[string]func(path string) error{
		"garbage": func(p string) error { return os.WriteFile(p, []byte("{not json"), 0o600) },
		"edited without checksum": func(p string) error {
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			// Flip one hex digit of a hash: the checksum no longer matches.
			for i := len(data) - 1; i >= 0; i-- {
				if data[i] >= 'a' && data[i] <= 'f' {
					data[i] = '0'
					break
				}
			}
			return os.WriteFile(p, data, 0o600)
		},
	}
	for name, corrupt := range cases {
		t.Run(name, func(t *testing.T) {
			file, dir, state := setup(t)
			ran(t, []string{file, dir}, state)
			if err := corrupt(state); err != nil {
				t.Fatal(err)
			}
			c, err := New([]string{file, dir}, state, quiet)
			if err != nil {
				t.Fatal(err)
			}
			if got := c.Status().Rebuilds; got[ReasonCorrupt] != 1 {
				t.Errorf("rebuilds = %v, want corrupt=1", got)
			}
			if _, err := os.Stat(state + ".corrupt"); err != nil {
				t.Errorf("corrupt state not kept: %v", err)
			}
			if _, err := LoadState(state); err != nil {
				t.Errorf("rebuilt state does not load: %v", err)
			}
		})
	}
}

func TestPromptCheckOnChange(t *testing.T) {
	file, dir, state := setup(t)
	c, err := New([]string{file, dir}, state, quiet)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go c.Run(ctx, time.Hour)
	os.WriteFile(filepath.Join(dir, "a"), []byte("a ALL=(ALL) NOPASSWD: ALL\n"), 0o440)
	deadline := time.Now().Add(5 * PollInterval)
	for !changed(t, c)[dir] {
		if time.Now().After(deadline) {
			t.Fatalf("change of %s not seen within %s (full checks are hourly)", dir, 5*PollInterval)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestUnwritableStateIsNotFatal(t *testing.T) {
	file, dir, _ := setup(t)
	// A file where the state directory should be: unwritable even for root,
	// as a read-only root filesystem is.
	blocker := filepath.Join(t.TempDir(), "state")
	if err := os.WriteFile(blocker, nil, 0o400); err != nil {
		t.Fatal(err)
	}
	c, err := New([]string{file, dir}, filepath.Join(blocker, "integrity.json"), quiet)
	if err != nil {
		t.Fatalf("unwritable state file: %v, want an in-memory baseline", err)
	}
	if got := c.Status().Results[ResultError]; got != 1 {
		t.Errorf("results[error] = %d, want 1 (the failed save)", got)
	}
	os.WriteFile(file, []byte("changed\n"), 0o644)
	c.Check()
	if !c.Status().Changed[file] {
		t.Errorf("in-memory baseline: change of %s not detected", file)
	}
}

// Two checkers of one state file would drop each other's paths from it at
// every poll: the second is refused until the first is closed. The
// rebaseline command, which runs beside the exporter, still writes.
func TestStateFileLocked(t *testing.T) {
	file, dir, state := setup(t)
	first, err := New([]string{file}, state, quiet)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := New([]string{dir}, state, quiet); !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), state) {
		t.Fatalf("second checker of %s: %v, want ErrLocked naming the state file", state, err)
	}
	if err := Rebaseline([]string{file}, state, nil); err != nil {
		t.Errorf("rebaseline beside a running checker: %v", err)
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	second, err := New([]string{dir}, state, quiet)
	if err != nil {
		t.Fatalf("once the first is closed: %v", err)
	}
	second.Close()
}
