// Settings of the host rules (docs/host.md): which of the node's actors are its own daemons. On the host
// (container_id=""), the exporter puts the actor's class in the container label, from the cgroup the event came
// from (--host.actors: the runtime's, the kubelet's and the package managers' systemd units, init, the other
// system services, login sessions; other for the root cgroup and anything unnamed).
{
  _config+:: {
    // Host actor classes of the node's own daemons: their host events raise no host alert (RtsecHost*), nor
    // RtsecHighRiskProcess, RtsecKernelModuleLoadAttempt. session (an interactive login) and other (the root
    // cgroup, where a release_agent or core_pattern escape runs, and cgroups no --host.actors rule names) are not.
    hostTrustedActors: ['runtime', 'cni', 'kubelet', 'package_manager', 'systemd', 'systemd_unit'],
    // Alert name → the actors trusted for it instead of hostTrustedActors, e.g. only the package manager installs
    // binaries and libraries; the kubelet and the runtime also write below /etc (CNI configuration, certificates).
    hostAlertTrustedActors: {
      RtsecHostWriteBelowBinaryDir: ['package_manager'],
      RtsecHostPackageDatabaseModified: ['package_manager'],
    },
    // Actor classes whose activity (any exec) is reported as an interactive login (info).
    hostLoginActors: ['session'],

    dashboardUIDs+: { host: 'rtsec-host' },

    alerts+: {
      RtsecHostWriteBelowEtc: { severity: 'warning', 'for': '0m', category: 'persistence', mitre_technique: 'T1098' },
      RtsecHostWriteBelowBinaryDir: { severity: 'critical', 'for': '0m', category: 'persistence', mitre_technique: 'T1554' },
      RtsecHostWriteBelowRoot: { severity: 'warning', 'for': '0m', category: 'persistence', mitre_technique: 'T1546' },
      RtsecHostPackageDatabaseModified: { severity: 'warning', 'for': '0m', category: 'persistence', mitre_technique: 'T1554' },
      RtsecHostSensitiveFileRead: { severity: 'warning', 'for': '0m', category: 'credential_access', mitre_technique: 'T1552.001' },
      RtsecHostFilelessExecution: { severity: 'critical', 'for': '0m', category: 'evasion', mitre_technique: 'T1620' },
      RtsecHostReverseShell: { severity: 'critical', 'for': '0m', category: 'execution', mitre_technique: 'T1059.004' },
      RtsecHostProcessInjection: { severity: 'critical', 'for': '0m', category: 'privilege_escalation', mitre_technique: 'T1055' },
      RtsecHostBPFProgramLoad: { severity: 'warning', 'for': '0m', category: 'evasion', mitre_technique: 'T1014' },
      RtsecHostInteractiveLogin: { severity: 'info', 'for': '0m', category: 'initial_access', mitre_technique: 'T1078' },
    },
  },
}
