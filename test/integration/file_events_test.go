package integration

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/rtsec/rtsec/test/attack"
	"github.com/rtsec/rtsec/test/exporter"
	"github.com/rtsec/rtsec/test/runc"
)

// Critical modifications and sensitive reads in a runc container reach the
// event log with the file's exact absolute path however it was spelled
// (cwd, dirfd, ".."), its class, op and the container; ordinary writes do
// not, nor does the host in a class it writes all day (root's home). The
// process collector is off: the file object alone owns the log.
func TestFileEvents(t *testing.T) {
	t.Parallel()
	e := exporter.Start(t, "--collector.disable-defaults", "--collector.file", "--collector.container")
	c := runc.Start(t, runc.Options{Files: map[string][]byte{
		"bin/rtsec-attack":  attack.Program(t),
		"etc/shadow":        []byte("root:*:19000:0:99999:7:::\n"),
		"root/.ssh/.keep":   nil,
		"var/log/a.log":     []byte("old\n"),
		"var/log/b.log":     []byte("old\n"),
		"var/log/c.log":     []byte("old\n"),
		"var/log/app.log":   []byte("old\n"),
		"app/.keep":         nil,
		"var/lib/app/.keep": nil,
		"var/run/secrets/kubernetes.io/serviceaccount/token": []byte("jwt"),
	}})
	// Benign first: once the attacks' events are in, theirs would be too.
	c.MustExec(t, "sh", "-c", "echo x > /app/data.txt; echo y > /tmp/x; echo z >> /var/lib/app/db; echo line >> /var/log/app.log; "+
		"cat /var/run/secrets/kubernetes.io/serviceaccount/token /etc/passwd /proc/self/environ > /dev/null")
	host, err := os.CreateTemp("/root", "rtsec-test-")
	if err != nil {
		t.Fatal(err)
	}
	host.Close()
	os.Remove(host.Name())
	c.MustExec(t, "sh", "-c", "echo x >> /etc/passwd")
	c.MustExec(t, "sh", "-c", "cd /root/.ssh && echo ssh-ed25519 AAAA > authorized_keys")
	c.MustExec(t, "rm", "/var/log/../log/a.log")
	c.MustExec(t, "sh", "-c", "cd /tmp && rm ../var/log/b.log")
	c.MustExec(t, "/bin/rtsec-attack", "unlinkat", "/var/log", "c.log")
	c.MustExec(t, "sh", "-c", "cd /etc && cat shadow > /dev/null")
	c.MustExec(t, "cat", "/tmp/../etc/shadow")
	c.MustExec(t, "ln", "-s", "/etc/shadow", "/tmp/s")
	c.MustExec(t, "sh", "-c", "touch /tmp/suid && chmod u+s /tmp/suid")
	c.MustExec(t, "touch", "/dev/rtsec-x")
	c.MustExec(t, "cp", "/bin/busybox", "/tmp/drift")
	c.MustExec(t, "sh", "-c", "echo x > /tmp/d2 && chmod +x /tmp/d2")
	c.MustExec(t, "sh", "-c", "sleep 30 & p=$!; cat /proc/$p/environ > /dev/null; kill $p")

	mod := func(path, class, op string, traversal bool) eventLine {
		return eventLine{Type: "file_modification", Path: path, PathClass: class, Op: op, Traversal: traversal}
	}
	read := func(path, class string, traversal bool) eventLine {
		return eventLine{Type: "file_sensitive_read", Path: path, FileClass: class, Traversal: traversal}
	}
	for _, want := range []eventLine{
		mod("/etc/passwd", "etc_passwd", "write", false),
		mod("/root/.ssh/authorized_keys", "ssh_authorized_keys", "create", false),
		mod("/var/log/a.log", "log", "unlink", true),
		mod("/var/log/b.log", "log", "unlink", true),
		mod("/var/log/c.log", "log", "unlink", false),
		mod("/etc/shadow", "etc_shadow", "symlink", false),
		mod("/tmp/suid", "other", "setuid_bit", false),
		mod("/dev/rtsec-x", "dev", "create", false),
		mod("/tmp/drift", "other", "exec_mode", false),
		mod("/tmp/d2", "other", "exec_mode", false),
		read("/etc/shadow", "shadow", false),
		read("/etc/shadow", "shadow", true),
		read("/proc/*/environ", "proc_environ", false),
	} {
		assertEvent(t, e, func(l eventLine) bool {
			pathOK := l.Path == want.Path
			if prefix, suffix, ok := strings.Cut(want.Path, "*"); ok {
				pathOK = strings.HasPrefix(l.Path, prefix) && strings.HasSuffix(l.Path, suffix) && !strings.Contains(l.Path, "*")
			}
			return l.ContainerID == c.Name() && l.Type == want.Type && pathOK && l.PathClass == want.PathClass &&
				l.FileClass == want.FileClass && l.Op == want.Op && l.Traversal == want.Traversal && l.Exe != "" && len(l.Argv) > 0
		}, fmt.Sprintf("%+v in container %s", want, c.Name()))
	}

	environ := 0
	for _, l := range eventLines(e.Output()) {
		if l.Path == host.Name() {
			t.Errorf("event for a host write to root's home: %+v", l)
		}
		if l.ContainerID != c.Name() {
			continue
		}
		if l.FileClass == "proc_environ" {
			environ++
		}
		for _, benign := range []string{"/app/", "/tmp/x", "/var/lib/app/", "/var/log/app.log", "/etc/passwd", "/var/run/secrets/"} {
			if strings.HasPrefix(l.Path, benign) && !(l.Path == "/etc/passwd" && l.Op == "write") {
				t.Errorf("event for an ordinary file or a benign read: %+v", l)
			}
		}
	}
	if environ != 1 {
		t.Errorf("%d proc_environ events, want 1 (another process's, not its own)", environ)
	}
	m := e.Scrape(t)
	for typ, min := range map[string]float64{"file_modification": 7, "file_sensitive_read": 3} {
		if got, _ := m.Value(t, "rtsec_events_total", map[string]string{"type": typ}); got < min {
			t.Errorf("rtsec_events_total{type=%q} = %v, want at least %v", typ, got, min)
		}
	}
}
