// Names of the series the process signal rules record (see records.libsonnet).
{
  _records+:: {
    local c = $._config,
    // Process signals per container and label value in eventWindow, new counter series included.
    suspiciousIncrease: 'namespace_pod_container_reason:rtsec_process_suspicious_execs:increase' + c.eventWindow,
    classIncrease: 'namespace_pod_container_class:rtsec_process_class_execs:increase' + c.eventWindow,
    privilegeIncrease: 'namespace_pod_container_kind:rtsec_privilege_changes:increase' + c.eventWindow,
    syscallIncrease: 'namespace_pod_container_syscall_result:rtsec_sensitive_syscalls:increase' + c.eventWindow,
    compatIncrease: 'namespace_pod_container_class:rtsec_compat_syscalls:increase' + c.eventWindow,
    // Critical process events per container in highRiskWindow (threat model's HighRiskProcess).
    criticalEvents: 'namespace_pod_container:rtsec_critical_events:increase' + c.highRiskWindow,
    // The same per kind of event: signal (suspicious_exec, privilege_change, sensitive_syscall, process_class) and
    // event (its reason, kind, syscall or class), so that each kind is an alert of its own.
    criticalEventKinds: 'namespace_pod_container_signal_event:rtsec_critical_events:increase' + c.highRiskWindow,
    // Startup profile (lib/startup.libsonnet): the count while the container is young, the count since, and the
    // young container's keys outside its workload's startup profile.
    suspiciousStartup: {
      during: 'namespace_pod_container_reason:rtsec_process_suspicious_execs:during_startup',
      after: 'namespace_pod_container_reason:rtsec_process_suspicious_execs:after_startup',
      unprofiled: 'namespace_workload_pod_container_reason:rtsec_process_suspicious_execs:startup_unprofiled',
    },
    classStartup: {
      during: 'namespace_pod_container_class:rtsec_process_class_execs:during_startup',
      after: 'namespace_pod_container_class:rtsec_process_class_execs:after_startup',
      unprofiled: 'namespace_workload_pod_container_class:rtsec_process_class_execs:startup_unprofiled',
    },
    syscallStartup: {
      during: 'namespace_pod_container_syscall_result:rtsec_sensitive_syscalls:during_startup',
      after: 'namespace_pod_container_syscall_result:rtsec_sensitive_syscalls:after_startup',
      unprofiled: 'namespace_workload_pod_container_syscall_result:rtsec_sensitive_syscalls:startup_unprofiled',
    },
  },
}
