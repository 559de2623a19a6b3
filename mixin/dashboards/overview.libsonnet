// Overview: what fires, which workloads are most at risk, who executes what.
local g = import '../lib/grafana.libsonnet';

{
  grafanaDashboards+:: {
    local c = $._config,
    local r = $._records,
    local alerts = 'ALERTS{alertname=~"Rtsec.*", alertstate="firing"}',
    'rtsec-overview.json': g.dashboard(c, 'overview', 'Overview', [
      [5, [
        g.stat('Firing alerts by severity', [g.target('count by (severity) (%s)' % alerts, '{{severity}}')]),
        g.stat('Firing alerts by category', [g.target('count by (category) (%s)' % alerts, '{{category}}')]),
        g.stat('Exporters up', [g.target('sum(up{%(rtsecSelector)s})' % c, 'up'), g.target('count(up{%(rtsecSelector)s})' % c, 'targets')]),
      ]],
      [8, [
        g.table('Firing rtsec alerts', [g.target('sum by (alertname, severity, category, mitre_technique, instance, namespace, pod, container) (%s)' % alerts, '', true)]),
      ]],
      [9, [
        g.table('Top containers by risk score',
                [g.target('topk(15, %s)' % r.riskScore, '', true)],
                'risk = exploitability × impact ÷ detection capability + threat intelligence; see docs/mixin.md.'),
        g.timeseries('Risk score, top 10', [g.target('topk(10, %s)' % r.riskScore, '{{namespace}}/{{pod}}/{{container}} {{container_id}}')]),
      ]],
      [9, [
        g.timeseries('Exec rate, top 10 containers', [g.target('topk(10, %s{container_id!=""})' % r.execRate, '{{namespace}}/{{pod}}/{{container}}')], 'ops'),
        g.timeseries('Exec rate, host processes', [g.target('sum by (instance) (%s{container_id=""})' % r.execRate, '{{instance}}')], 'ops'),
      ]],
      [8, [
        g.timeseries('Alerts over time by alert name', [g.target('count by (alertname) (%s)' % alerts, '{{alertname}}')], 'short', '', true),
      ]],
    ], []),
  },
}
