// Names of the series the resource rules record (see records.libsonnet).
{
  _records+:: {
    local c = $._config,
    // CPU cores used per container.
    cpuUsage: 'namespace_pod_container:rtsec_container_cpu_usage:rate' + c.rateWindow,
    // CPU cores a container may use: its quota, else one core.
    cpuCapacity: 'namespace_pod_container:rtsec_container_cpu_capacity:cores',
    // Share of that capacity used.
    cpuSaturation: 'namespace_pod_container:rtsec_container_cpu_saturation:ratio',
    // 1 while a container shows a cryptojacking co-signal within cryptoCoSignalWindow.
    cryptoCoSignal: 'namespace_pod_container:rtsec_cryptojacking_cosignal:max' + c.cryptoCoSignalWindow,
    // CPU cores per workload, and its same-time-of-week baseline.
    workloadCpuUsage: 'namespace_workload_container:rtsec_container_cpu_usage:rate' + c.rateWindow,
    workloadCpuBaselineAvg: 'namespace_workload_container:rtsec_container_cpu_usage:rate%s_avg_same_time_of_week' % c.rateWindow,
    workloadCpuBaselineStddev: 'namespace_workload_container:rtsec_container_cpu_usage:rate%s_stddev_same_time_of_week' % c.rateWindow,
    workloadCpuZScore: 'namespace_workload_container:rtsec_container_cpu_usage:rate%s_zscore' % c.rateWindow,
    // Process forks per second per container and per workload, and the workload's baseline.
    forkRate: 'namespace_pod_container:rtsec_container_forks:rate' + c.rateWindow,
    workloadForkRate: 'namespace_workload_container:rtsec_container_forks:rate' + c.rateWindow,
    workloadForkRateAvg: 'namespace_workload_container:rtsec_container_forks:rate%s_avg_over_time_%s' % [c.rateWindow, c.forkBaselineWindow],
    workloadForkRateStddev: 'namespace_workload_container:rtsec_container_forks:rate%s_stddev_over_time_%s' % [c.rateWindow, c.forkBaselineWindow],
    workloadForkRateZScore: 'namespace_workload_container:rtsec_container_forks:rate%s_zscore' % c.rateWindow,
    // 1 while a container saturated its CPU, hit its pids limit or was OOM-killed within riskWindow.
    riskResource: 'namespace_pod_container:rtsec_risk_resource:max',
  },
}
