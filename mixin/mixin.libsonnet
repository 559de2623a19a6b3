// The rtsec monitoring mixin: config + recording rules + alerts + dashboards.
// Use: (import 'mixin.libsonnet') { _config+:: { rtsecSelector: 'job="rtsec-exporter"' } }
// Each signal has its settings in config-<signal>.libsonnet and the names of
// its recorded series in lib/records-<signal>.libsonnet; config.libsonnet and
// lib/records.libsonnet hold what the signals share (and come first).
(import 'config.libsonnet') +
(import 'config-dashboards.libsonnet') +
(import 'config-process-exec.libsonnet') +
(import 'config-process-signals.libsonnet') +
(import 'config-posture.libsonnet') +
(import 'config-exporter.libsonnet') +
(import 'config-network.libsonnet') +
(import 'config-files.libsonnet') +
(import 'config-resources.libsonnet') +
(import 'config-enforcement.libsonnet') +
(import 'config-host.libsonnet') +
(import 'lib/records.libsonnet') +
(import 'lib/records-process-exec.libsonnet') +
(import 'lib/records-process-signals.libsonnet') +
(import 'lib/records-network.libsonnet') +
(import 'lib/records-files.libsonnet') +
(import 'lib/records-resources.libsonnet') +
(import 'lib/records-host.libsonnet') +
(import 'rules/rules.libsonnet') +
(import 'alerts/alerts.libsonnet') +
(import 'dashboards/dashboards.libsonnet')
