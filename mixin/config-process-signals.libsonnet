// _config of the process signals (rtsec_process_suspicious_execs_total,
// _class_execs_total, rtsec_privilege_changes_total,
// rtsec_sensitive_syscalls_total, rtsec_compat_syscalls_total): the
// high-risk-process threshold, the critical syscalls, the namespaces allowed
// 32-bit programs and the settings of their alerts.
{
  _config+:: {
    // Process signals: a workload with more than highRiskThreshold critical events (suspicious execs, privilege
    // gains, escape syscalls, miners) in highRiskWindow is a HighRiskProcess (threat model).
    highRiskWindow: '5m',
    highRiskThreshold: 5,
    // Sensitive syscalls that count as critical events.
    criticalSyscalls: ['ptrace', 'process_vm_writev', 'bpf', 'setns', 'unshare', 'mount', 'pivot_root', 'open_by_handle_at', 'init_module', 'finit_module', 'delete_module', 'kexec_load'],
    // Namespaces whose containers may run 32-bit (i386) programs, legacy images: RtsecCompatSyscallsInContainer
    // ignores them. RtsecCompatSyscallEvasion does not: a 32-bit namespace, privilege, ptrace, bpf, mount or
    // module call is one the other process signals cannot see, wherever it comes from.
    compatSyscallNamespaces: [],

    alerts+: {
      RtsecReverseShell: { severity: 'critical', 'for': '0m', category: 'execution', mitre_technique: 'T1059.004' },
      RtsecNetcatRemoteCodeExecution: { severity: 'critical', 'for': '0m', category: 'execution', mitre_technique: 'T1059' },
      RtsecTerminalShellInContainer: { severity: 'warning', 'for': '0m', category: 'execution', mitre_technique: 'T1059.004' },
      RtsecFilelessExecution: { severity: 'critical', 'for': '0m', category: 'evasion', mitre_technique: 'T1620' },
      RtsecDeletedBinaryExecuted: { severity: 'warning', 'for': '0m', category: 'evasion', mitre_technique: 'T1070.004' },
      RtsecExecFromWritableDir: { severity: 'warning', 'for': '0m', category: 'execution', mitre_technique: 'T1059' },
      RtsecDropAndExecute: { severity: 'critical', 'for': '0m', category: 'persistence', mitre_technique: 'T1105' },
      RtsecDynamicLoaderExec: { severity: 'warning', 'for': '0m', category: 'evasion', mitre_technique: 'T1218' },
      RtsecCredentialSearch: { severity: 'info', 'for': '0m', category: 'credential_access', mitre_technique: 'T1552.001' },
      RtsecLogWiperExecuted: { severity: 'warning', 'for': '0m', category: 'evasion', mitre_technique: 'T1070' },
      RtsecUserManagementInContainer: { severity: 'warning', 'for': '0m', category: 'persistence', mitre_technique: 'T1136' },
      RtsecMinerClassExecuted: { severity: 'critical', 'for': '0m', category: 'impact', mitre_technique: 'T1496' },
      RtsecHighRiskProcess: { severity: 'critical', 'for': '0m', category: 'execution', mitre_technique: 'T1059' },
      RtsecSetuidToRoot: { severity: 'warning', 'for': '0m', category: 'privilege_escalation', mitre_technique: 'T1548.001' },
      RtsecSetuidExecInContainer: { severity: 'info', 'for': '0m', category: 'privilege_escalation', mitre_technique: 'T1548.001' },
      RtsecCapabilityGained: { severity: 'warning', 'for': '0m', category: 'privilege_escalation', mitre_technique: 'T1548' },
      RtsecKernelExploitEscalation: { severity: 'critical', 'for': '0m', category: 'privilege_escalation', mitre_technique: 'T1068' },
      RtsecPtraceInContainer: { severity: 'warning', 'for': '0m', category: 'privilege_escalation', mitre_technique: 'T1055.008' },
      RtsecProcessMemoryWrite: { severity: 'warning', 'for': '0m', category: 'privilege_escalation', mitre_technique: 'T1055' },
      RtsecKernelModuleLoadAttempt: { severity: 'critical', 'for': '0m', category: 'persistence', mitre_technique: 'T1547.006' },
      RtsecBPFProgramLoadInContainer: { severity: 'critical', 'for': '0m', category: 'evasion', mitre_technique: 'T1014' },
      RtsecNamespaceChangeInContainer: { severity: 'warning', 'for': '0m', category: 'privilege_escalation', mitre_technique: 'T1611' },
      RtsecMountInContainer: { severity: 'warning', 'for': '0m', category: 'privilege_escalation', mitre_technique: 'T1611' },
      RtsecOpenByHandleAt: { severity: 'critical', 'for': '0m', category: 'privilege_escalation', mitre_technique: 'T1611' },
      RtsecUserfaultfdInContainer: { severity: 'warning', 'for': '0m', category: 'privilege_escalation', mitre_technique: 'T1068' },
      RtsecCompatSyscallEvasion: { severity: 'critical', 'for': '0m', category: 'evasion', mitre_technique: 'T1562' },
      RtsecCompatSyscallsInContainer: { severity: 'warning', 'for': '0m', category: 'evasion', mitre_technique: 'T1562' },
    },

    dashboardUIDs+: { processSignals: 'rtsec-process-signals' },
  },
}
