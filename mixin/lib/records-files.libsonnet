// Names of the series the file rules record (see records.libsonnet).
{
  _records+:: {
    local c = $._config,
    // File modifications per container, path class and op in eventWindow.
    fileModIncrease: 'namespace_pod_container_path_class_op:rtsec_file_modifications:increase' + c.eventWindow,
    // Sensitive reads per container and file class in eventWindow.
    fileReadIncrease: 'namespace_pod_container_file_class:rtsec_file_sensitive_reads:increase' + c.eventWindow,
    // Startup profile (lib/startup.libsonnet): the count while the container is young, the count since, and the
    // young container's keys outside its workload's startup profile.
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
  },
}
