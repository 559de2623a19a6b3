package container

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

// Any label value becomes a bounded, valid UTF-8 one, and a valid one is
// kept.
func FuzzSanitizeLabel(f *testing.F) {
	f.Add("nginx")
	f.Add(strings.Repeat("é", 300))
	f.Add("a\x00b\xffc")
	f.Fuzz(func(t *testing.T, s string) {
		out := sanitizeLabel(s)
		if !utf8.ValidString(out) || len(out) > maxLabelBytes+32 {
			t.Fatalf("sanitizeLabel(%q) = %q", s, out)
		}
		if sanitizeLabel(out) != out {
			t.Fatalf("sanitizeLabel is not stable on %q: %q", out, sanitizeLabel(out))
		}
	})
}

// Any mountinfo gives a cgroup2 mount listed in it, or an error.
func FuzzCgroup2Mount(f *testing.F) {
	f.Add("29 23 0:26 / /sys/fs/cgroup/unified rw,nosuid - cgroup2 cgroup2 rw\n")
	f.Add("1 0 0:1 / / rw - ext4 /dev/sda1 rw\n")
	f.Add("1 0 0:1 / /a\\040b rw - cgroup2 none rw\n")
	f.Fuzz(func(t *testing.T, mountinfo string) {
		mount, err := cgroup2Mount(strings.NewReader(mountinfo))
		if err == nil && mount == "" {
			t.Fatal("an empty mount point without error")
		}
	})
}

// Any runc state file either names the cgroup or not; none makes the
// resolver fail.
func FuzzRuncState(f *testing.F) {
	f.Add([]byte(`{"cgroup_paths":{"":"/sys/fs/cgroup/unified/c1"},"config":{"cgroups":{"path":"/c1"}}}`), "/c1")
	f.Add([]byte(`{"cgroup_paths":null}`), "/")
	f.Add([]byte(`[`), "")
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, state []byte, cgpath string) {
		file := filepath.Join(dir, "state.json")
		if err := os.WriteFile(file, state, 0o600); err != nil {
			t.Fatal(err)
		}
		stateNames(file, cgpath)
	})
}
