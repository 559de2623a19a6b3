// Workload drill-down: one namespace/pod/container, its execs, baseline and risk.
local g = import '../lib/grafana.libsonnet';

{
  grafanaDashboards+:: {
    local c = $._config,
    local r = $._records,
    local cluster = g.clusterMatcher(c),
    // The selected container(s): recorded series and alerts (rsel), raw series (sel), workload series (wsel).
    local rsel = '%s, namespace="$namespace", pod=~"$pod", container=~"$container"' % cluster,
    local sel = '%s, %s' % [c.rtsecSelector, rsel],
    local wsel = '%s, namespace="$namespace"' % cluster,
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
          g.target('%s{%s}' % [r.workloadExecRate, wsel], '{{workload}}/{{container}} rate'),
          g.target('%s{%s}' % [r.workloadExecRateAvg, wsel], '{{workload}}/{{container}} mean'),
        ], 'ops'),
        g.timeseries('Exec rate z-score',
                     [g.target('%s{%s}' % [r.workloadExecRateZScore, wsel], '{{workload}}/{{container}}')],
                     'short',
                     'Alerts above %s (RtsecExecRateAnomaly).' % c.execRateZScoreThreshold),
      ]],
      [8, [
        g.table('Binaries executed (live counters)', [g.target('sum by (pod, container, container_id, binary) (rtsec_process_execs_total{%s})' % sel, '', true)]),
        g.table('Containers', [g.target('rtsec_container_info{%s}' % sel, '', true)]),
      ]],
    ], [
      g.namespaceVariable(c, 'rtsec_process_execs_total', includeAll=false),
      g.podVariable(c, 'rtsec_process_execs_total'),
      g.queryVariable('container', 'Container', 'label_values(rtsec_process_execs_total{%s, %s, namespace="$namespace", pod=~"$pod"}, container)' % [c.rtsecSelector, cluster], true),
    ]),
  },
}
