// Workload drill-down: one namespace/pod/container, its execs, baseline and risk.
local g = import '../lib/grafana.libsonnet';

{
  grafanaDashboards+:: {
    local c = $._config,
    local r = $._records,
    local sel = '%(rtsecSelector)s, namespace="$namespace", pod=~"$pod", container=~"$container"' % c,
    local rsel = 'namespace="$namespace", pod=~"$pod", container=~"$container"',
    'rtsec-workload.json': g.dashboard(c, 'workload', 'Workload', [
      [6, [
        g.stat('Risk score', [g.target('max(%s{%s})' % [r.riskScore, rsel], 'risk')]),
        g.stat('Exploitability', [g.target('max(%s{%s})' % [r.riskExploitability, rsel], 'exploitability')]),
        g.stat('Impact', [g.target('max(%s{%s})' % [r.riskImpact, rsel], 'impact')]),
        g.stat('Threat intelligence', [g.target('max(%s{%s})' % [r.riskThreatIntel, rsel], 'threat intel')]),
      ]],
      [8, [
        g.table('Firing alerts', [g.target('sum by (alertname, severity, category, pod, container, binary) (ALERTS{alertname=~"Rtsec.*", alertstate="firing", %s})' % rsel, '', true)]),
      ]],
      [9, [
        g.timeseries('Exec rate by binary', [g.target('sum by (binary) (rate(rtsec_process_execs_total{%s}[$__rate_interval]))' % sel, '{{binary}}')], 'ops', '', true),
        g.timeseries('Execs by binary in the last %s' % c.eventWindow, [g.target('sum by (binary) (%s{%s})' % [r.execIncrease, rsel], '{{binary}}')], 'short'),
      ]],
      [9, [
        g.timeseries('Workload exec rate and baseline', [
          g.target('%s{namespace="$namespace"}' % r.workloadExecRate, '{{workload}}/{{container}} rate'),
          g.target('%s{namespace="$namespace"}' % r.workloadExecRateAvg, '{{workload}}/{{container}} mean'),
        ], 'ops'),
        g.timeseries('Exec rate z-score',
                     [g.target('%s{namespace="$namespace"}' % r.workloadExecRateZScore, '{{workload}}/{{container}}')],
                     'short',
                     'Alerts above %s (RtsecExecRateAnomaly).' % c.execRateZScoreThreshold),
      ]],
      [8, [
        g.table('Binaries executed (live counters)', [g.target('sum by (pod, container, container_id, binary) (rtsec_process_execs_total{%s})' % sel, '', true)]),
        g.table('Containers', [g.target('rtsec_container_info{%s}' % sel, '', true)]),
      ]],
    ], [
      g.queryVariable('namespace', 'Namespace', 'label_values(rtsec_process_execs_total{%(rtsecSelector)s}, namespace)' % c),
      g.queryVariable('pod', 'Pod', 'label_values(rtsec_process_execs_total{%(rtsecSelector)s, namespace="$namespace"}, pod)' % c, true),
      g.queryVariable('container', 'Container', 'label_values(rtsec_process_execs_total{%(rtsecSelector)s, namespace="$namespace", pod=~"$pod"}, container)' % c, true),
    ]),
  },
}
