package integration

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/rtsec/rtsec/internal/testenv"
	"github.com/rtsec/rtsec/test/attack"
	"github.com/rtsec/rtsec/test/containerd"
	"github.com/rtsec/rtsec/test/exporter"
	"github.com/rtsec/rtsec/test/runc"
)

const enforcementActions = "rtsec_enforcement_actions_total"

// enforcePolicy is a policy of one rule acting on the attacks below in
// the named container.
func enforcePolicy(t *testing.T, action, containerID string) string {
	t.Helper()
	policy := fmt.Sprintf(`rules:
  - name: stop-%[1]s
    action: %[1]s
    signals:
      suspicious_exec: [stdio_socket, memfd, deleted_binary]
      process_class: [miner]
    where:
      - container_id: %[2]q
`, action, containerID)
	file := filepath.Join(t.TempDir(), "policy.yaml")
	if err := os.WriteFile(file, []byte(policy), 0o644); err != nil {
		t.Fatal(err)
	}
	return file
}

// waitEnforced waits until the exporter has written the policy for n cgroups.
func waitEnforced(t *testing.T, e *exporter.Exporter, n float64) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		got, _ := e.Scrape(t).Value(t, "rtsec_enforcement_policy_cgroups", nil)
		if got == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("rtsec_enforcement_policy_cgroups = %v, want %v\n%s", got, n, tail(e.Output(), 3000))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// attackResult is what the attacks achieved in one container.
type attackResult struct {
	memfdRan, deletedRan, minerRan bool
	// shellSent is what the reverse shell's listener received.
	shellSent string
}

// attacks runs a memfd exec, a deleted-binary exec and a renamed miner
// (a pool URL in its arguments), each of which writes a marker as its
// first act, and a reverse shell whose shell prints to its listener.
func attacks(t *testing.T, c *runc.Container) attackResult {
	t.Helper()
	marker := func(name string) bool {
		_, err := os.Stat(filepath.Join(c.Rootfs(), "tmp", name))
		return err == nil
	}
	c.Exec(t, "/bin/rtsec-attack", "memfd", "/bin/busybox", "touch", "/tmp/memfd-ran")
	c.Exec(t, "/bin/rtsec-attack", "deleted", "/bin/busybox", "touch", "/tmp/deleted-ran")
	c.Exec(t, "/bin/touch", "/tmp/miner-ran", "stratum+tcp://pool.example:3333")

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	received := make(chan string, 1)
	go func() {
		conn, err := l.Accept()
		if err != nil {
			received <- "accept: " + err.Error()
			return
		}
		defer conn.Close()
		conn.SetDeadline(time.Now().Add(10 * time.Second))
		data, _ := io.ReadAll(conn)
		received <- string(data)
	}()
	port := l.Addr().(*net.TCPAddr).Port
	c.Exec(t, "nc", "127.0.0.1", fmt.Sprint(port), "-e", "/bin/sh", "-c", "echo owned")
	var sent string
	select {
	case sent = <-received:
	case <-time.After(10 * time.Second):
		t.Fatal("the reverse shell never connected")
	}
	return attackResult{memfdRan: marker("memfd-ran"), deletedRan: marker("deleted-ran"), minerRan: marker("miner-ran"), shellSent: sent}
}

func actionCounts(m exporter.Metrics, containerID string) map[string]float64 {
	got := map[string]float64{}
	for _, s := range m.Series(enforcementActions, map[string]string{"container_id": containerID}) {
		l := exporter.Labels(s)
		got[l["action"]+"/"+l["reason"]] += s.Counter.GetValue()
	}
	return got
}

func enforceContainer(t *testing.T, name string) *runc.Container {
	return runc.Start(t, runc.Options{Name: name, HostNetwork: true, Files: map[string][]byte{"bin/rtsec-attack": attack.Program(t)}})
}

func TestEnforceKill(t *testing.T) {
	victimName, otherName := "rtsec-enforce-"+randomSuffix(t), "rtsec-enforce-other-"+randomSuffix(t)
	e := exporter.Start(t, "--enforce.policy-file="+enforcePolicy(t, "kill", victimName))
	victim := enforceContainer(t, victimName)
	other := enforceContainer(t, otherName)
	waitEnforced(t, e, 1)

	// Benign work in the policed container is untouched.
	if out := victim.MustExec(t, "sh", "-c", "echo benign; /bin/true && ls /bin >/dev/null && echo done"); out != "benign\ndone\n" {
		t.Errorf("benign commands under the kill policy printed %q", out)
	}
	got := attacks(t, victim)
	if got.memfdRan || got.deletedRan || got.minerRan || got.shellSent != "" {
		t.Errorf("under the kill policy the attacks ran: %+v", got)
	}
	// The policy names another container: this one is not touched.
	if got := attacks(t, other); !got.memfdRan || !got.deletedRan || !got.minerRan || got.shellSent != "owned\n" {
		t.Errorf("in a container the policy does not name, the attacks did not all run: %+v", got)
	}

	m := e.Scrape(t)
	counts := actionCounts(m, victimName)
	for _, want := range []string{"killed/memfd", "killed/deleted_binary", "killed/miner", "killed/stdio_socket"} {
		if counts[want] < 1 {
			t.Errorf("%s{container_id=%q}: no %s in %v", enforcementActions, victimName, want, counts)
		}
	}
	if counts := actionCounts(m, otherName); len(counts) != 0 {
		t.Errorf("%s{container_id=%q} = %v, want none", enforcementActions, otherName, counts)
	}
	assertEvent(t, e, func(l eventLine) bool {
		return l.Type == "enforcement" && l.ContainerID == victimName && l.Action == "killed" &&
			l.PolicyRule == "stop-kill" && slices.Contains(l.Reasons, "memfd")
	}, "an enforcement event: killed, memfd, rule stop-kill")
	measureKillLatency(t, victim)
}

// measureKillLatency runs a memfd exec of busybox straight in the
// policed container's cgroup (clone3 into it, then execve) and reports
// the time from the fork to the parent's wait returning, killed, against
// the same exec of an unpoliced file that runs to completion.
func measureKillLatency(t *testing.T, c *runc.Container) {
	t.Helper()
	dir := ""
	for _, root := range []string{"/sys/fs/cgroup/unified", "/sys/fs/cgroup"} {
		if _, err := os.Stat(filepath.Join(root, c.CgroupPath(), "cgroup.procs")); err == nil {
			dir = filepath.Join(root, c.CgroupPath())
			break
		}
	}
	if dir == "" {
		t.Fatalf("no cgroup2 directory for %s", c.CgroupPath())
	}
	cg, err := os.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer cg.Close()
	busybox, err := os.ReadFile("/bin/busybox")
	if err != nil {
		t.Fatal(err)
	}
	fd, err := unix.MemfdCreate("payload", 0)
	if err != nil {
		t.Fatal(err)
	}
	memfd := os.NewFile(uintptr(fd), "memfd")
	defer memfd.Close()
	if _, err := memfd.Write(busybox); err != nil {
		t.Fatal(err)
	}
	run := func(path string) (time.Duration, error) {
		cmd := exec.Command(path, "true")
		cmd.Args[0] = "true"
		cmd.ExtraFiles = []*os.File{memfd}
		cmd.SysProcAttr = &syscall.SysProcAttr{UseCgroupFD: true, CgroupFD: int(cg.Fd())}
		start := time.Now()
		err := cmd.Run()
		return time.Since(start), err
	}
	var killed, ran []time.Duration
	for range 20 {
		d, err := run("/dev/fd/3")
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
			t.Fatalf("memfd exec in the policed cgroup: %v, want killed by SIGKILL", err)
		}
		killed = append(killed, d)
		if d, err = run("/bin/busybox"); err != nil {
			t.Fatalf("benign exec in the policed cgroup: %v", err)
		}
		ran = append(ran, d)
	}
	slices.Sort(killed)
	slices.Sort(ran)
	t.Logf("fork+exec to reaped: killed at exec median %v (min %v, max %v); benign busybox true to completion median %v (min %v)",
		killed[len(killed)/2], killed[0], killed[len(killed)-1], ran[len(ran)/2], ran[0])
}

func TestEnforceDryRun(t *testing.T) {
	name := "rtsec-enforce-dry-" + randomSuffix(t)
	e := exporter.Start(t, "--enforce.policy-file="+enforcePolicy(t, "dry-run", name))
	c := enforceContainer(t, name)
	waitEnforced(t, e, 1)
	if got := attacks(t, c); !got.memfdRan || !got.deletedRan || !got.minerRan || got.shellSent != "owned\n" {
		t.Errorf("in dry run the attacks did not all run: %+v", got)
	}
	counts := actionCounts(e.Scrape(t), name)
	for _, want := range []string{"would_kill/memfd", "would_kill/deleted_binary", "would_kill/miner", "would_kill/stdio_socket"} {
		if counts[want] < 1 {
			t.Errorf("%s{container_id=%q}: no %s in %v", enforcementActions, name, want, counts)
		}
	}
	for k := range counts {
		if strings.HasPrefix(k, "killed/") {
			t.Errorf("dry run counted a kill: %v", counts)
		}
	}
	assertEvent(t, e, func(l eventLine) bool {
		return l.Type == "enforcement" && l.ContainerID == name && l.Action == "would_kill" && l.PolicyRule == "stop-dry-run"
	}, "an enforcement event: would_kill, rule stop-dry-run")
}

func TestEnforcePolicyErrors(t *testing.T) {
	testenv.RequireRoot(t)
	broken := filepath.Join(t.TempDir(), "broken.yaml")
	if err := os.WriteFile(broken, []byte("rules:\n  - name: x\n    action: kill\n    signals:\n      suspicious_exec: [memfd, nope]\n    where:\n      - host: true\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// Refused at start, naming the line.
	out, err := exec.Command(exporter.Build(t), append([]string{"--web.listen-address=" + exporter.FreeAddress(t), "--runtime.cri-socket=none",
		"--enforce.policy-file=" + broken}, exporter.StateFile(t, nil)...)...).CombinedOutput()
	if err == nil || !bytes.Contains(out, []byte("line 5")) || !bytes.Contains(out, []byte(`"nope"`)) {
		t.Errorf("exporter with a broken policy: %v, want an error naming line 5 and \"nope\":\n%s", err, out)
	}

	// Refused on SIGHUP: the running policy stays.
	name := "rtsec-enforce-reload-" + randomSuffix(t)
	file := enforcePolicy(t, "kill", name)
	e := exporter.Start(t, "--enforce.policy-file="+file)
	c := enforceContainer(t, name)
	waitEnforced(t, e, 1)
	good, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(broken)
	if err := os.WriteFile(file, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(e.PID(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitGauge(t, e, "rtsec_enforcement_policy_last_load_success", 0)
	if !strings.Contains(e.Output(), "line 5") {
		t.Errorf("no log of the refused policy naming line 5:\n%s", tail(e.Output(), 3000))
	}
	c.Exec(t, "/bin/rtsec-attack", "memfd", "/bin/busybox", "touch", "/tmp/memfd-ran")
	if _, err := os.Stat(filepath.Join(c.Rootfs(), "tmp/memfd-ran")); err == nil {
		t.Error("after a refused reload the memfd exec ran: the kill policy did not stay")
	}
	// A valid policy is taken on the next SIGHUP.
	if err := os.WriteFile(file, bytes.ReplaceAll(good, []byte("kill"), []byte("dry-run")), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(e.PID(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitGauge(t, e, "rtsec_enforcement_policy_last_load_success", 1)
	time.Sleep(time.Second) // the next refresh writes the new actions
	c.MustExec(t, "/bin/rtsec-attack", "memfd", "/bin/busybox", "touch", "/tmp/memfd-ran")
	if _, err := os.Stat(filepath.Join(c.Rootfs(), "tmp/memfd-ran")); err != nil {
		t.Errorf("after reloading a dry-run policy the memfd exec did not run: %v", err)
	}
}

func waitGauge(t *testing.T, e *exporter.Exporter, name string, want float64) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		got, _ := e.Scrape(t).Value(t, name, nil)
		if got == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s = %v, want %v\n%s", name, got, want, tail(e.Output(), 3000))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func randomSuffix(t *testing.T) string {
	return strings.ToLower(rand.Text()[:8])
}

// A setuid-root program that regains euid 0 with setresuid is killed at
// the syscall's exit: it never prints its euid 0.
func TestEnforcePrivilegeChange(t *testing.T) {
	name := "rtsec-enforce-priv-" + randomSuffix(t)
	file := filepath.Join(t.TempDir(), "policy.yaml")
	policy := fmt.Sprintf("rules:\n  - name: no-setuid-root\n    action: kill\n    signals:\n      privilege_change: [setuid_root]\n    where:\n      - container_id: %q\n", name)
	if err := os.WriteFile(file, []byte(policy), 0o644); err != nil {
		t.Fatal(err)
	}
	e := exporter.Start(t, "--enforce.policy-file="+file)
	c := runc.Start(t, runc.Options{
		Name:                     name,
		Files:                    map[string][]byte{"bin/rtsec-attack": attack.Program(t)},
		User:                     &runc.User{UID: 1000, GID: 1000},
		AllowPrivilegeEscalation: true,
	})
	if err := os.Chmod(filepath.Join(c.Rootfs(), "bin/rtsec-attack"), 0o755|os.ModeSetuid); err != nil {
		t.Fatal(err)
	}
	waitEnforced(t, e, 1)
	out, err := c.Exec(t, "/bin/rtsec-attack", "setuid")
	if err == nil || strings.Contains(out, "euid 0") {
		t.Errorf("setuid technique under a kill policy: %v, printed %q: want killed before it printed euid 0", err, out)
	}
	if got := actionCounts(e.Scrape(t), name); got["killed/setuid_root"] != 1 {
		t.Errorf("%s{container_id=%q} = %v, want killed/setuid_root 1", enforcementActions, name, got)
	}
}

// A write-open of /etc/ld.so.preload (or of a release_agent) is killed at
// the open's exit: the shell's append never writes, the file stays as it was. In dry run the
// write happens and is counted as would_kill; a container the policy does
// not name is untouched.
func TestEnforceFileModification(t *testing.T) {
	victimName, otherName := "rtsec-enforce-file-"+randomSuffix(t), "rtsec-enforce-file-other-"+randomSuffix(t)
	dryName := "rtsec-enforce-file-dry-" + randomSuffix(t)
	file := filepath.Join(t.TempDir(), "policy.yaml")
	policy := fmt.Sprintf(`rules:
  - name: no-preload
    action: kill
    signals:
      file_modification: [etc_ld_preload, cgroup_release_agent]
    where:
      - container_id: %q
  - name: watch-preload
    action: dry-run
    signals:
      file_modification: [etc_ld_preload]
    where:
      - container_id: %q
`, victimName, dryName)
	if err := os.WriteFile(file, []byte(policy), 0o644); err != nil {
		t.Fatal(err)
	}
	e := exporter.Start(t, "--enforce.policy-file="+file)
	start := func(name string) *runc.Container {
		return runc.Start(t, runc.Options{Name: name, Files: map[string][]byte{"etc/ld.so.preload": []byte("orig\n")}})
	}
	victim, other, dry := start(victimName), start(otherName), start(dryName)
	waitEnforced(t, e, 2)

	content := func(c *runc.Container) string {
		data, err := os.ReadFile(filepath.Join(c.Rootfs(), "etc/ld.so.preload"))
		if err != nil {
			t.Fatal(err)
		}
		return string(data)
	}
	appendPreload := "echo /tmp/evil.so >> /etc/ld.so.preload; echo written"
	// Benign writes in the policed container are untouched.
	if out := victim.MustExec(t, "sh", "-c", "echo ok > /tmp/benign; cat /tmp/benign"); out != "ok\n" {
		t.Errorf("benign write under the kill policy printed %q", out)
	}
	out, err := victim.Exec(t, "sh", "-c", appendPreload)
	if err == nil || strings.Contains(out, "written") || content(victim) != "orig\n" {
		t.Errorf("append to /etc/ld.so.preload under a kill policy: %v, printed %q, file %q: want killed, file unchanged", err, out, content(victim))
	}
	// The cgroup v1 escape's write of a release_agent, matched by name
	// wherever the hierarchy is mounted: the open created the file, the
	// write never came.
	out, err = victim.Exec(t, "sh", "-c", "echo /tmp/evil > /tmp/release_agent; echo written")
	agent, _ := os.ReadFile(filepath.Join(victim.Rootfs(), "tmp/release_agent"))
	if err == nil || strings.Contains(out, "written") || len(agent) != 0 {
		t.Errorf("write of a release_agent under a kill policy: %v, printed %q, file %q: want killed, nothing written", err, out, agent)
	}
	for _, c := range []*runc.Container{other, dry} {
		if out := c.MustExec(t, "sh", "-c", appendPreload); out != "written\n" || content(c) != "orig\n/tmp/evil.so\n" {
			t.Errorf("append to /etc/ld.so.preload in %s: printed %q, file %q: want written", c.Name(), out, content(c))
		}
	}
	m := e.Scrape(t)
	if got := actionCounts(m, victimName); got["killed/etc_ld_preload"] != 1 || got["killed/cgroup_release_agent"] != 1 {
		t.Errorf("%s{container_id=%q} = %v, want killed/etc_ld_preload 1 and killed/cgroup_release_agent 1", enforcementActions, victimName, got)
	}
	if got := actionCounts(m, dryName); got["would_kill/etc_ld_preload"] != 1 || got["killed/etc_ld_preload"] != 0 {
		t.Errorf("%s{container_id=%q} = %v, want would_kill/etc_ld_preload 1", enforcementActions, dryName, got)
	}
	if got := actionCounts(m, otherName); len(got) != 0 {
		t.Errorf("%s{container_id=%q} = %v, want none", enforcementActions, otherName, got)
	}
	assertEvent(t, e, func(l eventLine) bool {
		return l.Type == "enforcement" && l.ContainerID == victimName && l.Action == "killed" &&
			l.PolicyRule == "no-preload" && slices.Contains(l.Reasons, "etc_ld_preload")
	}, "an enforcement event: killed, etc_ld_preload, rule no-preload")
}

// A sensitive syscall is killed at its exit: busybox unshare (denied here:
// no CAP_SYS_ADMIN in the container) never runs its command, its shell
// sees it killed by SIGKILL (status 137). A container the policy does not
// name runs the same unshare to its own error.
func TestEnforceSensitiveSyscall(t *testing.T) {
	victimName, otherName := "rtsec-enforce-sc-"+randomSuffix(t), "rtsec-enforce-sc-other-"+randomSuffix(t)
	file := filepath.Join(t.TempDir(), "policy.yaml")
	policy := fmt.Sprintf("rules:\n  - name: no-unshare\n    action: kill\n    signals:\n      sensitive_syscall: [unshare, mount]\n    where:\n      - container_id: %q\n", victimName)
	if err := os.WriteFile(file, []byte(policy), 0o644); err != nil {
		t.Fatal(err)
	}
	e := exporter.Start(t, "--enforce.policy-file="+file)
	victim := runc.Start(t, runc.Options{Name: victimName})
	other := runc.Start(t, runc.Options{Name: otherName})
	waitEnforced(t, e, 1)

	attempt := "unshare -m echo unshared; echo rc=$?; mount -t tmpfs none /tmp; echo rc=$?"
	if out := victim.MustExec(t, "sh", "-c", attempt); strings.Count(out, "rc=137") != 2 || strings.Contains(out, "unshared") {
		t.Errorf("unshare and mount under a kill policy printed %q, want both killed (rc=137)", out)
	}
	if out := other.MustExec(t, "sh", "-c", attempt); strings.Contains(out, "rc=137") {
		t.Errorf("unshare and mount in a container the policy does not name printed %q, want them not killed", out)
	}
	m := e.Scrape(t)
	if got := actionCounts(m, victimName); got["killed/unshare"] != 1 || got["killed/mount"] != 1 {
		t.Errorf("%s{container_id=%q} = %v, want killed/unshare 1 and killed/mount 1", enforcementActions, victimName, got)
	}
	if got := actionCounts(m, otherName); len(got) != 0 {
		t.Errorf("%s{container_id=%q} = %v, want none", enforcementActions, otherName, got)
	}
}

// A container is policed from its entrypoint's first instruction: the
// kernel tells the enforcer of its cgroup at mkdir, before runc starts the
// entrypoint. The walk of the cgroup tree is set to an hour, so only that
// wake-up can apply the policy in time.
func TestEnforceFromTheEntrypoint(t *testing.T) {
	name := "rtsec-enforce-entry-" + randomSuffix(t)
	e := exporter.Start(t, "--enforce.policy-file="+enforcePolicy(t, "kill", name), "--enforce.refresh-interval=1h")
	// A script: the shell's own arguments would name the pool.
	entrypoint := "/bin/rtsec-attack memfd /bin/busybox touch /tmp/memfd-ran\n" +
		"/bin/touch /tmp/miner-ran stratum+tcp://pool.example:3333\n" +
		"touch /tmp/entrypoint-done\nexec sleep 1000000\n"
	defer func() {
		if t.Failed() {
			for _, l := range strings.Split(e.Output(), "\n") {
				if strings.Contains(l, name) {
					t.Log(l)
				}
			}
		}
	}()
	c := runc.Start(t, runc.Options{Name: name, HostNetwork: true, Args: []string{"/bin/sh", "/entrypoint.sh"},
		Files: map[string][]byte{"bin/rtsec-attack": attack.Program(t), "entrypoint.sh": []byte(entrypoint)}})
	exists := func(name string) bool {
		_, err := os.Stat(filepath.Join(c.Rootfs(), "tmp", name))
		return err == nil
	}
	deadline := time.Now().Add(10 * time.Second)
	for !exists("entrypoint-done") {
		if time.Now().After(deadline) {
			stdio, _ := os.ReadFile(filepath.Join(filepath.Dir(c.Rootfs()), "stdio.log"))
			t.Fatalf("the entrypoint never finished; it printed %q", stdio)
		}
		time.Sleep(20 * time.Millisecond)
	}
	for _, marker := range []string{"memfd-ran", "miner-ran"} {
		if exists(marker) {
			t.Errorf("the entrypoint's attack ran under the kill policy: /tmp/%s exists", marker)
		}
	}
	counts := actionCounts(e.Scrape(t), name)
	for _, want := range []string{"killed/memfd", "killed/miner"} {
		if counts[want] != 1 {
			t.Errorf("%s{container_id=%q}: %s = %v, want 1 (all: %v)", enforcementActions, name, want, counts[want], counts)
		}
	}
}

// Through containerd's CRI, as on a Kubernetes node: a rule naming a
// namespace and a pod label kills the memfd exec that the selected pod's
// entrypoint makes in its first second, and touches neither the same
// workload in another namespace nor another pod of the namespace. The walk
// is an hour away: the kernel's report of the new cgroup and the CRI
// runtime's labels are what apply the policy.
func TestEnforceNamespaceAndPodLabelsThroughCRI(t *testing.T) {
	d := containerd.Start(t)
	policy := filepath.Join(t.TempDir(), "policy.yaml")
	if err := os.WriteFile(policy, []byte(`rules:
  - name: shop-web-fileless
    action: kill
    signals:
      suspicious_exec: [memfd]
    where:
      - namespace: shop
        pod_labels: {app: web}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	e := exporter.Start(t, "--enforce.policy-file="+policy, "--enforce.refresh-interval=1h", "--runtime.cri-socket="+d.Socket())
	tools := t.TempDir()
	if err := os.WriteFile(filepath.Join(tools, "rtsec-attack"), attack.Program(t), 0o755); err != nil {
		t.Fatal(err)
	}
	run := func(namespace, pod, app string) string {
		opts := containerd.PodOptions{Labels: map[string]string{"app": app},
			Mounts: []*runtimeapi.Mount{{HostPath: tools, ContainerPath: "/tools", Readonly: true}}}
		return d.RunPodWith(t, opts, namespace, pod, "main", "sh", "-c",
			"/tools/rtsec-attack memfd /bin/busybox touch /tmp/memfd-ran; touch /tmp/done; exec sleep 1000000")
	}
	web, elsewhere, db := run("shop", "web-0", "web"), run("staging", "web-0", "web"), run("shop", "db-0", "db")
	ran := func(id string) bool {
		deadline := time.Now().Add(20 * time.Second)
		for {
			out := d.Exec(t, id, "ls", "/tmp")
			if strings.Contains(out, "done") {
				return strings.Contains(out, "memfd-ran")
			}
			if time.Now().After(deadline) {
				t.Fatalf("the entrypoint of %s never finished: /tmp holds %q", id, out)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	if ran(web) {
		t.Error("shop/web-0 (app=web): the entrypoint's memfd exec ran under the kill policy")
	}
	if !ran(elsewhere) {
		t.Error("staging/web-0: the policy names namespace shop, yet the memfd exec was killed")
	}
	if !ran(db) {
		t.Error("shop/db-0 (app=db): the policy names app=web, yet the memfd exec was killed")
	}
	m := e.Scrape(t)
	if got := actionCounts(m, web); got["killed/memfd"] != 1 {
		t.Errorf("%s of shop/web-0 = %v, want killed/memfd 1", enforcementActions, got)
	}
	for _, id := range []string{elsewhere, db} {
		if got := actionCounts(m, id); len(got) != 0 {
			t.Errorf("%s{container_id=%q} = %v, want none", enforcementActions, id, got)
		}
	}
}
