// The rtsec monitoring mixin: config + recording rules + alerts + dashboards.
// Use: (import 'mixin.libsonnet') { _config+:: { rtsecSelector: 'job="rtsec-exporter"' } }
(import 'config.libsonnet') +
(import 'config-network.libsonnet') +
(import 'config-dashboards.libsonnet') +
(import 'config-resources.libsonnet') +
(import 'config-host.libsonnet') +
(import 'lib/records.libsonnet') +
(import 'lib/records-network.libsonnet') +
(import 'lib/records-resources.libsonnet') +
(import 'rules/rules.libsonnet') +
(import 'alerts/alerts.libsonnet') +
(import 'dashboards/dashboards.libsonnet')
