package integration

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rtsec/rtsec/test/attack"
	"github.com/rtsec/rtsec/test/exporter"
	"github.com/rtsec/rtsec/test/runc"
)

const suspicious = "rtsec_process_suspicious_execs_total"

// reasonCounts returns the container's suspicious exec counts by reason.
func reasonCounts(m exporter.Metrics, containerID string) map[string]float64 {
	got := map[string]float64{}
	for _, s := range m.Series(suspicious, map[string]string{"container_id": containerID}) {
		got[exporter.Labels(s)["reason"]] += s.Counter.GetValue()
	}
	return got
}

func TestSuspiciousExecs(t *testing.T) {
	t.Parallel()
	e := exporter.Start(t)
	files := map[string][]byte{"bin/rtsec-attack": attack.Program(t)}
	if ld, err := os.ReadFile("/lib64/ld-linux-x86-64.so.2"); err == nil {
		files["lib64/ld-linux-x86-64.so.2"] = ld
	} else {
		t.Fatalf("the ld_loader case needs the host's dynamic loader: %v", err)
	}
	c := runc.Start(t, runc.Options{Files: files})
	if got := reasonCounts(e.Scrape(t), c.Name()); len(got) != 0 {
		t.Fatalf("fresh container already has suspicious execs %v", got)
	}

	c.MustExec(t, "/bin/rtsec-attack", "stdio-socket", "/bin/true")
	c.MustExec(t, "/bin/rtsec-attack", "memfd", "/bin/true")
	c.MustExec(t, "/bin/rtsec-attack", "deleted", "/bin/true")
	c.MustExec(t, "/bin/rtsec-attack", "tty-shell", "/bin/sh")
	// Three execs under writable directories (one by a relative name, which
	// only the resolved path shows) and one outside them.
	c.MustExec(t, "sh", "-c", "mkdir -p /opt && for d in /tmp /var/tmp /opt; do cp /bin/busybox $d/true; done && "+
		"/tmp/true && /var/tmp/true && /opt/true && cd /tmp && ./true")
	c.MustExec(t, "/lib64/ld-linux-x86-64.so.2", "--version")

	want := map[string]float64{"stdio_socket": 1, "memfd": 1, "deleted_binary": 1, "tty_shell": 1, "writable_dir": 3, "ld_loader": 1}
	got := reasonCounts(e.Scrape(t), c.Name())
	for _, reason := range []string{"stdio_socket", "memfd", "deleted_binary", "writable_dir", "ld_loader", "upper_layer", "tty_shell"} {
		if got[reason] != want[reason] {
			t.Errorf("%s{container_id=%q, reason=%q} = %v, want %v", suspicious, c.Name(), reason, got[reason], want[reason])
		}
	}
	assertEvent(t, e, func(l eventLine) bool {
		return l.Type == "suspicious_exec" && l.ContainerID == c.Name() && slices.Equal(l.Reasons, []string{"stdio_socket"}) &&
			l.Exe == "/bin/true" && l.ParentComm != "" && slices.Equal(l.Argv, []string{"/bin/true"})
	}, "a suspicious_exec event with reasons [stdio_socket], exe /bin/true and argv [/bin/true]")
}

// eventLine is the part of an event log line the tests check.
type eventLine struct {
	EventID     string   `json:"event_id"`
	Type        string   `json:"type"`
	Reasons     []string `json:"reasons"`
	Kind        string   `json:"kind"`
	Class       string   `json:"class"`
	Syscall     string   `json:"syscall"`
	ContainerID string   `json:"container_id"`
	Exe         string   `json:"exe"`
	Argv        []string `json:"argv"`
	ParentComm  string   `json:"parent_comm"`
	UID         uint32   `json:"uid"`
	Path        string   `json:"path"`
	PathClass   string   `json:"path_class"`
	FileClass   string   `json:"file_class"`
	Op          string   `json:"op"`
	Traversal   bool     `json:"traversal"`
	Action      string   `json:"action"`
	PolicyRule  string   `json:"policy_rule"`
}

// eventLines parses the event log lines in the exporter's output (its
// stdout; its own logs are not JSON).
func eventLines(output string) []eventLine {
	var lines []eventLine
	for _, line := range strings.Split(output, "\n") {
		var l eventLine
		if strings.HasPrefix(line, "{") && json.Unmarshal([]byte(line), &l) == nil {
			lines = append(lines, l)
		}
	}
	return lines
}

// assertEvent waits up to 5s for an event log line (the exporter's stdout)
// that match accepts.
func assertEvent(t *testing.T, e *exporter.Exporter, match func(eventLine) bool, what string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		if slices.ContainsFunc(eventLines(e.Output()), match) {
			return
		}
		if time.Now().After(deadline) {
			t.Errorf("no event log line: want %s; output:\n%s", what, tail(e.Output(), 4000))
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

func TestClassExecs(t *testing.T) {
	t.Parallel()
	classesFile := filepath.Join(t.TempDir(), "classes")
	if err := os.WriteFile(classesFile, []byte("shell: sh\nnetwork_tool: nc\nminer: xmrig # renamed true\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	e := exporter.Start(t, "--collector.process.classes-file="+classesFile)
	c := runc.Start(t, runc.Options{})
	c.MustExec(t, "sh", "-c", "ln -s /bin/true /bin/xmrig; /bin/xmrig; /bin/xmrig; /bin/nc -h 2>/dev/null; exit 0")
	// Unlisted names with a pool URL argument count as miners, a listed
	// miner with one counts once, and near misses not at all.
	c.MustExec(t, "/bin/true", "-o", "stratum+tcp://pool.example:3333")
	c.MustExec(t, "/bin/true", "--donate-level=1", "--url=STRATUM2+SSL://pool.example:443")
	c.Exec(t, "/bin/xmrig", "-o", "stratum+tcp://pool.example:3333") // busybox has no such applet: exits 127 after the exec
	c.MustExec(t, "/bin/true", "stratum", "+tcp://pool.example:3333")
	c.MustExec(t, "/bin/true", "stratumtcp://pool.example:3333", "strat+tcp://pool.example:3333")

	m := e.Scrape(t)
	for class, want := range map[string]float64{"shell": 1, "network_tool": 1, "miner": 5} {
		got, _ := m.Value(t, "rtsec_process_class_execs_total", map[string]string{"container_id": c.Name(), "class": class})
		if got != want {
			t.Errorf("rtsec_process_class_execs_total{container_id=%q, class=%q} = %v, want %v", c.Name(), class, got, want)
		}
	}
}

// runc 1.1 re-executes a private copy of itself (a memfd or a detached
// read-only bind) inside each new container's cgroup, at run and at exec,
// and sets the container up from it (mount, pivot_root, setns, keyctl,
// capset…): all that is the runtime's, not the container's, and must show
// neither as execs ("6"), fileless executions, sensitive syscalls nor
// privilege changes. It takes either path about half of the time, so
// several containers cover both.
func TestRuntimeReexecNotCounted(t *testing.T) {
	t.Parallel()
	e := exporter.Start(t)
	var cs []*runc.Container
	for range 6 {
		c := runc.Start(t, runc.Options{})
		c.MustExec(t, "/bin/true")
		cs = append(cs, c)
	}
	m := e.Scrape(t)
	for _, c := range cs {
		for _, s := range m.Series(execs, map[string]string{"container_id": c.Name()}) {
			if b := exporter.Labels(s)["binary"]; b != "sleep" && b != "true" {
				t.Errorf("container %s has execs of %q (%v), want only sleep and true", c.Name(), b, s.Counter.GetValue())
			}
		}
		if got := reasonCounts(m, c.Name()); len(got) != 0 {
			t.Errorf("container %s has suspicious execs %v, want none", c.Name(), got)
		}
		for _, name := range []string{sensitive, privilege} {
			if got := m.Series(name, map[string]string{"container_id": c.Name()}); len(got) != 0 {
				t.Errorf("container %s has %s %v, want none", c.Name(), name, got)
			}
		}
	}
}

// An executable in an overlayfs upper layer (created or modified after the
// mount) is upper_layer; one still in the lower layer is not. A privileged
// container mounts its own overlay, as a container runtime mounts a rootfs.
func TestUpperLayerExec(t *testing.T) {
	t.Parallel()
	e := exporter.Start(t)
	c := runc.Start(t, runc.Options{Privileged: true})
	c.MustExec(t, "sh", "-c", "mkdir -p /ovl/lower /ovl/upper /ovl/work /ovl/merged && cp /bin/busybox /ovl/lower/true && "+
		"mount -t overlay overlay -o lowerdir=/ovl/lower,upperdir=/ovl/upper,workdir=/ovl/work /ovl/merged && "+
		"mkdir /ovl/merged/new && cp /bin/busybox /ovl/merged/new/true && "+
		"/ovl/merged/true && /ovl/merged/new/true && /ovl/merged/new/true")
	got := reasonCounts(e.Scrape(t), c.Name())
	if got["upper_layer"] != 2 {
		t.Errorf("%s{container_id=%q, reason=\"upper_layer\"} = %v, want 2 (the dropped binary, not the lower one); all: %v", suspicious, c.Name(), got["upper_layer"], got)
	}
}
