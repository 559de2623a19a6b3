// All recording rule groups.
(import 'process-exec.libsonnet') +
(import 'risk.libsonnet') +
(import 'network.libsonnet') +
(import 'files.libsonnet') +
(import 'process-signals.libsonnet') +
(import 'resources.libsonnet') +
(import 'host.libsonnet')
