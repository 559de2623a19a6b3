package configfile

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRead(t *testing.T) {
	dir := t.TempDir()
	small := filepath.Join(dir, "small")
	if err := os.WriteFile(small, []byte("12345"), 0o644); err != nil {
		t.Fatal(err)
	}
	if data, err := Read(small, 5); err != nil || string(data) != "12345" {
		t.Errorf("Read of a file at its limit = %q, %v", data, err)
	}
	if _, err := Read(small, 4); !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "4 bytes") {
		t.Errorf("Read of a file over its limit: %v, want ErrTooLarge naming the limit", err)
	}
	// An endless file stops at the limit.
	if _, err := Read("/dev/zero", 1<<20); !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "1 MiB") {
		t.Errorf("Read(/dev/zero): %v, want ErrTooLarge naming 1 MiB", err)
	}
}

func TestCheck(t *testing.T) {
	dir := t.TempDir()
	small := filepath.Join(dir, "small")
	if err := os.WriteFile(small, []byte("12345"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		path  string
		limit int64
		ok    bool
	}{
		{small, 5, true}, {small, 4, false}, {filepath.Join(dir, "missing"), 1, true}, {"/dev/zero", 1 << 20, false}, {dir, 1 << 20, false},
	} {
		if err := Check(c.path, c.limit); (err == nil) != c.ok {
			t.Errorf("Check(%s, %d) = %v, want ok=%v", c.path, c.limit, err, c.ok)
		}
	}
}
