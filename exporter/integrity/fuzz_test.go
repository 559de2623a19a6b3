package integrity

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// Any state file either is refused as corrupt or gives the baseline its
// checksum covers: saving it again and loading it gives it back.
func FuzzParseState(f *testing.F) {
	dir := f.TempDir()
	seed := filepath.Join(dir, "seed.json")
	if err := SaveState(seed, Baseline{"/etc/passwd": {}}); err != nil {
		f.Fatal(err)
	}
	data, err := os.ReadFile(seed)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data)
	f.Add([]byte(`{"version":1,"paths":{},"checksum":""}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := parseState(data, "fuzz")
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("error %v is not ErrCorrupt", err)
			}
			return
		}
		path := filepath.Join(t.TempDir(), "state.json")
		if err := SaveState(path, b); err != nil {
			t.Fatal(err)
		}
		again, err := LoadState(path)
		if err != nil || !reflect.DeepEqual(again, b) {
			t.Fatalf("saved and loaded again: %v, %v; want %v", again, err, b)
		}
	})
}
