package fileclass

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rtsec/rtsec/bpf/enums"
)

func TestDefaultsValid(t *testing.T) {
	table, err := Load("")
	if err != nil {
		t.Fatal(err)
	}
	mods, reads := table.Names(Modify), table.Names(Read)
	if mods[0] != "cgroup_release_agent" || reads[0] != "traversal" {
		t.Errorf("fixed classes must come first: %v, %v", mods[:2], reads[:2])
	}
	if len(mods) > 255 || len(reads) > 255 {
		t.Errorf("class ids do not fit a byte: %d, %d", len(mods), len(reads))
	}
}

// lookup is what the kernel's LPM trie answers for a normalised path.
func lookup(entries []Entry, path string) Entry {
	var best Entry
	key := path + "\x00"
	for _, e := range entries {
		if strings.HasPrefix(key, e.Key) && len(e.Key) > len(best.Key) {
			best = e
		}
	}
	return best
}

func TestEntriesLongestPrefix(t *testing.T) {
	table, err := Load("")
	if err != nil {
		t.Fatal(err)
	}
	entries := table.Entries()
	mods, reads := table.Names(Modify), table.Names(Read)
	cases := []struct {
		path, mod, read string
		flags           uint8
	}{
		{"/etc/passwd", "etc_passwd", "", enums.CfLinkTarget | enums.CfModHostEvents},
		{"/etc/passwd-", "etc", "", enums.CfLinkTarget},
		{"/etc/shadow", "etc_shadow", "shadow", enums.CfLinkTarget | enums.CfModHostEvents},
		{"/etc/sudoers.d/x", "etc_sudoers", "sudoers", enums.CfLinkTarget | enums.CfModHostEvents},
		{"/etc/sudoers.d", "etc_sudoers", "sudoers", enums.CfLinkTarget | enums.CfModHostEvents},
		{"/etc", "etc", "", enums.CfLinkTarget},
		{"/etcetera/x", "", "", 0},
		{"/etc/kubernetes/admin.conf", "kube", "kube_credentials", enums.CfLinkTarget},
		{"/home/*/.ssh/authorized_keys", "ssh_authorized_keys", "ssh_client_config", enums.CfLinkTarget | enums.CfModHostEvents | enums.CfDotfiles},
		{"/root/.ssh/id_rsa", "root_home", "ssh_private_key", enums.CfLinkTarget | enums.CfReadHostEvents | enums.CfDotfiles},
		{"/root/.ssh/id_rsa.pub", "root_home", "ssh_client_config", enums.CfLinkTarget | enums.CfDotfiles},
		{"/root/.ssh/known_hosts", "root_home", "ssh_client_config", enums.CfLinkTarget | enums.CfDotfiles},
		{"/etc/ssh/ssh_config.d/x.conf", "etc_ssh", "ssh_client_config", enums.CfLinkTarget | enums.CfModHostEvents},
		{"/etc/ssh/sshd_config", "etc_ssh", "", enums.CfLinkTarget | enums.CfModHostEvents},
		{"/etc/profile.d/x.sh", "shell_rc", "shell_config", enums.CfLinkTarget | enums.CfModHostEvents | enums.CfDotfiles},
		{"/home/*/.bashrc", "shell_rc", "shell_config", enums.CfLinkTarget | enums.CfModHostEvents | enums.CfDotfiles},
		{"/var/run/secrets/kubernetes.io/serviceaccount/token", "kube", "k8s_token", enums.CfLinkTarget | enums.CfOwnToken},
		{"/dev/x", "dev", "", enums.CfCreatesOnly},
		{"/var/log/syslog", "log", "", 0},
		{"/tmp/x", "", "", 0},
	}
	for _, c := range cases {
		e := lookup(entries, c.path)
		mod, read := "", ""
		if e.ModClass > 0 {
			mod = mods[e.ModClass-1]
		}
		if e.ReadClass > 0 {
			read = reads[e.ReadClass-1]
		}
		if mod != c.mod || read != c.read || e.Flags != c.flags {
			t.Errorf("%s: got (%q, %q, flags %d), want (%q, %q, flags %d)", c.path, mod, read, e.Flags, c.mod, c.read, c.flags)
		}
	}
}

func TestGate(t *testing.T) {
	table, err := Load("")
	if err != nil {
		t.Fatal(err)
	}
	gate := table.Gate()
	for name, want := range map[string]uint8{
		"shadow": enums.GatePath, "sudoers.d": enums.GatePath, ".aws": enums.GatePath, "token": enums.GatePath,
		"environ": enums.GateProcEnviron, "mem": enums.GateProcMem, "kcore": enums.GateKcore,
		"release_agent": enums.GateReleaseAgent, "notify_on_relea": enums.GateReleaseAgent,
	} {
		if gate[name] != want {
			t.Errorf("gate[%q] = %d, want %d", name, gate[name], want)
		}
	}
	for name := range gate {
		if len(name) > GateLen {
			t.Errorf("gate name %q longer than %d bytes", name, GateLen)
		}
	}
}

// The kernel skips the gate for a write-open whose name has another
// length than a release agent's: every release agent must have one of
// those lengths, or its writes would never count.
func TestReleaseAgentLengths(t *testing.T) {
	for _, name := range releaseAgents {
		if n := len(name); n != enums.ReleaseAgentLen && n != enums.NotifyOnReleaseLen {
			t.Errorf("release agent %q: length %d, the kernel checks %d and %d", name, n, enums.ReleaseAgentLen, enums.NotifyOnReleaseLen)
		}
	}
}

func TestLoadRejects(t *testing.T) {
	cases := map[string]string{
		"relative":  "classes: [{name: a, kind: modify, prefixes: [etc/]}]",
		"dotdot":    "classes: [{name: a, kind: modify, prefixes: [/etc/../x]}]",
		"wildcard":  "classes: [{name: a, kind: modify, prefixes: [/etc/*/x]}]",
		"kind":      "classes: [{name: a, kind: delete, prefixes: [/x]}]",
		"reserved":  "classes: [{name: traversal, kind: read, prefixes: [/x]}]",
		"duplicate": "classes: [{name: a, kind: read, prefixes: [/x]}, {name: b, kind: read, prefixes: [/x]}]",
		"unknown":   "classes: [{name: a, kind: read, prefixes: [/x], colour: red}]",
		"empty":     "classes: []",
	}
	for name, doc := range cases {
		path := filepath.Join(t.TempDir(), "classes.yaml")
		if err := os.WriteFile(path, []byte(doc), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := Load(path); err == nil {
			t.Errorf("%s: Load accepted %s", name, doc)
		}
	}
	path := filepath.Join(t.TempDir(), "ok.yaml")
	os.WriteFile(path, []byte("classes: [{name: app_config, kind: modify, prefixes: [/srv/app/conf/, /home/*/.apprc]}]"), 0o644)
	table, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := table.Names(Modify); got[len(got)-1] != "app_config" {
		t.Errorf("names = %v, want app_config last", got)
	}
}

func TestCritical(t *testing.T) {
	table, err := Load("")
	if err != nil {
		t.Fatal(err)
	}
	entries := table.Entries()
	op := func(names ...string) uint16 {
		return Class{CriticalOps: names}.EventOps()
	}
	all := Class{Critical: true}.EventOps()
	if all != 0b1111_1111_1110 {
		t.Errorf("critical: mask %b, want every op but traversal, exec_mode and hidden (bits 1-11)", all)
	}
	cases := []struct {
		path string
		want uint16
	}{
		{"/etc/passwd", all},
		{"/etc/ld.so.preload", all},
		{"/etc/hosts", 0},
		{"/root/.ssh/authorized_keys", all},
		{"/home/*/.ssh/authorized_keys", all},
		{"/usr/bin/x", all},
		{"/var/log/app.log", op("unlink", "truncate")},
		{"/var/lib/dpkg/status", 0},
		{"/tmp/x", 0},
		{"/data/db", 0},
	}
	for _, c := range cases {
		if got := lookup(entries, c.path).EventOps; got != c.want {
			t.Errorf("%s: event ops %b, want %b", c.path, got, c.want)
		}
	}
	for name, doc := range map[string]string{
		"read class":               "classes: [{name: a, kind: read, prefixes: [/x], critical: true}]",
		"both":                     "classes: [{name: a, kind: modify, prefixes: [/x], critical: true, critical_ops: [unlink]}]",
		"unknown op":               "classes: [{name: a, kind: modify, prefixes: [/x], critical_ops: [delete]}]",
		"traversal":                "classes: [{name: a, kind: modify, prefixes: [/x], critical_ops: [traversal]}]",
		"exec_mode":                "classes: [{name: a, kind: modify, prefixes: [/x], critical_ops: [exec_mode]}]",
		"hidden":                   "classes: [{name: a, kind: modify, prefixes: [/x], critical_ops: [hidden]}]",
		"host only":                "classes: [{name: a, kind: modify, prefixes: [/x], host_events: true}]",
		"dotfiles on a read class": "classes: [{name: a, kind: read, prefixes: [/x], dotfiles: true}]",
	} {
		path := filepath.Join(t.TempDir(), "classes.yaml")
		if err := os.WriteFile(path, []byte(doc), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := Load(path); err == nil {
			t.Errorf("%s: Load accepted %s", name, doc)
		}
	}
}

// The write gate lets through the first component of every modification
// prefix, and only those; a class "/" makes every write-open walk.
func TestFirstComponentGate(t *testing.T) {
	table, err := Load("")
	if err != nil {
		t.Fatal(err)
	}
	gate, filter := table.Gate(), table.GateFilter()
	for _, name := range []string{"etc", "var", "usr", "root", "home", "proc", "sys", "dev", "run", "boot", "lib64"} {
		if gate[name]&enums.GateFirst == 0 {
			t.Errorf("gate[%q] = %#x: no GateFirst", name, gate[name])
		}
		if filter[enums.GateFilterFirst+len(name)]&(1<<(name[0]&63)) == 0 {
			t.Errorf("first-component filter misses %q", name)
		}
	}
	for _, name := range []string{"tmp", "data", "opt", "srv"} {
		if gate[name]&enums.GateFirst != 0 {
			t.Errorf("gate[%q] = %#x: %s starts no modification class", name, gate[name], name)
		}
	}
	if filter[enums.GateFilterAll] != 0 {
		t.Error("the default table walks every write-open")
	}
	// A read class alone makes no first component.
	reads := &Table{Classes: []Class{{Name: "r", Kind: Read, Prefixes: []string{"/srv/secret"}}}}
	if g := reads.Gate()["srv"]; g&enums.GateFirst != 0 {
		t.Errorf("read-only class: gate[srv] = %#x", g)
	}
	// Cut to GateLen like the kernel's key, and "/" covers every path.
	long := &Table{Classes: []Class{
		{Name: "l", Kind: Modify, Prefixes: []string{"/a-very-long-first-component/x"}},
		{Name: "all", Kind: Modify, Prefixes: []string{"/"}},
	}}
	if g := long.Gate()["a-very-long-fir"]; g&enums.GateFirst == 0 {
		t.Errorf("long first component not cut to %d bytes in the gate", GateLen)
	}
	if long.GateFilter()[enums.GateFilterAll] != 1 {
		t.Error(`class "/" does not make every write-open walk`)
	}
}
