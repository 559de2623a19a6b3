// Names of the series the host rules record (see records.libsonnet).
{
  _records+:: {
    local c = $._config,
    // Host execs per actor class in eventWindow, new counter series included.
    hostExecIncrease: 'namespace_pod_container:rtsec_host_execs:increase' + c.eventWindow,
    // Host events per actor class and signal in eventWindow.
    hostEventIncrease: 'namespace_pod_container_signal:rtsec_host_events:increase' + c.eventWindow,
  },
}
