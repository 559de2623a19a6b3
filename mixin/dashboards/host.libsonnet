// Node: what happens on the host itself (container_id=""), by host actor class (the container label on the host,
// docs/host.md): the node's own daemons next to interactive sessions and actors outside every known unit.
local g = import '../lib/grafana.libsonnet';

{
  grafanaDashboards+:: {
    local c = $._config,
    local r = $._records,
    local host = '%s, instance=~"$instance", container_id=""' % g.clusterMatcher(c),
    local trusted = 'container=~"%s"' % std.join('|', c.hostTrustedActors),
    local untrusted = 'container!~"%s"' % std.join('|', c.hostTrustedActors),
    'rtsec-host.json': g.dashboard(c, 'host', 'Node', [
      [8, [
        g.timeseries('Host events by actor class',
                     [g.target('sum by (container) (%s{%s})' % [r.hostEventIncrease, host], '{{container}}')],
                     'short',
                     'Events of every signal on the host per %s, by host actor class (--host.actors).' % c.eventWindow,
                     true),
        g.timeseries('Host events outside the node daemons, by signal',
                     [g.target('sum by (container, signal) (%s{%s, %s})' % [r.hostEventIncrease, host, untrusted], '{{container}} {{signal}}')],
                     'short',
                     'Events of the actors not in hostTrustedActors (sessions, other): what the RtsecHost* alerts report.',
                     true),
      ]],
      [9, [
        g.table('Top host actors in the last ' + c.eventWindow,
                [g.target('topk(20, sum by (instance, container, signal) (%s{%s}))' % [r.hostEventIncrease, host], '', true)],
                'The busiest host actor classes and signals per node.'),
        g.timeseries('Node daemons: events by signal',
                     [g.target('sum by (container, signal) (%s{%s, %s})' % [r.hostEventIncrease, host, trusted], '{{container}} {{signal}}')],
                     'short',
                     'The trusted actors (hostTrustedActors): their events raise no host alert.'),
      ]],
    ], [
      g.queryVariable('instance', 'Instance', 'label_values(up{%s, %s}, instance)' % [c.rtsecSelector, g.clusterMatcher(c)], true),
    ]),
  },
}
