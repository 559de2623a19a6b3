// Network drill-down: connections by scope and port class per workload, new
// listeners, destination and DNS-name novelty, raw and runtime sockets.
local g = import '../lib/grafana.libsonnet';

{
  grafanaDashboards+:: {
    local c = $._config,
    local r = $._records,
    local cluster = g.clusterMatcher(c),
    // The selected namespaces and pods: recorded series and alerts (rsel), raw series (sel), workload series (wsel).
    local rsel = '%s, namespace=~"$namespace", pod=~"$pod"' % cluster,
    local sel = '%s, %s' % [c.rtsecSelector, rsel],
    local wsel = '%s, namespace=~"$namespace"' % cluster,
    'rtsec-network.json': g.dashboard(c, 'network', 'Network', [
      [8, [
        g.table('Firing network alerts', [g.target('sum by (alertname, severity, namespace, pod, container) (ALERTS{alertname=~"%s", alertstate="firing", %s})' % [std.join('|', [a.alert for grp in $.prometheusAlerts.groups if grp.name == 'rtsec-network' for a in grp.rules]), rsel], '', true)]),
      ]],
      [9, [
        g.timeseries('Outbound connections by scope', [g.target('sum by (pod, container, scope) (rate(rtsec_network_connections_total{%s, direction="out"}[$__rate_interval]))' % sel, '{{pod}}/{{container}} {{scope}}')], 'ops', '', true),
        g.timeseries('Outbound connections by port class', [g.target('sum by (pod, container, port_class) (rate(rtsec_network_connections_total{%s, direction="out"}[$__rate_interval]))' % sel, '{{pod}}/{{container}} {{port_class}}')], 'ops', '', true),
      ]],
      [9, [
        g.timeseries('Inbound connections by port class', [g.target('sum by (pod, container, port_class) (rate(rtsec_network_connections_total{%s, direction="in"}[$__rate_interval]))' % sel, '{{pod}}/{{container}} {{port_class}}')], 'ops'),
        g.timeseries('Refused and failed connections', [g.target('sum by (pod, container, result) (rate(rtsec_network_connections_total{%s, result!="ok"}[$__rate_interval]))' % sel, '{{pod}}/{{container}} {{result}}')], 'ops'),
      ]],
      [9, [
        g.timeseries('Distinct destinations by scope (novelty window)',
                     [g.target('sum by (pod, container, scope) (rtsec_network_distinct_destinations{%s})' % sel, '{{pod}}/{{container}} {{scope}}')],
                     'short',
                     'RtsecLateralMovementScan fires above %d in %s.' % [c.scanDistinctDestinations, std.join(', ', c.lateralScopes)]),
        g.timeseries('Distinct DNS names (novelty window)',
                     [g.target('sum by (pod, container) (rtsec_network_dns_distinct_names{%s})' % sel, '{{pod}}/{{container}}')],
                     'short',
                     'RtsecDNSNameBurst fires above %d.' % c.dnsDistinctNamesThreshold),
      ]],
      [8, [
        g.table('New listeners (last %s)' % c.eventWindow, [g.target('%s{%s}' % [r.listenIncrease, rsel], '', true)]),
        g.timeseries('Listening sockets', [g.target('sum by (pod, container) (rtsec_network_listening_sockets{%s})' % sel, '{{pod}}/{{container}}')], 'short'),
      ]],
      [8, [
        g.table('Raw and packet sockets (last %s)' % c.eventWindow, [g.target('%s{%s}' % [r.rawIncrease, rsel], '', true)]),
        g.table('Runtime socket connections (last %s)' % c.eventWindow, [g.target('%s{%s}' % [r.runtimeIncrease, rsel], '', true)]),
      ]],
      [9, [
        g.timeseries('Workload outbound connection rate and baseline', [
          g.target('%s{%s}' % [r.workloadConnRate, wsel], '{{workload}}/{{container}} rate'),
          g.target('%s{%s}' % [r.workloadConnRateAvg, wsel], '{{workload}}/{{container}} mean'),
        ], 'ops'),
        g.timeseries('Outbound connection rate z-score',
                     [g.target('%s{%s}' % [r.workloadConnRateZScore, wsel], '{{workload}}/{{container}}')],
                     'short',
                     'RtsecConnectionRateAnomaly fires above %s.' % c.connRateZScoreThreshold),
      ]],
    ], [
      g.namespaceVariable(c, 'rtsec_network_connections_total'),
      g.podVariable(c, 'rtsec_network_connections_total'),
    ]),
  },
}
