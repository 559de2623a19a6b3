// Alerts on the exporter's own health: when these fire, rtsec is partly or
// wholly blind, which is also what an attacker disabling it looks like.
local a = import '../lib/alert.libsonnet';
local u = import '../lib/utils.libsonnet';

{
  prometheusAlerts+:: {
    local c = $._config,
    // Entries over capacity of the maps with lru="<lru>", each read through a failed scrape.
    local fill(lru) = |||
      %s
      / ignoring (lru)
      (%s > 0)
    ||| % [u.lastValue(c, 'rtsec_bpf_map_entries{%s}' % c.rtsecSelector), u.lastValue(c, 'rtsec_bpf_map_capacity{%s, lru="%s"}' % [c.rtsecSelector, lru])],
    groups+: [
      {
        name: 'rtsec-exporter',
        rules: [
          a.new(c,
                'RtsecExporterDown',
                'up{%(rtsecSelector)s} == 0\n' % c,
                'An rtsec exporter cannot be scraped.',
                'rtsec exporter {{ $labels.instance }} has been down for more than %s: execs on that node are not observed.' % c.alerts.RtsecExporterDown['for']),
          a.new(c,
                'RtsecExporterAbsent',
                'absent(up{%(rtsecSelector)s})\n' % c,
                'No rtsec exporter is being scraped.',
                'Prometheus has no target with {{ $labels.job }} (selector %s): rtsec observes nothing.' % std.strReplace(c.rtsecSelector, '"', "'")),
          a.new(c,
                'RtsecCollectorFailing',
                'rtsec_scrape_collector_success{%(rtsecSelector)s} == 0\n' % c,
                'An rtsec collector fails.',
                'Collector {{ $labels.collector }} of rtsec exporter {{ $labels.instance }} has been failing for more than %s: its metrics are missing or stale.' % c.alerts.RtsecCollectorFailing['for']),
          a.new(c,
                'RtsecBPFProgramsNotRunning',
                |||
                  sum by (%(instanceLabels)s) (increase(rtsec_bpf_program_runs_total{%(rtsecSelector)s}[%(bpfNoRunsWindow)s])) == 0
                  or
                  (
                    sum by (%(instanceLabels)s) (up{%(rtsecSelector)s} == 1)
                    unless on (%(instanceLabels)s)
                    group by (%(instanceLabels)s) (rtsec_bpf_program_runs_total{%(rtsecSelector)s})
                  )
                ||| % c,
                'rtsec BPF programs are not running.',
                'No BPF program of rtsec exporter {{ $labels.instance }} ran in the last %s, or none is loaded: the node is not observed.' % c.bpfNoRunsWindow),
          a.new(c,
                'RtsecBPFMapNearCapacity',
                'max by (%s, map) (\n  %s\n) > %g\n' % [c.instanceLabels, u.block(fill('false'), 2), c.bpfMapFillThreshold],
                'An rtsec BPF map is nearly full.',
                'BPF map {{ $labels.map }} of rtsec exporter {{ $labels.instance }} is {{ $value | humanizePercentage }} full: new keys will soon not be counted.'),
          // An LRU map that fills evicts its oldest entries: a cap by design,
          // worth knowing (state of long-idle threads or cgroups is lost), not a loss of counts.
          a.new(c,
                'RtsecBPFLRUMapFull',
                'max by (instance, map) (\n  %s\n) > %g\n' % [u.block(fill('true'), 2), c.bpfMapFillThreshold],
                'An rtsec LRU BPF map is full and evicting.',
                'LRU BPF map {{ $labels.map }} of rtsec exporter {{ $labels.instance }} is {{ $value | humanizePercentage }} full: its least recently used entries are being evicted.'),
          a.new(c,
                'RtsecBPFMapInsertFailures',
                |||
                  sum by (%(instanceLabels)s, map) (increase(rtsec_bpf_map_insert_failures_total{%(rtsecSelector)s}[%(mapInsertFailureWindow)s])) > 0
                ||| % c,
                'rtsec failed to count events because a BPF map was full.',
                'BPF map {{ $labels.map }} of rtsec exporter {{ $labels.instance }} rejected {{ $value | printf "%%.0f" }} insert(s) in the last %s: those events were not counted.' % c.mapInsertFailureWindow),
          a.new(c,
                'RtsecLabelOverflows',
                |||
                  sum by (%(instanceLabels)s, metric) (increase(rtsec_label_overflows_total{%(rtsecSelector)s}[%(labelOverflowWindow)s])) > 0
                ||| % c,
                'rtsec counted events under the overflow label value.',
                'rtsec exporter {{ $labels.instance }} counted {{ $value | printf "%%.0f" }} event(s) of {{ $labels.metric }} as "_other" in the last %s because a per-container label budget was spent.' % c.labelOverflowWindow),
          a.new(c,
                'RtsecEventsLost',
                |||
                  sum by (%(instanceLabels)s, cause) (increase(rtsec_events_lost_total{%(rtsecSelector)s}[%(eventLossWindow)s])) > 0
                ||| % c,
                'rtsec dropped event log lines.',
                'rtsec exporter {{ $labels.instance }} dropped {{ $value | printf "%%.0f" }} event log line(s) in the last %s ({{ $labels.cause }}): the counters still count those events, but their forensic lines are missing.' % c.eventLossWindow),
        ],
      },
    ],
  },
}
