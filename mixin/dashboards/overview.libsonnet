// Overview: what fires, which workloads are most at risk, who executes what.
local g = import '../lib/grafana.libsonnet';

{
  grafanaDashboards+:: {
    local c = $._config,
    local r = $._records,
    local cluster = g.clusterMatcher(c),
    // Recorded series and alerts of the selected cluster and namespaces.
    local f = '%s, namespace=~"$namespace"' % cluster,
    local alerts = 'ALERTS{alertname=~"Rtsec.*", alertstate="firing", %s}' % f,
    local up = 'up{%s, %s}' % [c.rtsecSelector, cluster],
    'rtsec-overview.json': g.dashboard(c, 'overview', 'Overview', [
      [5, [
        g.stat('Firing alerts by severity', [g.target('count by (severity) (%s)' % alerts, '{{severity}}')]),
        g.stat('Firing alerts by category', [g.target('count by (category) (%s)' % alerts, '{{category}}')]),
        g.stat('Exporters up', [g.target('sum(%s)' % up, 'up'), g.target('count(%s)' % up, 'targets')]),
      ]],
      [8, [
        g.table('Firing rtsec alerts', [g.target('sum by (alertname, severity, category, mitre_technique, instance, namespace, pod, container) (%s)' % alerts, '', true)]),
      ]],
      [9, [
        g.table('Top containers by risk score',
                [g.target('topk(15, %s{%s})' % [r.riskScore, f], '', true)],
                'risk = exploitability × impact ÷ detection capability + threat intelligence; see docs/mixin.md.'),
        g.timeseries('Risk score, top 10', [g.target('topk(10, %s{%s})' % [r.riskScore, f], '{{namespace}}/{{pod}}/{{container}} {{container_id}}')]),
      ]],
      [9, [
        g.timeseries('Exec rate, top 10 containers', [g.target('topk(10, %s{container_id!="", %s})' % [r.execRate, f], '{{namespace}}/{{pod}}/{{container}}')], 'ops'),
        g.timeseries('Exec rate, host processes', [g.target('sum by (instance) (%s{container_id="", %s})' % [r.execRate, cluster], '{{instance}}')], 'ops'),
      ]],
      [8, [
        g.timeseries('Alerts over time by alert name', [g.target('count by (alertname) (%s)' % alerts, '{{alertname}}')], 'short', '', true),
      ]],
    ], [
      g.namespaceVariable(c, 'rtsec_container_info'),
    ]),
  },
}
