package fileclass

// homes expands a path below a home directory to root's and every user's.
func homes(rel ...string) []string {
	var out []string
	for _, r := range rel {
		out = append(out, "/root/"+r, "/home/*/"+r)
	}
	return out
}

// Defaults is the built-in class table: the modification classes of the
// issue's list (Falco's file rules) and the sensitive reads (private keys
// below ~/.ssh are ssh_private_key, the rest of ~/.ssh ssh_client_config:
// the longest prefix wins). Critical
// classes are where a modification is an attack or its persistence
// (accounts, sudo, preload, cron, sshd, PAM, shell startup files,
// binaries, libraries, root's home, keys, Kubernetes, kernel tunables,
// boot, devices, runtime state), plus the clearing of logs and shell
// history; the generic etc (resolv.conf, app configs) and package_db
// (package installs) are counted but not logged. Host processes log only
// where the mixin alerts for the host too (accounts, sudo, preload, cron,
// sshd, PAM, shell files, keys): the host's package manager, kubelet and
// runtime write binaries, Kubernetes and runtime state, and read shadow,
// kubelet credentials and block devices, all day.
func Defaults() []Class {
	sshKeys := []string{"id_rsa", "id_dsa", "id_ecdsa", "id_ed25519", "id_ecdsa_sk", "id_ed25519_sk"}
	var userKeys []string
	for _, k := range sshKeys {
		userKeys = append(userKeys, homes(".ssh/"+k)...)
	}
	histories := homes(".bash_history", ".ash_history", ".sh_history", ".zsh_history", ".history")
	shellFiles := append([]string{"/etc/profile", "/etc/profile.d/", "/etc/bash.bashrc", "/etc/bashrc", "/etc/environment", "/etc/zsh/", "/etc/csh.cshrc", "/etc/csh.login"},
		homes(".bashrc", ".bash_profile", ".bash_login", ".profile", ".bash_logout", ".inputrc",
			".zshrc", ".zprofile", ".zshenv", ".zlogin", ".zlogout", ".cshrc", ".tcshrc", ".cshdirs", ".login", ".logout")...)
	return []Class{
		{Name: "etc_passwd", Kind: Modify, Prefixes: []string{"/etc/passwd"}, LinkTarget: true, Critical: true, HostEvents: true},
		{Name: "etc_shadow", Kind: Modify, Prefixes: []string{"/etc/shadow", "/etc/gshadow"}, LinkTarget: true, Critical: true, HostEvents: true},
		{Name: "etc_group", Kind: Modify, Prefixes: []string{"/etc/group"}, LinkTarget: true, Critical: true, HostEvents: true},
		{Name: "etc_sudoers", Kind: Modify, Prefixes: []string{"/etc/sudoers", "/etc/sudoers.d/"}, LinkTarget: true, Critical: true, HostEvents: true},
		{Name: "etc_ld_preload", Kind: Modify, Prefixes: []string{"/etc/ld.so.preload"}, LinkTarget: true, Critical: true, HostEvents: true},
		{Name: "etc_cron", Kind: Modify, Prefixes: []string{"/etc/crontab", "/etc/cron.d/", "/etc/cron.hourly/", "/etc/cron.daily/", "/etc/cron.weekly/", "/etc/cron.monthly/", "/var/spool/cron/"}, LinkTarget: true, Critical: true, HostEvents: true},
		{Name: "etc_ssh", Kind: Modify, Prefixes: []string{"/etc/ssh/"}, LinkTarget: true, Critical: true, HostEvents: true},
		{Name: "etc_pam", Kind: Modify, Prefixes: []string{"/etc/pam.d/", "/etc/security/"}, LinkTarget: true, Critical: true, HostEvents: true},
		{Name: "shell_rc", Kind: Modify, Prefixes: shellFiles, LinkTarget: true, Critical: true, HostEvents: true, Dotfiles: true},
		{Name: "etc", Kind: Modify, Prefixes: []string{"/etc/"}, LinkTarget: true},
		{Name: "bin_dirs", Kind: Modify, Prefixes: []string{"/bin/", "/sbin/", "/usr/bin/", "/usr/sbin/", "/usr/local/bin/", "/usr/local/sbin/"}, LinkTarget: true, Critical: true},
		{Name: "lib_dirs", Kind: Modify, Prefixes: []string{"/lib/", "/lib64/", "/usr/lib/", "/usr/lib64/", "/usr/local/lib/"}, Critical: true},
		{Name: "package_db", Kind: Modify, Prefixes: []string{"/var/lib/dpkg/", "/var/lib/rpm/", "/usr/lib/sysimage/rpm/", "/lib/apk/db/"}},
		{Name: "ssh_authorized_keys", Kind: Modify, Prefixes: homes(".ssh/authorized_keys", ".ssh/authorized_keys2"), LinkTarget: true, Critical: true, HostEvents: true, Dotfiles: true},
		{Name: "shell_history", Kind: Modify, Prefixes: histories, CriticalOps: []string{"truncate", "unlink", "rename", "link", "symlink"}, HostEvents: true, Dotfiles: true},
		{Name: "root_home", Kind: Modify, Prefixes: []string{"/root/"}, LinkTarget: true, Critical: true, Dotfiles: true},
		{Name: "log", Kind: Modify, Prefixes: []string{"/var/log/"}, CriticalOps: []string{"unlink", "truncate"}},
		{Name: "kube", Kind: Modify, Prefixes: []string{"/etc/kubernetes/", "/var/lib/kubelet/", "/var/run/secrets/kubernetes.io/", "/run/secrets/kubernetes.io/"}, LinkTarget: true, Critical: true},
		{Name: "proc_sys", Kind: Modify, Prefixes: []string{"/proc/sys/", "/proc/sysrq-trigger"}, Critical: true},
		{Name: "sysfs", Kind: Modify, Prefixes: []string{"/sys/kernel/", "/sys/module/", "/sys/power/", "/sys/firmware/"}, Critical: true},
		{Name: "boot", Kind: Modify, Prefixes: []string{"/boot/"}, Critical: true},
		{Name: "dev", Kind: Modify, Prefixes: []string{"/dev/"}, CreatesOnly: true, Critical: true},
		{Name: "runtime_state", Kind: Modify, Prefixes: []string{"/run/containerd/", "/var/lib/containerd/", "/run/runc/", "/run/docker/", "/var/lib/docker/", "/run/crio/", "/var/lib/containers/"}, Critical: true},

		{Name: "shadow", Kind: Read, Prefixes: []string{"/etc/shadow", "/etc/gshadow", "/etc/shadow-", "/etc/gshadow-"}},
		{Name: "sudoers", Kind: Read, Prefixes: []string{"/etc/sudoers", "/etc/sudoers.d/"}},
		{Name: "ssh_private_key", Kind: Read, Prefixes: append(userKeys,
			"/etc/ssh/ssh_host_rsa_key", "/etc/ssh/ssh_host_dsa_key", "/etc/ssh/ssh_host_ecdsa_key", "/etc/ssh/ssh_host_ed25519_key"), HostEvents: true},
		{Name: "cloud_credentials", Kind: Read, Prefixes: homes(".aws/", ".config/gcloud/", ".azure/"),
			Gate: []string{"adc.json", "credentials.db", "access_tokens.db"}, HostEvents: true},
		{Name: "k8s_token", Kind: Read, Prefixes: []string{"/var/run/secrets/kubernetes.io/", "/run/secrets/kubernetes.io/", "/var/lib/kubelet/pods/"},
			Gate: []string{"token"}, OwnToken: true},
		// Every login or interactive shell reads these: what matters is
		// who else does (Falco's shell configuration and ssh information reads).
		{Name: "shell_config", Kind: Read, Prefixes: shellFiles},
		{Name: "ssh_client_config", Kind: Read, Prefixes: append(homes(".ssh/"), "/etc/ssh/ssh_config", "/etc/ssh/ssh_config.d/")},
		{Name: "kube_credentials", Kind: Read, Prefixes: append([]string{"/etc/kubernetes/", "/var/lib/kubelet/pki/"}, homes(".kube/")...),
			Gate: []string{"pki", "admin.conf", "kubelet.conf", "super-admin.conf", "controller-manager.conf", "scheduler.conf"}},
	}
}
