package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/rtsec/rtsec/test/attack"
	"github.com/rtsec/rtsec/test/containerd"
	"github.com/rtsec/rtsec/test/hostcgroup"
)

// Alert names of the host scenarios (mixin/alerts/host.libsonnet).
const (
	hostEtcAlert       = "RtsecHostWriteBelowEtc"
	hostBinAlert       = "RtsecHostWriteBelowBinaryDir"
	hostRootAlert      = "RtsecHostWriteBelowRoot"
	hostPackageDBAlert = "RtsecHostPackageDatabaseModified"
	hostReadAlert      = "RtsecHostSensitiveFileRead"
	hostFilelessAlert  = "RtsecHostFilelessExecution"
	hostShellAlert     = "RtsecHostReverseShell"
	hostInjectionAlert = "RtsecHostProcessInjection"
	hostBPFAlert       = "RtsecHostBPFProgramLoad"
	hostLoginAlert     = "RtsecHostInteractiveLogin"
)

// The host actor classes the scenarios act as (docs/host.md): an interactive
// login, and the package manager run by its timer (apt-daily.service), one
// of the node's own daemons.
const (
	sessionActor = "session"
	unitActor    = "package_manager"
	// unitCgroup is the unit the quiet half of each host scenario runs in.
	unitCgroup = "apt-daily.service"
)

// hostNoVariants is why the host scenarios run late only.
const hostNoVariants = "runs on the host, from a session's and a unit's cgroup: there is no container to start"

// hostScenarios act on the host twice: from a login session's cgroup, where
// they must alert with container="session", and from a cgroup named like
// the package manager's unit, where the same action must stay quiet.
var hostScenarios = []Scenario{
	// First: the login alert is one per node while sessions are active, so
	// it notifies for the first session only.
	hostScenario("host-interactive-login",
		"Programs run in a login session: an interactive login, as info.",
		[]string{"sh", "-c", "true"},
		hostLoginAlert, "", ""),
	hostScenario("host-write-etc",
		"A file below /etc is written and removed.",
		[]string{"sh", "-c", "echo x > /etc/rtsec-e2e-$RTSEC_ACTOR.conf && rm /etc/rtsec-e2e-$RTSEC_ACTOR.conf"},
		hostEtcAlert, "path_class", "etc"),
	hostScenario("host-write-bin",
		"A binary is dropped into /usr/local/bin and removed.",
		[]string{"sh", "-c", "cp /bin/true /usr/local/bin/rtsec-e2e-$RTSEC_ACTOR && rm /usr/local/bin/rtsec-e2e-$RTSEC_ACTOR"},
		hostBinAlert, "path_class", "bin_dirs"),
	hostScenario("host-write-root",
		"A file is written in /root and removed.",
		[]string{"sh", "-c", "echo x > /root/rtsec-e2e-$RTSEC_ACTOR && rm /root/rtsec-e2e-$RTSEC_ACTOR"},
		hostRootAlert, "path_class", "root_home"),
	hostScenario("host-package-db",
		"A file is written into the dpkg database directory and removed (a package installed by hand).",
		[]string{"sh", "-c", "echo x > /var/lib/dpkg/rtsec-e2e-$RTSEC_ACTOR && rm /var/lib/dpkg/rtsec-e2e-$RTSEC_ACTOR"},
		hostPackageDBAlert, "path_class", "package_db"),
	hostScenario("host-shadow-read",
		"/etc/shadow is read.",
		[]string{"cat", "/etc/shadow"},
		hostReadAlert, "file_class", "shadow"),
	hostScenario("host-fileless-exec",
		"A program is copied into a memfd and executed from it (rtsec-attack memfd).",
		[]string{hostAttackTool, "memfd", "/bin/true"},
		hostFilelessAlert, "reason", "memfd"),
	hostScenario("host-reverse-shell",
		"A shell is started with its stdio on a TCP connection on 127.0.0.1 (rtsec-attack stdio-socket).",
		[]string{hostAttackTool, "stdio-socket", "/bin/sh", "-c", "true"},
		hostShellAlert, "reason", "stdio_socket"),
	hostScenario("host-escape-syscalls",
		"Every sensitive syscall once (rtsec-attack syscalls): ptrace, process_vm_writev, a BPF program load, setns, unshare, mount…: "+
			"process injection, a BPF load and, more than five critical events, a high-risk process.",
		[]string{hostAttackTool, "syscalls"},
		hostInjectionAlert, "syscall", "ptrace",
		hostBPFAlert, "syscall", "bpf",
		highRiskAlert, "", ""),
	{
		Name: "host-container-setup",
		Description: "A pod starts through containerd's CRI, which runs in containerd.service's cgroup as on a systemd node: " +
			"its shim, the CNI plugins and runc mount, unshare and setns on the host, which raises no host alert (host actor runtime).",
		Benign: true,
		CRI:    true,
		Action: func(e *Env) {
			e.RunPod(containerd.PodOptions{}, "default", "setup-"+e.Name[:4], "app", "sleep", "3600")
		},
		Forbid: []Match{Named("", "container_id", "", "container", "runtime")},
	},
}

func init() {
	Scenarios = append(Scenarios, hostScenarios...)
}

// hostAttackTool stands for the path of rtsec-attack on the host in a host
// scenario's command.
const hostAttackTool = "<rtsec-attack>"

// hostScenario runs args on the host from a session's cgroup and from the
// unit's, with RTSEC_ACTOR naming which in the environment; each alert of
// alertLabels (name, label, value, …; an empty label matches the alert
// alone) must come from the session and not from the unit.
func hostScenario(name, description string, args []string, alertLabels ...string) Scenario {
	var expect, forbid []Match
	for i := 0; i+3 <= len(alertLabels); i += 3 {
		alert, label, value := alertLabels[i], alertLabels[i+1], alertLabels[i+2]
		pairs := []string{"container_id", ""}
		if label != "" {
			pairs = append(pairs, label, value)
		}
		expect = append(expect, Named(alert, append(pairs, "container", sessionActor)...))
		forbid = append(forbid, Named(alert, append(pairs, "container", unitActor)...))
	}
	return Scenario{
		Name:        name,
		Description: description + " From a login session's cgroup (" + hostcgroup.Session("rtsec-e2e-…") + ") it alerts; from " + hostcgroup.Unit(unitCgroup) + " it must not.",
		NoVariants:  hostNoVariants,
		Action: func(e *Env) {
			e.T.Helper()
			cmd := e.hostCommand(args)
			session := hostcgroup.New(e.T, hostcgroup.Session("rtsec-e2e-"+name))
			for _, cg := range []*hostcgroup.Cgroup{session, unitCgroupFor(e)} {
				c := cg.Command(e.T, cmd[0], cmd[1:]...)
				actor := "session"
				if cg != session {
					actor = "unit"
				}
				c.Env = append(os.Environ(), "RTSEC_ACTOR="+actor)
				if out, err := c.CombinedOutput(); err != nil {
					e.T.Fatalf("%s in %s: %v: %s", strings.Join(cmd, " "), cg.Path, err, out)
				}
			}
		},
		Expect: expect,
		Forbid: forbid,
	}
}

// hostCommand replaces hostAttackTool in args with rtsec-attack, written to
// a temporary directory of the host.
func (e *Env) hostCommand(args []string) []string {
	e.T.Helper()
	out := append([]string{}, args...)
	for i, a := range out {
		if a != hostAttackTool {
			continue
		}
		if e.hostDir == "" {
			e.hostDir = e.T.TempDir()
		}
		path := filepath.Join(e.hostDir, "rtsec-attack")
		if err := os.WriteFile(path, attack.Program(e.T), 0o755); err != nil {
			e.T.Fatal(err)
		}
		out[i] = path
	}
	return out
}

// The unit's cgroup is made once per run (a unit's name is unique) and
// shared by the scenarios.
var (
	unitMu sync.Mutex
	unitCg *hostcgroup.Cgroup
)

// unitCgroupFor returns the unit's cgroup, made on first use; it is removed
// when the run's test ends.
func unitCgroupFor(e *Env) *hostcgroup.Cgroup {
	unitMu.Lock()
	defer unitMu.Unlock()
	if unitCg == nil {
		e.T.Cleanup(func() {
			unitMu.Lock()
			defer unitMu.Unlock()
			unitCg = nil
		})
		unitCg = hostcgroup.New(e.T, hostcgroup.Unit(unitCgroup))
	}
	return unitCg
}
