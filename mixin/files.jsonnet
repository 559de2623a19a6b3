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
    // Kustomizations that deploy/kubernetes/base lists as resources: kustomize loads files only from below a
    // kustomization's directory, so the PrometheusRule and the dashboards are read here, never copied.
    'alerts/kustomization.yaml': yaml({
      apiVersion: 'kustomize.config.k8s.io/v1beta1',
      kind: 'Kustomization',
      resources: ['rtsec-prometheusrule.yaml'],
    }),
    'dashboards/kustomization.yaml': yaml({
      apiVersion: 'kustomize.config.k8s.io/v1beta1',
      kind: 'Kustomization',
      // Fixed names: a hash suffix would leave the old ConfigMap, and the sidecar would load both.
      generatorOptions: {
        disableNameSuffixHash: true,
        labels: { grafana_dashboard: '1', 'app.kubernetes.io/name': 'rtsec' },
      },
      configMapGenerator: [
        // rtsec-<x>.json → rtsec-dashboard-<x>, the chart's names (templates/dashboards.yaml).
        local stem =
          if std.startsWith(name, 'rtsec-') && std.endsWith(name, '.json')
          then std.substr(name, std.length('rtsec-'), std.length(name) - std.length('rtsec-.json'))
          else error 'dashboard %s: name it rtsec-<name>.json' % name;
        { name: 'rtsec-dashboard-' + stem, files: [name] }
        for name in std.objectFields(mixin.grafanaDashboards)
      ],
    }),
  } + {
    ['dashboards/' + name]: std.manifestJsonEx(mixin.grafanaDashboards[name], '  ')
    for name in std.objectFields(mixin.grafanaDashboards)
  }
