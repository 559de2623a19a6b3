// Alerts of the network signals (rtsec_network_*): Falco's network rules and
// rtsec's baselines, from the counts and gauges of network.bpf.c.
local a = import '../lib/alert.libsonnet';
local startup = import '../lib/startup.libsonnet';
local u = import '../lib/utils.libsonnet';

{
  prometheusAlerts+:: {
    local c = $._config,
    local r = $._records,
    local where = 'in container {{ $labels.namespace }}/{{ $labels.pod }}/{{ $labels.container }} (container_id {{ $labels.container_id }}) on {{ $labels.instance }}',
    local whereAny = '{{ if $labels.container_id }}%s{{ else }}on host {{ $labels.instance }}{{ end }}' % where,
    local times = '{{ $value | printf "%.0f" }} time(s) in the last ' + c.eventWindow,
    // Events of a recorded increase in containers, by containerLabels plus `by`, outside the allowed namespaces.
    local inContainers(record, matchers, allowed, by=[]) =
      'sum by (%s) (%s{%s})\n' % [
        std.join(', ', [c.containerLabels] + by),
        record,
        u.matchers(['container_id!=""', matchers, u.notIn('namespace', allowed)]),
      ],
    // Connections a young container made inside its workload's startup profile are quiet (lib/startup.libsonnet).
    local profiled(expr, matchers) = startup.guard(c, expr, '', r.connStartup, '', matchers),
    // A workload-level "first time" alert: current events of a workload with history but none of this kind.
    local firstTime(current, present) = |||
      (
        group by (%(containerLabels)s, workload) (
          %(current)s
        )
        unless on (%(workloadLabels)s)
        present_over_time(%(present)s[%(networkHistoryWindow)s] offset %(networkRecency)s)
      )
      and on (%(workloadLabels)s)
      present_over_time(%(workloadPresent)s[%(networkHistoryWindow)s] offset %(networkLearningPeriod)s)
    ||| % (c { current: u.block(u.withWorkload(c, current), 4), present: present, workloadPresent: r.workloadPresent }),
    // Mining-port connections in internal scopes, outside the pool proxy allowlist (namespace → scopes).
    local proxyNs = std.objectFields(c.miningProxyAllowlist),
    local miningSel(extra) = '%s{%s}' % [r.connIncrease, u.matchers(['direction="out", port_class="mining"', 'scope=~"%s"' % u.anyOf(c.miningInternalScopes), extra])],
    local miningInternal = [miningSel(u.notIn('namespace', proxyNs))] + [
      miningSel(u.matchers(['namespace="%s"' % ns, u.notIn('scope', c.miningProxyAllowlist[ns])]))
      for ns in proxyNs
    ],
    local lateral = 'scope=~"%s"' % u.anyOf(c.lateralScopes),
    groups+: [
      {
        name: 'rtsec-network',
        rules: [
          a.new(c,
                'RtsecCloudMetadataAccess',
                profiled(inContainers(r.connIncrease, 'direction="out", scope="metadata"', c.metadataAllowedNamespaces), 'direction="out", scope="metadata"'),
                'A container contacted the cloud metadata service.',
                'The cloud metadata service (169.254.169.254 / fd00:ec2::254) was contacted %s %s.' % [times, where]),
          a.new(c,
                'RtsecKubernetesAPIFromContainer',
                profiled(inContainers(r.connIncrease, 'direction="out", port_class="k8s_api"', c.k8sAPIAllowedNamespaces), 'direction="out", port_class="k8s_api"'),
                'A container not allowed to contacted the Kubernetes API server.',
                'The Kubernetes API server was contacted %s %s, whose namespace is not in the API allowlist.' % [times, where]),
          a.new(c,
                'RtsecPacketSocketInContainer',
                inContainers(r.rawIncrease, 'type="packet"', c.packetSocketAllowedNamespaces),
                'A container asked for a packet socket.',
                'A packet socket (AF_PACKET: sniffing, spoofing, ARP poisoning) was requested %s %s.' % [times, where]),
          a.new(c,
                'RtsecMiningPoolConnection',
                'sum by (%s) (%s{direction="out", port_class="mining", scope=~"%s"})\n' % [c.containerLabels, r.connIncrease, u.anyOf(c.miningScopes)],
                'A connection to a mining-pool port was made.',
                'Connections to a mining-pool port were made %s %s.' % [times, whereAny]),
          a.new(c,
                'RtsecMiningPortInternalConnection',
                'sum by (%s, scope) (\n%s\n)\n' % [c.containerLabels, u.indent(std.join('\nor\n', miningInternal), 2)],
                'A connection to a mining-pool port inside the cluster or on the node was made.',
                'Connections to a mining-pool port in scope {{ $labels.scope }} (a stratum proxy relaying a miner?) were made %s %s.' % [times, whereAny]),
          a.new(c,
                'RtsecNewOutboundInWorkload',
                firstTime('%s{container_id!="", direction="out", scope!="loopback", port_class!="dns"}' % r.connIncrease, r.workloadOutboundPresent),
                'A workload that never connected out made an outbound connection.',
                'Workload {{ $labels.namespace }}/{{ $labels.workload }}/{{ $labels.container }} made its first outbound connection (other than loopback and DNS) in %s, from pod {{ $labels.pod }} (container_id {{ $labels.container_id }}) on {{ $labels.instance }}.' % c.networkHistoryWindow),
          a.new(c,
                'RtsecRuntimeSocketInContainer',
                inContainers(r.runtimeIncrease, '', c.runtimeSocketAllowedNamespaces, ['socket']),
                'A container connected to a container runtime socket.',
                'The {{ $labels.socket }} runtime socket was connected to %s %s: whoever holds it controls the node.' % [times, where]),
          a.new(c,
                'RtsecNewListenerInWorkload',
                firstTime('%s{container_id!=""}' % r.listenIncrease, r.workloadListenPresent),
                'A workload that never listened opened a listening socket.',
                'Workload {{ $labels.namespace }}/{{ $labels.workload }}/{{ $labels.container }} opened its first listening socket in %s, in pod {{ $labels.pod }} (container_id {{ $labels.container_id }}) on {{ $labels.instance }}.' % c.networkHistoryWindow),
          a.new(c,
                'RtsecLateralMovementScan',
                'sum by (%s) (%s) > %d\n' % [c.containerLabels, u.lastValue(c, 'rtsec_network_distinct_destinations{%s, container_id!="", %s}' % [c.rtsecSelector, lateral]), c.scanDistinctDestinations],
                'A container contacted many distinct internal destinations.',
                'Container {{ $labels.namespace }}/{{ $labels.pod }}/{{ $labels.container }} (container_id {{ $labels.container_id }}) on {{ $labels.instance }} contacted {{ $value | printf "%.0f" }} distinct internal (address, port) destinations within the exporter\'s novelty window: a scan or lateral movement.'),
          a.new(c,
                'RtsecRemoteShellNonStandardPort',
                |||
                  group by (%(containerLabels)s, binary) (%(exec)s{container_id!="", binary=~"%(shells)s"})
                  and on (%(containerLabels)s)
                  group by (%(containerLabels)s) (%(conn)s{container_id!="", scope!="loopback", port_class!~"%(usual)s"})
                ||| % (c { exec: r.execIncrease, conn: r.connIncrease, shells: u.anyOf(c.remoteShellBinaries), usual: u.anyOf(c.remoteShellUsualPortClasses) }),
                'A remote-shell binary ran in a container that used an unusual port.',
                '{{ $labels.binary }} ran %s and the container made or accepted non-loopback connections on ports outside %s within %s.' % [where, std.join('/', c.remoteShellUsualPortClasses), c.eventWindow]),
          a.new(c,
                'RtsecConnectionRateAnomaly',
                |||
                  %(zscore)s > %(connRateZScoreThreshold)g
                  and on (%(workloadLabels)s)
                  %(rate)s > %(connRateMinRate)g
                  and on (%(workloadLabels)s)
                  (%(avg)s offset %(connRateLearningPeriod)s)
                ||| % (c { zscore: r.workloadConnRateZScore, rate: r.workloadConnRate, avg: r.workloadConnRateAvg }),
                'A workload connects out far above its learned rate.',
                'Workload {{ $labels.namespace }}/{{ $labels.workload }}/{{ $labels.container }} makes outbound connections more than %g standard deviations above its mean rate over %s, and faster than %g/s.' % [c.connRateZScoreThreshold, c.connRateBaselineWindow, c.connRateMinRate]),
          a.new(c,
                'RtsecDNSNameBurst',
                'sum by (%s) (%s) > %d\n' % [c.containerLabels, u.lastValue(c, 'rtsec_network_dns_distinct_names{%s, container_id!=""}' % c.rtsecSelector), c.dnsDistinctNamesThreshold],
                'A container queried many distinct DNS names.',
                'Container {{ $labels.namespace }}/{{ $labels.pod }}/{{ $labels.container }} (container_id {{ $labels.container_id }}) on {{ $labels.instance }} queried {{ $value | printf "%.0f" }} distinct DNS names within the exporter\'s novelty window: DNS tunnelling or a domain generation algorithm.'),
        ],
      },
    ],
  },
}
