package collector

import (
	"os"
	"path/filepath"
	"testing"
)

func TestStatsEnabled(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		content string // "" for no file
		want    bool
	}{
		{"1\n", true},
		{"0\n", false},
		{"", false},
	}
	for i, c := range cases {
		path := filepath.Join(dir, "bpf_stats_enabled")
		os.Remove(path)
		if c.content != "" {
			if err := os.WriteFile(path, []byte(c.content), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		if got := statsEnabled(path); got != c.want {
			t.Errorf("case %d: statsEnabled with %q = %v, want %v", i, c.content, got, c.want)
		}
	}
}
