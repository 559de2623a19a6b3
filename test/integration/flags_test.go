package integration

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The collector flags' names before they took node_exporter's form
// --collector.<collector>.<flag>: hidden aliases in 0.1.0.
var oldFlagNames = []string{
	"process.binary-budget", "process.host-binary-budget", "process.classes-file", "process.runtime-binaries",
	"file.classes-file",
	"network.cluster-cidr", "network.service-cidr", "network.node-cidr", "network.api-server", "network.ports",
	"network.novelty-window", "network.novelty-budget",
	"integrity.watch", "integrity.state-file", "integrity.interval", "integrity.rebaseline", "integrity.accept",
}

// --help shows every renamed flag by its new name and none by its old one.
func TestFlagsOldNamesHidden(t *testing.T) {
	code, out := runExporter(t, []string{"env"}, "--help")
	if code != 0 {
		t.Fatalf("--help: exit %d\n%s", code, out)
	}
	for _, old := range oldFlagNames {
		if !strings.Contains(out, "-collector."+old) {
			t.Errorf("--help does not show --collector.%s", old)
		}
		if strings.Contains(out, "--"+old) || strings.Contains(out, "--[no-]"+old) {
			t.Errorf("--help shows the old name --%s", old)
		}
	}
}

// The old names set what the new ones set: a rebaseline given only old
// names writes the baseline of exactly the watch list given (it replaces
// the built-in one, as the new name's values do), and warns of the rename.
func TestFlagsOldNamesWork(t *testing.T) {
	dir := t.TempDir()
	watched := filepath.Join(dir, "passwd")
	if err := os.WriteFile(watched, []byte("root:x:0:0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, prefix := range []string{"--", "--collector."} {
		t.Run(prefix, func(t *testing.T) {
			state := filepath.Join(t.TempDir(), "integrity.json")
			code, out := runExporter(t, []string{"env"},
				prefix+"integrity.watch="+watched, prefix+"integrity.state-file="+state, prefix+"integrity.rebaseline")
			if code != 0 {
				t.Fatalf("rebaseline: exit %d\n%s", code, out)
			}
			baseline, err := os.ReadFile(state)
			if err != nil {
				t.Fatalf("no baseline written where %sintegrity.state-file says: %v\n%s", prefix, err, out)
			}
			if !strings.Contains(string(baseline), watched) || strings.Contains(string(baseline), `"/etc/passwd"`) {
				t.Errorf("baseline %s: want %s and none of the built-in watch list\n%s", state, watched, baseline)
			}
			warned := strings.Contains(out, "flag renamed") && strings.Contains(out, "--integrity.watch") && strings.Contains(out, "--collector.integrity.watch")
			if old := prefix == "--"; warned != old {
				t.Errorf("old names given: %v, warned of the rename: %v\n%s", old, warned, out)
			}
		})
	}
}

// An old name with a bad value fails like the new name, with one line
// naming the new name; both names of one flag together are refused.
func TestFlagsOldNamesRefused(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"--process.binary-budget=0"}, "--collector.process.binary-budget=0: must be between 1 and 4096"},
		{[]string{"--network.novelty-window=1ms"}, "--collector.network.novelty-window=1ms: must be at least 1s"},
		{[]string{"--process.binary-budget=5", "--collector.process.binary-budget=6"}, "--process.binary-budget is the old name of --collector.process.binary-budget: give one of them"},
	}
	for _, c := range cases {
		code, out := runExporter(t, []string{"env"}, c.args...)
		out = strings.TrimSpace(out)
		if code != 1 || strings.Count(out, "\n") > 0 || !strings.Contains(out, c.want) {
			t.Errorf("%v: exit %d, output %q; want exit 1 and one line with %q", c.args, code, out, c.want)
		}
	}
}
