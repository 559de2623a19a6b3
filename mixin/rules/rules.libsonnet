// All recording rule groups.
(import 'process-exec.libsonnet') +
(import 'process-signals.libsonnet') +
(import 'risk.libsonnet')
