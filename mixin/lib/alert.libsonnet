// Builds one alerting rule from its name, expression and annotations, taking
// severity, `for` and the category/MITRE labels from _config.alerts.
local u = import 'utils.libsonnet';

{
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
        description: description,
      },
    } + (if u.isZero(s['for']) then {} else { 'for': s['for'] }),
}
