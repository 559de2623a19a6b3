package integration

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/rtsec/rtsec/internal/testenv"
	"github.com/rtsec/rtsec/test/exporter"
	"github.com/rtsec/rtsec/test/runc"
)

const (
	fileMods  = "rtsec_file_modifications_total"
	fileReads = "rtsec_file_sensitive_reads_total"
)

// fileCounts returns a container's file series as "mod class/op" and
// "read class" → count.
func fileCounts(m exporter.Metrics, containerID string) map[string]float64 {
	out := map[string]float64{}
	mine := map[string]string{"container_id": containerID}
	for _, s := range m.Series(fileMods, mine) {
		l := exporter.Labels(s)
		out["mod "+l["path_class"]+"/"+l["op"]] += s.Counter.GetValue()
	}
	for _, s := range m.Series(fileReads, mine) {
		out["read "+exporter.Labels(s)["file_class"]] += s.Counter.GetValue()
	}
	return out
}

// delta returns after - before for every series that changed.
func delta(before, after map[string]float64) map[string]float64 {
	d := map[string]float64{}
	for k, v := range after {
		if v != before[k] {
			d[k] = v - before[k]
		}
	}
	return d
}

// Each command runs in a real runc container; the container's file series
// must change by exactly the expected deltas, and no other series of the
// container may move.
func TestFileSignalsInContainer(t *testing.T) {
	t.Parallel()
	e := exporter.Start(t, "--collector.disable-defaults", "--collector.file", "--collector.container")
	c := runc.Start(t, runc.Options{Files: map[string][]byte{
		"etc/shadow":            []byte("root:*:19000:0:99999:7:::\n"),
		"etc/cron.d/.keep":      nil,
		"var/log/app.log":       []byte("old\n"),
		"var/log/x.log":         []byte("old\n"),
		"var/log/t.log":         []byte("old\n"),
		"etc/profile":           []byte("export PATH\n"),
		"root/.ssh/known_hosts": []byte("host ssh-ed25519 AAAA\n"),
		"root/.ssh/.keep":       nil,
		"root/.bash_history":    []byte("ls\n"),
		"root/.aws/credentials": []byte("[default]\n"),
		"data/.keep":            nil,
		"var/lib/app/.keep":     nil,
		"var/run/secrets/kubernetes.io/serviceaccount/token": []byte("jwt"),
	}})
	cases := []struct {
		name, script string
		want         map[string]float64
	}{
		{"append to passwd", "echo x >> /etc/passwd", map[string]float64{"mod etc_passwd/write": 1}},
		{"truncate shadow through ..", "cd /etc && echo x > ./../etc/shadow", map[string]float64{"mod etc_shadow/truncate": 1, "mod etc_shadow/traversal": 1}},
		{"create below etc", "echo x > /etc/rtsec.conf", map[string]float64{"mod etc/create": 1}},
		{"cron job", "echo '* * * * * root sh' > /etc/cron.d/job", map[string]float64{"mod etc_cron/create": 1}},
		{"ld.so.preload", "echo /x.so > /etc/ld.so.preload", map[string]float64{"mod etc_ld_preload/create": 1}},
		{"authorized_keys", "echo ssh-ed25519 AAAA > /root/.ssh/authorized_keys", map[string]float64{"mod ssh_authorized_keys/create": 1}},
		{"symlink to shadow", "ln -s /etc/shadow /tmp/s", map[string]float64{"mod etc_shadow/symlink": 1}},
		{"relative symlink through ..", "cd /tmp && ln -s ../etc/../etc/shadow s2", map[string]float64{"mod etc_shadow/symlink": 1, "mod etc_shadow/traversal": 1}},
		{"hardlink to passwd", "ln /etc/passwd /tmp/p", map[string]float64{"mod etc_passwd/link": 1}},
		{"setuid bit", "touch /tmp/suid && chmod u+s /tmp/suid", map[string]float64{"mod other/setuid_bit": 1}},
		{"chmod in etc", "chmod 600 /etc/rtsec.conf", map[string]float64{"mod etc/chmod": 1}},
		{"file created below dev", "touch /dev/rtsec-x", map[string]float64{"mod dev/create": 1}},
		{"write to dev/null is not a modification", "echo x > /dev/null", map[string]float64{}},
		{"log deleted", "rm /var/log/x.log", map[string]float64{"mod log/unlink": 1}},
		{"log truncated", ": > /var/log/app.log", map[string]float64{"mod log/truncate": 1}},
		{"shell history unlinked", "rm /root/.bash_history", map[string]float64{"mod shell_history/unlink": 1}},
		{"shell history symlinked to dev/null", "ln -s /dev/null /root/.bash_history", map[string]float64{"mod shell_history/symlink": 1}},
		{"mkdir in bin", "mkdir /bin/rtsec-d", map[string]float64{"mod bin_dirs/mkdir": 1}},
		{"rename into bin", "cp /bin/busybox /tmp/bb && mv /tmp/bb /bin/bb2", map[string]float64{"mod bin_dirs/rename": 1, "mod other/exec_mode": 1}},
		{"drift: file created executable", "cp /bin/busybox /tmp/drift", map[string]float64{"mod other/exec_mode": 1}},
		{"drift: chmod +x", "echo x > /tmp/d2 && chmod +x /tmp/d2", map[string]float64{"mod other/exec_mode": 1}},
		{"no drift: chmod without x", "chmod 640 /tmp/d2", map[string]float64{}},
		{"no drift: existing executable rewritten", "echo x > /tmp/drift", map[string]float64{}},
		{"drift in bin", "echo x > /tmp/d3 && mv /tmp/d3 /bin/d3 && chmod 755 /bin/d3", map[string]float64{"mod bin_dirs/rename": 1, "mod bin_dirs/chmod": 1, "mod bin_dirs/exec_mode": 1}},
		{"hidden file in etc", "echo x > /etc/.rtsec", map[string]float64{"mod etc/create": 1, "mod etc/hidden": 1}},
		{"hidden directory in bin", "mkdir /bin/.rtsec", map[string]float64{"mod bin_dirs/mkdir": 1, "mod bin_dirs/hidden": 1}},
		{"renamed to a hidden name in etc", "echo x > /tmp/h && mv /tmp/h /etc/.h", map[string]float64{"mod etc/rename": 1, "mod etc/hidden": 1}},
		{"hidden file outside every class", "echo x > /tmp/.x && mkdir /tmp/.d", map[string]float64{}},
		{"log truncated by truncate(1)", "truncate -s 0 /var/log/t.log", map[string]float64{"mod log/write": 1, "mod log/truncate": 1}},
		{"read shell config", "cat /etc/profile", map[string]float64{"read shell_config": 1}},
		{"read ssh client files", "cat /root/.ssh/known_hosts", map[string]float64{"read ssh_client_config": 1}},
		{"read shadow", "cat /etc/shadow", map[string]float64{"read shadow": 1}},
		{"read shadow through ..", "cat /tmp/../etc/shadow", map[string]float64{"read shadow": 1, "read traversal": 1}},
		{"read shadow relative to cwd", "cd /etc && cat shadow", map[string]float64{"read shadow": 1}},
		{"failed open is not counted", "cat /etc/sudoers 2>/dev/null; true", map[string]float64{}},
		{"other process environ", "sleep 30 & p=$!; cat /proc/$p/environ; kill $p", map[string]float64{"read proc_environ": 1}},
		{"chown in etc", "chown 0:0 /etc/rtsec.conf", map[string]float64{"mod etc/chown": 1}},
		{"truncate syscall", "truncate -s 0 /etc/rtsec.conf", map[string]float64{"mod etc/write": 1, "mod etc/truncate": 1}},
		{"own service-account token", "cat /var/run/secrets/kubernetes.io/serviceaccount/token", map[string]float64{"read k8s_own_token": 1}},
		{"own environ", "cat /proc/self/environ", map[string]float64{}},
		{"benign: app data and its own log", "echo x > /data/db && echo y >> /var/lib/app/state && cat /data/db /etc/passwd", map[string]float64{}},
		{"benign: log rotation", "mv /var/log/app.log /var/log/app.log.1", map[string]float64{"mod log/rename": 1}},
		// The open exit's first checks (on_open_exit): a name the read gate
		// does not hold in a directory it does; names too long for the
		// dentry's inline copy; release agents, the only names a write-open
		// looks up by length, and names of other lengths.
		{"read cloud credentials: only the directory gated", "cat /root/.aws/credentials", map[string]float64{"read cloud_credentials": 1}},
		{"create a long name below etc", "echo x > /etc/" + strings.Repeat("l", 48), map[string]float64{"mod etc/create": 1}},
		{"long first component, unwatched", "mkdir -p /" + strings.Repeat("d", 48) + " && echo x > /" + strings.Repeat("d", 48) + "/f", map[string]float64{}},
		{"release_agent by name", "echo /x > /tmp/release_agent", map[string]float64{"mod cgroup_release_agent/create": 1}},
		{"notify_on_release by name", "echo 1 > /tmp/notify_on_release", map[string]float64{"mod cgroup_release_agent/create": 1}},
		{"no release agent: other names", "echo 1 > /tmp/notify_on_release.1 && echo 1 > /tmp/release_agent2", map[string]float64{}},
	}
	for _, tc := range cases {
		before := fileCounts(e.Scrape(t), c.Name())
		if out, err := c.Exec(t, "sh", "-c", tc.script); err != nil {
			t.Errorf("%s: %v: %s", tc.name, err, out)
			continue
		}
		got := delta(before, fileCounts(e.Scrape(t), c.Name()))
		if !maps.Equal(got, tc.want) {
			t.Errorf("%s (%q): series moved by %v, want %v", tc.name, tc.script, got, tc.want)
		}
	}
	// The same token read from the host, through the container's root, is
	// another workload's token.
	hostBefore := fileCounts(e.Scrape(t), "")
	if _, err := os.ReadFile(fmt.Sprintf("/proc/%d/root/var/run/secrets/kubernetes.io/serviceaccount/token", c.Pid())); err != nil {
		t.Fatal(err)
	}
	if got := delta(hostBefore, fileCounts(e.Scrape(t), ""))["read k8s_token"]; got != 1 {
		t.Errorf("host read of a container's token through /proc/<pid>/root: k8s_token moved by %v, want 1", got)
	}
	// Labels come from the fixed sets only.
	m := e.Scrape(t)
	for _, s := range m.Series(fileMods, map[string]string{"container_id": c.Name()}) {
		l := exporter.Labels(s)
		if !slices.Contains([]string{"write", "create", "truncate", "unlink", "rename", "chmod", "setuid_bit", "chown", "link", "symlink", "mkdir", "traversal", "exec_mode", "hidden"}, l["op"]) {
			t.Errorf("unexpected op label %v", l)
		}
	}
}

// A process that writes a file outside its own root counts as proc_exe,
// whatever the path's class there, and is logged: a container writing the
// host's runc binary through /proc/<pid>/exe (CVE-2019-5736), or, as here,
// the host writing into a container through /proc/<pid>/root. Writes inside
// the container's root through /proc/self/root do not count.
func TestWriteOutsideRoot(t *testing.T) {
	t.Parallel()
	e := exporter.Start(t, "--collector.disable-defaults", "--collector.file", "--collector.container")
	c := runc.Start(t, runc.Options{})
	before := fileCounts(e.Scrape(t), c.Name())
	c.MustExec(t, "sh", "-c", "echo x > /proc/self/root/tmp/inside && echo y > /proc/1/root/tmp/inside2")
	if got := delta(before, fileCounts(e.Scrape(t), c.Name())); len(got) > 0 {
		t.Errorf("writes inside the container's own root through /proc: series moved by %v, want none", got)
	}
	hostBefore := fileCounts(e.Scrape(t), "")
	if err := os.WriteFile(fmt.Sprintf("/proc/%d/root/etc/rtsec-outside", c.Pid()), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := delta(hostBefore, fileCounts(e.Scrape(t), "")); got["mod proc_exe/create"] != 1 || got["mod etc/create"] != 0 {
		t.Errorf("host write into the container's /etc through /proc/<pid>/root: host series moved by %v, want proc_exe/create 1 and no etc", got)
	}
}

// A read-only open of a block device counts as raw_block_device, whatever
// its name and directory: the open exit's first checks send every block
// device on (may_be_sensitive). The node is made here, for a block device
// of this machine; the host's opens are counted too.
func TestSensitiveBlockDeviceRead(t *testing.T) {
	t.Parallel()
	devs, _ := os.ReadDir("/sys/dev/block")
	if len(devs) == 0 {
		testenv.Unavailable(t, "no block device in /sys/dev/block")
	}
	var major, minor uint32
	if _, err := fmt.Sscanf(devs[0].Name(), "%d:%d", &major, &minor); err != nil {
		t.Fatalf("/sys/dev/block/%s: %v", devs[0].Name(), err)
	}
	node := filepath.Join(t.TempDir(), "plain-name")
	if err := unix.Mknod(node, unix.S_IFBLK|0o600, int(unix.Mkdev(major, minor))); err != nil {
		t.Fatal(err)
	}
	e := exporter.Start(t, "--collector.disable-defaults", "--collector.file")
	before := fileCounts(e.Scrape(t), "")
	f, err := os.Open(node)
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	if got := delta(before, fileCounts(e.Scrape(t), ""))["read raw_block_device"]; got < 1 {
		t.Errorf("read-only open of block device %d:%d: raw_block_device moved by %v, want at least 1", major, minor, got)
	}
}
