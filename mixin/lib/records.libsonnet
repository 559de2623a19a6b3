// Names of the series the mixin records, derived from the windows in _config
// so that a name never lies about its window. Alerts and dashboards use these.
{
  _records+:: {
    local c = $._config,
    // Execs per container and binary in eventWindow, new counter series included (their first value is an exec too).
    execIncrease: 'namespace_pod_container_binary:rtsec_process_execs:increase' + c.eventWindow,
    // Exec rate per container.
    execRate: 'namespace_pod_container:rtsec_process_execs:rate' + c.rateWindow,
    // Exec rate per workload.
    workloadExecRate: 'namespace_workload_container:rtsec_process_execs:rate' + c.rateWindow,
    // Startup profile (lib/startup.libsonnet), per signal: the count while the container is young, the count since,
    // and the young container's keys outside its workload's startup profile.
    execStartup: {
      during: 'namespace_pod_container_binary:rtsec_process_execs:during_startup',
      after: 'namespace_pod_container_binary:rtsec_process_execs:after_startup',
      unprofiled: 'namespace_workload_pod_container_binary:rtsec_process_execs:startup_unprofiled',
    },
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
    fileModStartup: {
      during: 'namespace_pod_container_path_class_op:rtsec_file_modifications:during_startup',
      after: 'namespace_pod_container_path_class_op:rtsec_file_modifications:after_startup',
      unprofiled: 'namespace_workload_pod_container_path_class_op:rtsec_file_modifications:startup_unprofiled',
    },
    fileReadStartup: {
      during: 'namespace_pod_container_file_class:rtsec_file_sensitive_reads:during_startup',
      after: 'namespace_pod_container_file_class:rtsec_file_sensitive_reads:after_startup',
      unprofiled: 'namespace_workload_pod_container_file_class:rtsec_file_sensitive_reads:startup_unprofiled',
    },
    connStartup: {
      during: 'namespace_pod_container_direction_scope_port_class:rtsec_network_connections:during_startup',
      after: 'namespace_pod_container_direction_scope_port_class:rtsec_network_connections:after_startup',
      unprofiled: 'namespace_workload_pod_container_direction_scope_port_class:rtsec_network_connections:startup_unprofiled',
    },
    // 1 while a workload has a live exec counter for a binary.
    workloadBinaryPresent: 'namespace_workload_container_binary:rtsec_process_execs:present',
    // 1 while a workload has any live exec counter.
    workloadPresent: 'namespace_workload_container:rtsec_process_execs:present',
    // Exec-rate baseline per workload.
    workloadExecRateAvg: '%s_avg_over_time_%s' % [self.workloadExecRate, c.execRateBaselineWindow],
    workloadExecRateStddev: '%s_stddev_over_time_%s' % [self.workloadExecRate, c.execRateBaselineWindow],
    workloadExecRateZScore: self.workloadExecRate + '_zscore',
    // Process signals per container and label value in eventWindow, new counter series included.
    suspiciousIncrease: 'namespace_pod_container_reason:rtsec_process_suspicious_execs:increase' + c.eventWindow,
    classIncrease: 'namespace_pod_container_class:rtsec_process_class_execs:increase' + c.eventWindow,
    privilegeIncrease: 'namespace_pod_container_kind:rtsec_privilege_changes:increase' + c.eventWindow,
    syscallIncrease: 'namespace_pod_container_syscall_result:rtsec_sensitive_syscalls:increase' + c.eventWindow,
    // Critical process events per container in highRiskWindow (threat model's HighRiskProcess).
    criticalEvents: 'namespace_pod_container:rtsec_critical_events:increase' + c.highRiskWindow,
    // The same per kind of event: signal (suspicious_exec, privilege_change, sensitive_syscall, process_class) and
    // event (its reason, kind, syscall or class), so that each kind is an alert of its own.
    criticalEventKinds: 'namespace_pod_container_signal_event:rtsec_critical_events:increase' + c.highRiskWindow,
    // Every container (and the host) the exporter reports.
    observed: 'namespace_pod_container:rtsec_observed:group',
    // Risk factors and score per container.
    riskExploitability: 'namespace_pod_container:rtsec_risk_exploitability:sum',
    riskImpact: 'namespace_pod_container:rtsec_risk_impact:sum',
    riskDetection: 'instance:rtsec_risk_detection_capability:ratio',
    riskThreatIntel: 'namespace_pod_container:rtsec_risk_threat_intel:sum',
    riskScore: 'namespace_pod_container:rtsec_risk:score',
  },
}
