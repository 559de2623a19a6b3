// Builds one alerting rule from its name, expression and annotations, taking
// severity, `for` and the category/MITRE labels from _config.alerts.
local u = import 'utils.libsonnet';

{
  // Where a description names {{ $labels.instance }} (the exporter: on Kubernetes a pod IP and port), the
  // node's name and the cluster follow when the series carry them (_config.nodeLabel, clusterLabel).
  instance(config)::
    '{{ $labels.instance }}'
    + (if config.nodeLabel == '' then '' else '{{ with $labels.%s }} (node {{ . }}){{ end }}' % config.nodeLabel)
    + (if config.clusterLabel == '' then '' else '{{ with $labels.%s }} in cluster {{ . }}{{ end }}' % config.clusterLabel),

  new(config, name, expr, summary, description)::
    local s = config.alerts[name];
    {
      alert: name,
      expr: expr,
      labels: {
        severity: s.severity,
        category: s.category,
        mitre_technique: s.mitre_technique,
      },
      annotations: {
        summary: summary,
        description: std.strReplace(description, '{{ $labels.instance }}', $.instance(config)),
      },
    } + (if u.isZero(s['for']) then {} else { 'for': s['for'] }),
}
