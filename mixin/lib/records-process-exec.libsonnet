// Names of the series the exec rules record (see records.libsonnet).
{
  _records+:: {
    local c = $._config,
    // Execs per container and binary in eventWindow, new counter series included (their first value is an exec too).
    execIncrease: 'namespace_pod_container_binary:rtsec_process_execs:increase' + c.eventWindow,
    // Exec rate per container.
    execRate: 'namespace_pod_container:rtsec_process_execs:rate' + c.rateWindow,
    // Exec rate per workload.
    workloadExecRate: 'namespace_workload_container:rtsec_process_execs:rate' + c.rateWindow,
    // Startup profile (lib/startup.libsonnet): the count while the container is young, the count since,
    // and the young container's keys outside its workload's startup profile.
    execStartup: {
      during: 'namespace_pod_container_binary:rtsec_process_execs:during_startup',
      after: 'namespace_pod_container_binary:rtsec_process_execs:after_startup',
      unprofiled: 'namespace_workload_pod_container_binary:rtsec_process_execs:startup_unprofiled',
    },
    // 1 while a workload has a live exec counter for a binary.
    workloadBinaryPresent: 'namespace_workload_container_binary:rtsec_process_execs:present',
    // 1 while a workload has any live exec counter.
    workloadPresent: 'namespace_workload_container:rtsec_process_execs:present',
    // Exec-rate baseline per workload.
    workloadExecRateAvg: '%s_avg_over_time_%s' % [self.workloadExecRate, c.execRateBaselineWindow],
    workloadExecRateStddev: '%s_stddev_over_time_%s' % [self.workloadExecRate, c.execRateBaselineWindow],
    workloadExecRateZScore: self.workloadExecRate + '_zscore',
  },
}
