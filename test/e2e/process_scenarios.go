package e2e

import (
	"os"
	"path/filepath"

	"github.com/rtsec/rtsec/test/attack"
	"github.com/rtsec/rtsec/test/runc"
)

// Alerts of the process signals (mixin/alerts/process-signals.libsonnet,
// posture.libsonnet).
const (
	reverseShellAlert  = "RtsecReverseShell"
	netcatRCEAlert     = "RtsecNetcatRemoteCodeExecution"
	ttyShellAlert      = "RtsecTerminalShellInContainer"
	filelessAlert      = "RtsecFilelessExecution"
	deletedBinaryAlert = "RtsecDeletedBinaryExecuted"
	writableDirAlert   = "RtsecExecFromWritableDir"
	loaderAlert        = "RtsecDynamicLoaderExec"
	credentialAlert    = "RtsecCredentialSearch"
	wiperAlert         = "RtsecLogWiperExecuted"
	userMgmtAlert      = "RtsecUserManagementInContainer"
	minerClassAlert    = "RtsecMinerClassExecuted"
	highRiskAlert      = "RtsecHighRiskProcess"
	setuidRootAlert    = "RtsecSetuidToRoot"
	setuidExecAlert    = "RtsecSetuidExecInContainer"
	capsetAlert        = "RtsecCapabilityGained"
	exploitAlert       = "RtsecKernelExploitEscalation"
	ptraceAlert        = "RtsecPtraceInContainer"
	memWriteAlert      = "RtsecProcessMemoryWrite"
	bpfLoadAlert       = "RtsecBPFProgramLoadInContainer"
	namespaceAlert     = "RtsecNamespaceChangeInContainer"
	mountAlert         = "RtsecMountInContainer"
	shockerAlert       = "RtsecOpenByHandleAt"
	userfaultfdAlert   = "RtsecUserfaultfdInContainer"
	privilegedAlert    = "RtsecPrivilegedContainer"
	hostNamespaceAlert = "RtsecContainerHostNamespace"
	compatEvasionAlert = "RtsecCompatSyscallEvasion"
	compatAlert        = "RtsecCompatSyscallsInContainer"
)

// attackTool is where withAttackTool puts rtsec-attack in a container,
// attackTool32 where withAttackTool32 puts rtsec-attack32.
const (
	attackTool   = "/bin/rtsec-attack"
	attackTool32 = "/bin/rtsec-attack32"
)

// processScenarios exercise the process signals: attacks each raise their
// alert; the benign ones use the same hooks and must stay quiet. Commands
// inside `sh -c` are called by path: busybox sh runs applets named bare
// without an exec, which no exec-based signal sees.
var processScenarios = []Scenario{
	{
		Name:        "reverse-shell",
		Description: "A shell is started with its stdio on a TCP connection (rtsec-attack dup2s a socket to fds 0-2 and execs sh).",
		Setup:       withAttackTool,
		Steps:       []Step{Cmd(attackTool, "stdio-socket", "/bin/sh", "-c", "true")},
		Expect:      []Match{Named(reverseShellAlert, "reason", "stdio_socket")},
		Forbid:      []Match{Named(netcatRCEAlert), Named(filelessAlert), Named(ttyShellAlert)},
	},
	{
		Name:        "netcat-rce",
		Description: "busybox nc connects to a listener in the container and hands it /bin/true with -e (nc -e /bin/sh, harmlessly).",
		Steps:       []Step{Cmd("sh", "-c", "/bin/nc -l -p 4444 </dev/null >/dev/null & sleep 0.3; /bin/nc 127.0.0.1 4444 -e /bin/true; wait")},
		Expect:      []Match{Named(netcatRCEAlert, "reason", "stdio_socket"), Named(reverseShellAlert, "reason", "stdio_socket")},
	},
	{
		Name:        "terminal-shell",
		Description: "A shell with a controlling terminal, as kubectl exec -it gives (rtsec-attack opens a pty, setsid, TIOCSCTTY).",
		Setup:       withAttackTool,
		Steps:       []Step{Cmd(attackTool, "tty-shell", "/bin/sh")},
		Expect:      []Match{Named(ttyShellAlert, "reason", "tty_shell")},
		Forbid:      []Match{Named(reverseShellAlert)},
	},
	{
		Name:        "fileless-exec",
		Description: "A program is copied into a memfd and executed from it.",
		Setup:       withAttackTool,
		Steps:       []Step{Cmd(attackTool, "memfd", "/bin/true")},
		Expect:      []Match{Named(filelessAlert, "reason", "memfd")},
		Forbid:      []Match{Named(deletedBinaryAlert), Named(writableDirAlert)},
	},
	{
		Name:        "deleted-binary",
		Description: "A program deletes its file and executes it through the open descriptor.",
		Setup:       withAttackTool,
		Steps:       []Step{Cmd(attackTool, "deleted", "/bin/true")},
		Expect:      []Match{Named(deletedBinaryAlert, "reason", "deleted_binary")},
		Forbid:      []Match{Named(filelessAlert)},
	},
	{
		Name:        "exec-from-tmp",
		Description: "A dropped binary runs from /tmp and /var/tmp, one of them by a relative name.",
		Steps:       []Step{Cmd("sh", "-c", "cp /bin/busybox /tmp/true && cp /bin/busybox /var/tmp/true && cd /tmp && ./true && /var/tmp/true")},
		Expect:      []Match{Named(writableDirAlert, "reason", "writable_dir")},
		Forbid:      []Match{Named(filelessAlert), Named(deletedBinaryAlert)},
	},
	{
		Name:        "dynamic-loader",
		Description: "The dynamic loader is executed directly (ld.so runs programs from noexec mounts).",
		Setup:       func(e *Env) { e.copyHostFile("/lib64/ld-linux-x86-64.so.2") },
		Steps:       []Step{Cmd("/lib64/ld-linux-x86-64.so.2", "--version")},
		Expect:      []Match{Named(loaderAlert, "reason", "ld_loader")},
	},
	{
		Name:        "discovery-wipe-persist",
		Description: "After start: a search for keys, a file shredded and a user added (busybox find and shred; useradd is a busybox link, its exec is what counts).",
		Setup:       func(e *Env) { e.link("/bin/useradd") },
		Steps: []Step{
			TryCmd("find", "/", "-name", "id_rsa*", "-xdev"),
			Cmd("sh", "-c", "echo secret >/tmp/log && /bin/shred -u /tmp/log"),
			TryCmd("useradd", "backdoor"),
		},
		Expect: []Match{
			Named(credentialAlert, "class", "credential_search"),
			Named(wiperAlert, "class", "log_wiper"),
			Named(userMgmtAlert, "class", "user_mgmt"),
		},
	},
	{
		Name:        "miner-class",
		Description: "A miner is renamed after 70 junk binaries have spent the container's exec-name budget; the class still counts it.",
		Setup: func(e *Env) {
			e.overflowLinks(70)
			e.link("/tmp/xmrig")
		},
		Steps:  []Step{Cmd("sh", "-c", "sh /x/run.sh; /tmp/xmrig 2>/dev/null; exit 0")},
		Expect: []Match{Named(minerClassAlert, "class", "miner")},
	},
	{
		Name:        "miner-pool-argument",
		Description: "A miner renamed kworker, which no name list knows, runs with its pool on the command line (-o stratum+tcp://…).",
		Setup:       func(e *Env) { e.link("/bin/kworker") },
		Steps:       []Step{TryCmd("/bin/kworker", "-o", "stratum+tcp://pool.example.net:3333", "-u", "44AFFq5kSiGBoZ4NMDwYtN18obc8AemS33DBLWs3H7otXft3XjrpDtQGv7SqSsaBYBb98uNbr2VBBEt7f2wfn3RVGQBEP3A")},
		Expect:      []Match{Named(minerClassAlert, "class", "miner")},
		Forbid:      []Match{Named(minerAlert)},
	},
	{
		Name:        "setuid-to-root",
		Description: "A user (uid 1000) runs a setuid-root program that drops to the user and back to root with setresuid.",
		Container:   runc.Options{User: &runc.User{UID: 1000, GID: 1000}, AllowPrivilegeEscalation: true},
		Setup: func(e *Env) {
			withAttackTool(e)
			if err := os.Chmod(filepath.Join(e.Main().Rootfs(), attackTool), 0o755|os.ModeSetuid); err != nil {
				e.T.Fatal(err)
			}
		},
		Steps:  []Step{Cmd(attackTool, "setuid")},
		Expect: []Match{Named(setuidRootAlert, "kind", "setuid_root"), Named(setuidExecAlert, "kind", "setuid_exec")},
		Forbid: []Match{Named(exploitAlert)},
	},
	{
		Name:        "capability-gain",
		Description: "A process drops a capability from its effective set and raises it again with capset.",
		Setup:       withAttackTool,
		Steps:       []Step{Cmd(attackTool, "capset")},
		Expect:      []Match{Named(capsetAlert, "kind", "capset")},
		Forbid:      []Match{Named(exploitAlert), Named(setuidRootAlert)},
	},
	{
		Name: "escape-syscalls",
		Description: "One call each of ptrace attach, process_vm_writev, bpf prog load, setns, unshare, mount, open_by_handle_at, " +
			"userfaultfd and the module syscalls (absent on kernels without modules: no tracepoint, no alert), harmless arguments.",
		Setup: withAttackTool,
		Steps: []Step{Cmd(attackTool, "syscalls")},
		Expect: []Match{
			Named(ptraceAlert, "syscall", "ptrace"), Named(memWriteAlert, "syscall", "process_vm_writev"),
			Named(bpfLoadAlert, "syscall", "bpf"), Named(namespaceAlert, "syscall", "setns"), Named(namespaceAlert, "syscall", "unshare"),
			Named(mountAlert, "syscall", "mount"), Named(shockerAlert, "syscall", "open_by_handle_at"),
			Named(userfaultfdAlert, "syscall", "userfaultfd"), Named(highRiskAlert),
		},
	},
	{
		Name: "compat-syscalls",
		Description: "A 32-bit (GOARCH=386) program makes ia32 unshare(CLONE_NEWUTS), setresuid32 and capset calls, " +
			"which the per-syscall tracepoints do not see: only the compat syscall counter's alerts fire.",
		Setup:  withAttackTool32,
		Steps:  []Step{Cmd(attackTool32)},
		Expect: []Match{Named(compatEvasionAlert, "class", "namespace"), Named(compatEvasionAlert, "class", "privilege"), Named(compatAlert)},
		Forbid: []Match{Named(namespaceAlert), Named(capsetAlert)},
	},
	{
		Name:        "risky-posture",
		Description: "Containers start privileged, with the host's pid namespace, and with the host's network namespace.",
		Action: func(e *Env) {
			e.Start(runc.Options{Privileged: true})
			e.Start(runc.Options{HostPID: true})
			e.Start(runc.Options{HostNetwork: true})
		},
		NoVariants: "the attack is the configuration of containers that its action starts: each is already new",
		Expect:     []Match{Named(privilegedAlert), Named(hostNamespaceAlert, "ns", "pid"), Named(hostNamespaceAlert, "ns", "net")},
	},
	{
		Name: "benign-service-drops-privileges",
		Description: "A service's entrypoint clears its effective capabilities, settles its uids and execs its worker " +
			"(set*id and capset calls that gain nothing); exec probes (ps) arrive later.",
		Benign: true,
		Container: runc.Options{Args: []string{"sh", "-c",
			"while [ ! -x " + attackTool + " ]; do sleep 0.1; done; exec " + attackTool + " drop /bin/sleep 1000000"}},
		Setup:  withAttackTool,
		Steps:  []Step{Cmd("ps")},
		Forbid: firstReplica,
	},
	{
		Name: "benign-package-install",
		Description: "An image-build-like container: its entrypoint installs packages (an apk stand-in unpacks a binary into " +
			"/usr/local/bin) and runs the installed tool, then serves.",
		Benign: true,
		Container: runc.Options{Args: []string{"sh", "-c",
			"ln -s /bin/busybox /bin/apk; apk add curl 2>/dev/null; mkdir -p /usr/local/bin && cp /bin/busybox /usr/local/bin/tool && " +
				"/usr/local/bin/tool true; exec sleep 1000000"}},
		Steps:  []Step{Cmd("ps")},
		Forbid: critical,
	},
	{
		Name: "benign-ci-build",
		Description: "A CI-like job's entrypoint compiles in its workspace (a stand-in compiler writes /workspace/out/true) " +
			"and runs the result and its tests from there; exec probes (ps) arrive later.",
		Benign: true,
		Container: runc.Options{Args: []string{"sh", "-c",
			"mkdir -p /workspace/out && cd /workspace && cp /bin/busybox out/true && ./out/true && out/true; exec sleep 1000000"}},
		Steps:  []Step{Cmd("ps")},
		Forbid: critical,
	},
}

func init() {
	Scenarios = append(Scenarios, processScenarios...)
}

// withAttackTool copies rtsec-attack into the main container, renaming it
// into place so that an entrypoint waiting for it never runs half a file.
func withAttackTool(e *Env) {
	e.T.Helper()
	path := filepath.Join(e.Main().Rootfs(), attackTool)
	if err := os.WriteFile(path+".tmp", attack.Program(e.T), 0o755); err != nil {
		e.T.Fatal(err)
	}
	if err := os.Rename(path+".tmp", path); err != nil {
		e.T.Fatal(err)
	}
}

func withAttackTool32(e *Env) {
	e.T.Helper()
	path := filepath.Join(e.Main().Rootfs(), attackTool32)
	if err := os.WriteFile(path+".tmp", attack.Program32(e.T), 0o755); err != nil {
		e.T.Fatal(err)
	}
	if err := os.Rename(path+".tmp", path); err != nil {
		e.T.Fatal(err)
	}
}

// copyHostFile copies a file of the host into the main container, same path.
func (e *Env) copyHostFile(path string) {
	e.T.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		e.T.Fatal(err)
	}
	dst := filepath.Join(e.Main().Rootfs(), path)
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		e.T.Fatal(err)
	}
	if err := os.WriteFile(dst, data, 0o755); err != nil {
		e.T.Fatal(err)
	}
}
