package integration

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/rtsec/rtsec/exporter/collector"
	"github.com/rtsec/rtsec/exporter/privileges"
	"github.com/rtsec/rtsec/internal/testenv"
	"github.com/rtsec/rtsec/test/containerd"
	"github.com/rtsec/rtsec/test/exporter"
	"github.com/rtsec/rtsec/test/runc"
)

// nobody is the unprivileged user the least-privilege tests run the
// exporter as.
const nobody = "65534"

// asNobodyWith returns a setpriv command line that executes a program as
// nobody holding exactly caps (ambient, as systemd's AmbientCapabilities=
// grants them), with no supplementary groups but groups.
func asNobodyWith(t *testing.T, caps []privileges.Capability, groups ...string) []string {
	t.Helper()
	testenv.RequireCommand(t, "setpriv")
	// nobody must be able to reach the binary.
	if err := os.Chmod(filepath.Dir(exporter.Build(t)), 0o755); err != nil {
		t.Fatal(err)
	}
	list := capList(caps)
	prefix := []string{"setpriv", "--reuid=" + nobody, "--regid=" + nobody}
	if len(groups) == 0 {
		prefix = append(prefix, "--clear-groups")
	} else {
		prefix = append(prefix, "--groups="+strings.Join(groups, ","))
	}
	return append(prefix, "--inh-caps="+list, "--ambient-caps="+list, "--bounding-set="+list)
}

// everyCollector enables every registered collector, so the set a test
// grants is what privileges.Required says for all of them.
func everyCollector() []string {
	var args []string
	for _, name := range collector.Names() {
		args = append(args, "--collector."+name)
	}
	return args
}

// As nobody with exactly the documented capabilities, every collector works,
// a runc container started before the exporter is resolved (file handle,
// then its root-only runc state file) and its execs counted, and after
// startup every thread holds exactly the run-time set.
func TestLeastPrivilege(t *testing.T) {
	testenv.RequireRoot(t)
	c := runc.Start(t, runc.Options{})
	required := privileges.Required(collector.Names())
	e := exporter.StartUnder(t, asNobodyWith(t, required), everyCollector()...)

	c.MustExec(t, "sh", "-c", "/bin/true; /bin/true; /bin/true")
	m := e.Scrape(t)
	for _, name := range collector.Names() {
		if v, ok := m.Value(t, "rtsec_scrape_collector_success", map[string]string{"collector": name}); !ok || v != 1 {
			t.Errorf("rtsec_scrape_collector_success{collector=%q} = %v (present %v), want 1\n%s", name, v, ok, e.Output())
		}
	}
	want := map[string]string{"container_id": c.Name(), "binary": "true"}
	if v, ok := m.Value(t, execs, want); !ok || v != 3 {
		t.Errorf("%s%v = %v (present %v), want 3", execs, want, v, ok)
	}
	info := m.Series("rtsec_container_info", map[string]string{"container_id": c.Name()})
	if len(info) != 1 || exporter.Labels(info[0])["runtime"] != "runc" {
		t.Errorf("rtsec_container_info for %s = %v, want one series with runtime=runc (read from /run/runc)", c.Name(), info)
	}

	runtime := privileges.Runtime(collector.Names())
	wantCaps := map[string]uint64{"CapEff": privileges.Mask(runtime), "CapPrm": privileges.Mask(runtime), "CapInh": 0, "CapAmb": 0, "NoNewPrivs": 1}
	tasks, err := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/status", e.PID()))
	if err != nil || len(tasks) == 0 {
		t.Fatalf("threads of the exporter: %v, %v", tasks, err)
	}
	for _, status := range tasks {
		got, err := privileges.ReadStatus(status)
		if err != nil {
			t.Fatal(err)
		}
		for field, w := range wantCaps {
			if got[field] != w {
				t.Errorf("%s: %s = %#x, want %#x (run-time set %v)", status, field, got[field], w, privileges.Names(runtime))
			}
		}
	}
	if kept := "kept=" + strings.Join(privileges.Names(runtime), ","); !strings.Contains(e.Output(), kept) {
		t.Errorf("log does not say %q:\n%s", kept, e.Output())
	}
}

// Without any one documented capability, the exporter names it: in the one
// line it exits with, or in a warning saying what degrades.
func TestMissingCapabilityIsNamed(t *testing.T) {
	testenv.RequireRoot(t)
	required := privileges.Required(collector.Names())
	for _, missing := range required {
		t.Run(missing.Name, func(t *testing.T) {
			caps := slices.DeleteFunc(slices.Clone(required), func(c privileges.Capability) bool { return c.Bit == missing.Bit })
			exited, out := runBriefly(t, asNobodyWith(t, caps), append(everyCollector(), "--runtime.cri-socket=none")...)
			var named string
			for _, line := range strings.Split(out, "\n") {
				fatal := exited && strings.HasPrefix(line, "rtsec_exporter: ")
				warning := strings.Contains(line, "level=WARN") && strings.Contains(line, "no "+missing.Name+":")
				if (fatal || warning) && strings.Contains(line, missing.Name) {
					named = line
				}
			}
			if named == "" {
				t.Errorf("without %s (exited: %v) no error or warning names it:\n%s", missing.Name, exited, out)
			}
			if missing.Load && !exited {
				t.Errorf("without %s the exporter kept running; it cannot load programs", missing.Name)
			}
		})
	}
}

// As nobody, Kubernetes metadata comes from the CRI runtime when the
// exporter is in the socket's group (no capability needed); outside it,
// the exporter says that connecting needs write permission on the socket.
func TestLeastPrivilegeCRI(t *testing.T) {
	t.Parallel()
	testenv.RequireRoot(t)
	d := containerd.Start(t)
	var st unix.Stat_t
	if err := unix.Stat(d.Socket(), &st); err != nil {
		t.Fatal(err)
	}
	if st.Mode&0o020 == 0 {
		t.Fatalf("%s mode %o: the test wants a group-writable socket, as containerd makes", d.Socket(), st.Mode&0o777)
	}
	required := privileges.Required(collector.Names())
	cri := "--runtime.cri-socket=" + d.Socket()

	exited, out := runBriefly(t, asNobodyWith(t, required), cri)
	if !exited || !strings.Contains(out, "connecting needs write permission on the socket") {
		t.Errorf("outside the socket's group: exited %v, want an exit saying the socket needs write permission:\n%s", exited, out)
	}

	e := exporter.StartUnder(t, asNobodyWith(t, required, strconv.Itoa(int(st.Gid))), cri)
	id := d.RunPod(t, "shop", "cart-least-privilege", "app", "sleep", "3600")
	d.Exec(t, id, "sh", "-c", "/bin/true")
	want := map[string]string{"container_id": id, "binary": "true", "namespace": "shop", "pod": "cart-least-privilege", "container": "app"}
	waitFor(t, e, 10*time.Second, "exec series with pod labels, as nobody", func(m exporter.Metrics) bool {
		v, ok := m.Value(t, execs, want)
		return ok && v == 1
	})
}

// capList is a setpriv capability list granting exactly caps.
func capList(caps []privileges.Capability) string {
	list := "-all"
	for _, c := range caps {
		list += ",+" + strings.ToLower(strings.TrimPrefix(c.Name, "CAP_"))
	}
	return list
}

// The DaemonSet's way (deploy/kubernetes): uid 0 whose bounding, permitted
// and effective sets are the documented set, no ambient or inheritable
// capabilities and no_new_privs, as containerd sets up a container with
// capabilities drop ALL, add the set, allowPrivilegeEscalation false.
func TestKubernetesSecurityContext(t *testing.T) {
	testenv.RequireRoot(t)
	testenv.RequireCommand(t, "setpriv")
	required := privileges.Required(collector.Names())
	list := capList(required)
	e := exporter.StartUnder(t, []string{"setpriv", "--inh-caps=-all", "--ambient-caps=-all", "--bounding-set=" + list, "--no-new-privs"}, everyCollector()...)
	m := e.Scrape(t)
	for _, name := range collector.Names() {
		if v, ok := m.Value(t, "rtsec_scrape_collector_success", map[string]string{"collector": name}); !ok || v != 1 {
			t.Errorf("rtsec_scrape_collector_success{collector=%q} = %v (present %v), want 1", name, v, ok)
		}
	}
	got, err := privileges.ReadStatus(fmt.Sprintf("/proc/%d/status", e.PID()))
	if err != nil {
		t.Fatal(err)
	}
	if want := privileges.Mask(privileges.Runtime(collector.Names())); got["CapEff"] != want || got["CapPrm"] != want {
		t.Errorf("CapEff %#x, CapPrm %#x after startup, want the run-time set %#x", got["CapEff"], got["CapPrm"], want)
	}

	// A non-root container gets the set in its bounding set only: without
	// ambient capabilities (which Kubernetes cannot grant) or file
	// capabilities, exec leaves it none, and the exporter says so.
	exited, out := runBriefly(t, []string{"setpriv", "--reuid=" + nobody, "--regid=" + nobody, "--clear-groups", "--inh-caps=-all", "--ambient-caps=-all", "--bounding-set=" + list, "--no-new-privs"}, "--runtime.cri-socket=none")
	if !exited || !strings.Contains(out, "missing CAP_BPF and CAP_PERFMON") {
		t.Errorf("as nobody with the set in the bounding set only: exited %v, want the missing capabilities named:\n%s", exited, out)
	}
}

// runBriefly runs the exporter under prefix until it exits or serves, then
// stops it, and returns whether it exited on its own and its output.
func runBriefly(t *testing.T, prefix []string, args ...string) (bool, string) {
	t.Helper()
	argv := append(append(append(prefix, exporter.Build(t), "--web.listen-address="+exporter.FreeAddress(t)), args...), exporter.StateFile(t, args)...)
	cmd := exec.Command(argv[0], argv[1:]...)
	log, err := os.Create(filepath.Join(t.TempDir(), "exporter.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer log.Close()
	cmd.Stdout, cmd.Stderr = log, log
	output := func() string {
		b, _ := os.ReadFile(log.Name())
		return string(b)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	deadline := time.After(15 * time.Second)
	for {
		select {
		case <-done:
			return true, output()
		case <-deadline:
			cmd.Process.Kill()
			<-done
			t.Fatalf("exporter neither exited nor served within 15s:\n%s", output())
		case <-time.After(50 * time.Millisecond):
		}
		if strings.Contains(output(), "Listening on") {
			cmd.Process.Signal(syscall.SIGTERM)
			<-done
			return false, output()
		}
	}
}
