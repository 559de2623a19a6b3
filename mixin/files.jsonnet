// Every file generated from the mixin, keyed by its path in the repository.
// `go run ./mixin/generate` writes them; so does `jsonnet -S -m . mixin/files.jsonnet`.
// Texts end without a newline: the writers add one, as jsonnet -S -m does.
// overrides: a mixin fragment such as { _config+:: { containerStartupWindow: '0s' } }.
function(overrides={})
  local mixin = (import 'mixin.libsonnet') + overrides;
  local header = '# Generated from mixin/ by `go run ./mixin/generate`; do not edit.\n';
  local yaml(o) = header + std.manifestYamlDoc(o, quote_keys=false);
  {
    'alerts/rtsec-alerts.yaml': yaml(mixin.prometheusAlerts),
    'alerts/rtsec-rules.yaml': yaml(mixin.prometheusRules),
    'alerts/rtsec-prometheusrule.yaml': yaml({
      apiVersion: 'monitoring.coreos.com/v1',
      kind: 'PrometheusRule',
      metadata: {
        name: 'rtsec',
        labels: { 'app.kubernetes.io/name': 'rtsec', 'app.kubernetes.io/component': 'rules' },
      },
      spec: { groups: mixin.prometheusRules.groups + mixin.prometheusAlerts.groups },
    }),
  } + {
    ['dashboards/' + name]: std.manifestJsonEx(mixin.grafanaDashboards[name], '  ')
    for name in std.objectFields(mixin.grafanaDashboards)
  }
