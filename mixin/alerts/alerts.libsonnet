// All alert groups, with the runbook link added to every alert in one place.
(import 'process-exec.libsonnet') +
(import 'process-signals.libsonnet') +
(import 'posture.libsonnet') +
(import 'exporter.libsonnet') +
(import 'network.libsonnet') +
(import 'files.libsonnet') +
(import 'resources.libsonnet') +
(import 'enforcement.libsonnet') +
(import 'host.libsonnet') +
{
  local c = $._config,
  prometheusAlerts+:: {
    groups: [
      g {
        rules: [
          r { annotations+: { runbook_url: c.runbookURLPattern % std.asciiLower(r.alert) } }
          for r in super.rules
        ],
      }
      for g in super.groups
    ],
  },
}
