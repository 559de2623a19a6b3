// Names of the series the network rules record (see records.libsonnet).
{
  _records+:: {
    local c = $._config,
    // Connections per container, direction, scope, port class and result in eventWindow, new series included.
    connIncrease: 'namespace_pod_container_scope_port_class:rtsec_network_connections:increase' + c.eventWindow,
    // Listens per container, port class and scope in eventWindow.
    listenIncrease: 'namespace_pod_container_port_class_scope:rtsec_network_listens:increase' + c.eventWindow,
    // Raw and packet sockets per container and type in eventWindow.
    rawIncrease: 'namespace_pod_container_type:rtsec_network_raw_sockets:increase' + c.eventWindow,
    // Runtime socket connections per container and socket in eventWindow.
    runtimeIncrease: 'namespace_pod_container_socket:rtsec_network_runtime_socket_connections:increase' + c.eventWindow,
    // 1 while a workload has a live counter of outbound connections other than loopback and DNS.
    workloadOutboundPresent: 'namespace_workload_container:rtsec_network_outbound:present',
    // 1 while a workload has a live listen counter.
    workloadListenPresent: 'namespace_workload_container:rtsec_network_listens:present',
    // Outbound connection rate per workload and its baseline.
    workloadConnRate: 'namespace_workload_container:rtsec_network_connections_out:rate' + c.rateWindow,
    workloadConnRateAvg: '%s_avg_over_time_%s' % [self.workloadConnRate, c.connRateBaselineWindow],
    workloadConnRateStddev: '%s_stddev_over_time_%s' % [self.workloadConnRate, c.connRateBaselineWindow],
    workloadConnRateZScore: self.workloadConnRate + '_zscore',
    // Startup profile (lib/startup.libsonnet), as records-process-exec.libsonnet's.
    connStartup: {
      during: 'namespace_pod_container_direction_scope_port_class:rtsec_network_connections:during_startup',
      after: 'namespace_pod_container_direction_scope_port_class:rtsec_network_connections:after_startup',
      unprofiled: 'namespace_workload_pod_container_direction_scope_port_class:rtsec_network_connections:startup_unprofiled',
    },
  },
}
