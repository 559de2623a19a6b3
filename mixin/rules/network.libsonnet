// Recording rules of the network signals (rtsec_network_*): per-container
// increases that count new series, and per-workload baselines.
local startup = import '../lib/startup.libsonnet';
local u = import '../lib/utils.libsonnet';

{
  prometheusRules+:: {
    local c = $._config,
    local r = $._records,
    // Events in eventWindow by labels: a counter series is created by its first event, which increase() cannot see.
    local increase(metric, by) = u.eventIncrease('%s{%s}' % [metric, c.rtsecSelector], std.join(', ', [c.containerLabels] + by), c.eventWindow),
    local outbound = 'rtsec_network_connections_total{%s, container_id!="", direction="out", scope!="loopback", port_class!="dns"}' % c.rtsecSelector,
    local listens = 'rtsec_network_listens_total{%s, container_id!=""}' % c.rtsecSelector,
    local allOut = 'rtsec_network_connections_total{%s, container_id!="", direction="out"}' % c.rtsecSelector,
    groups+: [
      {
        name: 'rtsec-network.rules',
        rules: [
          { record: r.connIncrease, expr: increase('rtsec_network_connections_total', ['direction', 'scope', 'port_class', 'result']) },
          { record: r.listenIncrease, expr: increase('rtsec_network_listens_total', ['port_class', 'scope']) },
          { record: r.rawIncrease, expr: increase('rtsec_network_raw_sockets_total', ['type']) },
          { record: r.runtimeIncrease, expr: increase('rtsec_network_runtime_socket_connections_total', ['socket']) },
          {
            record: r.workloadConnRate,
            expr: |||
              sum by (%(workloadLabels)s) (
                %(withWorkload)s
              )
            ||| % (c { withWorkload: u.block(u.withWorkload(c, 'rate(%s[%s])' % [allOut, c.rateWindow]), 2) }),
          },
        ] + startup.records(c, 'rtsec_network_connections_total', 'direction, scope, port_class', r.connStartup),
      },
      {
        name: 'rtsec-network-baseline.rules',
        rules: [
          {
            // Counters live as long as their container: presence means "this workload has connected out".
            record: r.workloadOutboundPresent,
            expr: |||
              group by (%(workloadLabels)s) (
                %(withWorkload)s
              )
            ||| % (c { withWorkload: u.block(u.withWorkload(c, outbound), 2) }),
          },
          {
            record: r.workloadListenPresent,
            expr: |||
              group by (%(workloadLabels)s) (
                %(withWorkload)s
              )
            ||| % (c { withWorkload: u.block(u.withWorkload(c, listens), 2) }),
          },
          {
            record: r.workloadConnRateAvg,
            expr: 'avg_over_time(%s[%s])\n' % [r.workloadConnRate, c.connRateBaselineWindow],
          },
          {
            record: r.workloadConnRateStddev,
            expr: 'stddev_over_time(%s[%s])\n' % [r.workloadConnRate, c.connRateBaselineWindow],
          },
          {
            record: r.workloadConnRateZScore,
            expr: |||
              (%(rate)s - %(avg)s)
              /
              clamp_min(%(stddev)s, %(connRateMinStddev)g)
            ||| % (c { rate: r.workloadConnRate, avg: r.workloadConnRateAvg, stddev: r.workloadConnRateStddev }),
          },
        ],
      },
    ],
  },
}
