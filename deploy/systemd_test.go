package deploy

import (
	"bufio"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/rtsec/rtsec/exporter/privileges"
)

// The systemd unit runs the exporter as a non-root dynamic user holding
// exactly the documented capability set, as the least-privilege tests do.
func TestSystemdUnitLeastPrivilege(t *testing.T) {
	f, err := os.Open(filepath.Join(root, "deploy", "systemd", "rtsec_exporter.service"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	settings := map[string]string{}
	s := bufio.NewScanner(f)
	for s.Scan() {
		line := strings.TrimSpace(s.Text())
		if key, value, ok := strings.Cut(line, "="); ok && !strings.HasPrefix(line, "#") {
			if _, dup := settings[key]; dup {
				t.Errorf("%s set twice", key)
			}
			settings[key] = value
		}
	}
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	want := privileges.Names(privileges.Documented)
	for _, key := range []string{"AmbientCapabilities", "CapabilityBoundingSet"} {
		if got := strings.Fields(settings[key]); !slices.Equal(got, want) {
			t.Errorf("%s=%v, want the documented set %v", key, got, want)
		}
	}
	for key, value := range map[string]string{"DynamicUser": "yes", "NoNewPrivileges": "yes", "ProtectSystem": "strict"} {
		if settings[key] != value {
			t.Errorf("%s=%q, want %q", key, settings[key], value)
		}
	}
	if user, ok := settings["User"]; ok {
		t.Errorf("User=%s: the unit runs as a dynamic non-root user", user)
	}
}
