// All dashboards, keyed by file name.
(import 'overview.libsonnet') +
(import 'workload.libsonnet') +
(import 'exporter.libsonnet') +
(import 'network.libsonnet') +
(import 'files.libsonnet') +
(import 'process-signals.libsonnet') +
(import 'resources.libsonnet') +
(import 'host.libsonnet')
