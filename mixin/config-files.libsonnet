// _config of the file signals (rtsec_file_*): allowlists, the classes that
// alert, and the settings of the file alerts.
{
  _config+:: {
    // Binaries that read SSH client files (~/.ssh/, /etc/ssh/ssh_config) by design: a read where none ran alerts.
    sshClientBinaries: ['ssh', 'scp', 'sftp', 'ssh-keygen', 'ssh-add', 'ssh-agent', 'ssh-keyscan'],

    // Modification classes that alert at any age, in the profile or not: sudo rules, preload, SSH keys, the release
    // agent, /proc/<pid>/exe. The account files (etc_passwd, etc_shadow, etc_group) follow the profile: images create
    // their user at start (docker-entrypoint.sh, nss_wrapper); add them here to alert on every replica.
    startupAlwaysAlertPathClasses: ['etc_sudoers', 'etc_ld_preload', 'ssh_authorized_keys', 'cgroup_release_agent', 'proc_exe'],

    // File signals: namespaces whose file modifications and reads no alert reports (besides trustedNamespaces).
    fileTrustedNamespaces: [],
    // Namespace → path classes its containers may modify, e.g. { ci: ['bin_dirs', 'lib_dirs', 'package_db', 'etc'] } for image builds.
    fileAllowedPerNamespace: {},
    // Path classes the host itself (container_id="") may modify: package upgrades, runtime state, logs.
    fileHostAllowedClasses: ['etc', 'bin_dirs', 'lib_dirs', 'package_db', 'root_home', 'log', 'kube', 'proc_sys', 'sysfs', 'boot', 'dev', 'runtime_state'],
    // Link targets that make a link or symlink worth an alert: credentials, privilege and persistence files, not binaries
    // (installers link busybox applets and alternatives all the time).
    fileLinkSensitiveClasses: ['etc_passwd', 'etc_shadow', 'etc_group', 'etc_sudoers', 'etc_ld_preload', 'etc_cron', 'etc_ssh', 'etc_pam', 'shell_rc', 'ssh_authorized_keys', 'root_home', 'kube'],
    // Read classes RtsecSensitiveFileRead reports.
    fileSensitiveReadClasses: ['shadow', 'sudoers', 'ssh_private_key', 'cloud_credentials', 'k8s_token', 'kube_credentials', 'kernel_memory', 'raw_block_device'],
    // Read classes the host may read: logins read shadow, the kubelet its credentials, udev block devices, tools /proc/<pid>/environ.
    fileReadHostAllowedClasses: ['shadow', 'sudoers', 'kube_credentials', 'k8s_token', 'raw_block_device', 'proc_environ'],

    alerts+: {
      RtsecWriteBelowEtc: { severity: 'warning', 'for': '0m', category: 'persistence', mitre_technique: 'T1098' },
      RtsecWriteBelowBinaryDir: { severity: 'warning', 'for': '0m', category: 'persistence', mitre_technique: 'T1554' },
      RtsecWriteBelowRoot: { severity: 'warning', 'for': '0m', category: 'persistence', mitre_technique: 'T1546' },
      RtsecPackageDatabaseModified: { severity: 'warning', 'for': '0m', category: 'persistence', mitre_technique: 'T1554' },
      RtsecCronJobScheduled: { severity: 'warning', 'for': '0m', category: 'persistence', mitre_technique: 'T1053.003' },
      RtsecShellConfigModified: { severity: 'warning', 'for': '0m', category: 'persistence', mitre_technique: 'T1546.004' },
      RtsecSudoersModified: { severity: 'critical', 'for': '0m', category: 'privilege_escalation', mitre_technique: 'T1548.003' },
      RtsecAuthorizedKeysModified: { severity: 'critical', 'for': '0m', category: 'persistence', mitre_technique: 'T1098.004' },
      RtsecLdPreloadModified: { severity: 'critical', 'for': '0m', category: 'evasion', mitre_technique: 'T1574.006' },
      RtsecReleaseAgentWrite: { severity: 'critical', 'for': '0m', category: 'privilege_escalation', mitre_technique: 'T1611' },
      RtsecLogCleared: { severity: 'warning', 'for': '0m', category: 'evasion', mitre_technique: 'T1070.002' },
      RtsecShellHistoryDeleted: { severity: 'warning', 'for': '0m', category: 'evasion', mitre_technique: 'T1070.003' },
      RtsecExecutableDrift: { severity: 'warning', 'for': '0m', category: 'execution', mitre_technique: 'T1105' },
      RtsecHiddenFileCreated: { severity: 'warning', 'for': '0m', category: 'evasion', mitre_technique: 'T1564.001' },
      RtsecContainerEntrypointModified: { severity: 'critical', 'for': '0m', category: 'privilege_escalation', mitre_technique: 'T1611' },
      RtsecShellConfigRead: { severity: 'info', 'for': '0m', category: 'discovery', mitre_technique: 'T1083' },
      RtsecSSHClientFileRead: { severity: 'warning', 'for': '0m', category: 'discovery', mitre_technique: 'T1018' },
      RtsecSensitiveFileLinked: { severity: 'warning', 'for': '0m', category: 'credential_access', mitre_technique: 'T1003.008' },
      RtsecFileCreatedBelowDev: { severity: 'warning', 'for': '0m', category: 'evasion', mitre_technique: 'T1564' },
      RtsecSetuidBitSet: { severity: 'warning', 'for': '0m', category: 'privilege_escalation', mitre_technique: 'T1548.001' },
      RtsecDirectoryTraversal: { severity: 'warning', 'for': '0m', category: 'credential_access', mitre_technique: 'T1083' },
      RtsecSensitiveFileRead: { severity: 'warning', 'for': '0m', category: 'credential_access', mitre_technique: 'T1552.001' },
      RtsecOtherProcessMemoryRead: { severity: 'warning', 'for': '0m', category: 'credential_access', mitre_technique: 'T1003.007' },
      RtsecFileIntegrityChanged: { severity: 'critical', 'for': '0m', category: 'integrity', mitre_technique: 'T1565.001' },
      RtsecFileIntegrityBaselineCorrupt: { severity: 'warning', 'for': '0m', category: 'integrity', mitre_technique: 'T1070' },
    },

    dashboardUIDs+: { files: 'rtsec-files' },
  },
}
