// Exporter health: is rtsec seeing everything, and what does it cost.
local g = import '../lib/grafana.libsonnet';

{
  grafanaDashboards+:: {
    local c = $._config,
    local r = $._records,
    local cluster = g.clusterMatcher(c),
    local sel = '%s, %s, instance=~"$instance"' % [c.rtsecSelector, cluster],
    'rtsec-exporter.json': g.dashboard(c, 'exporter', 'Exporter health', [
      [5, [
        g.stat('Exporters up', [g.target('sum(up{%s})' % sel, 'up')]),
        g.stat('Failing collectors', [g.target('count(rtsec_scrape_collector_success{%s} == 0) or vector(0)' % sel, 'failing')]),
        g.stat('Detection capability (min)', [g.target('min(%s{%s, instance=~"$instance"})' % [r.riskDetection, cluster], 'capability')], 'percentunit'),
        g.stat('Versions', [g.target('count by (version) (rtsec_build_info{%s})' % sel, '{{version}}')]),
      ]],
      [8, [
        g.timeseries('BPF run time per program',
                     [g.target('sum by (instance, program) (rate(rtsec_bpf_program_run_seconds_total{%s}[$__rate_interval]))' % sel, '{{instance}} {{program}}')],
                     's',
                     'CPU seconds per second spent in each BPF program.'),
        g.timeseries('BPF runs per program', [g.target('sum by (instance, program) (rate(rtsec_bpf_program_runs_total{%s}[$__rate_interval]))' % sel, '{{instance}} {{program}}')], 'ops'),
        g.timeseries('Average BPF run time', [g.target('sum by (instance, program) (rate(rtsec_bpf_program_run_seconds_total{%s}[$__rate_interval])) / sum by (instance, program) (rate(rtsec_bpf_program_runs_total{%s}[$__rate_interval]) > 0)' % [sel, sel], '{{instance}} {{program}}')], 's'),
      ]],
      [8, [
        g.timeseries('BPF map fill ratio',
                     [g.target('rtsec_bpf_map_entries{%s} / max without (lru) (rtsec_bpf_map_capacity{%s} > 0)' % [sel, sel], '{{instance}} {{map}}')],
                     'percentunit',
                     'RtsecBPFMapNearCapacity fires above %s.' % c.bpfMapFillThreshold),
        g.timeseries('BPF map insert failures', [g.target('sum by (instance, map) (rate(rtsec_bpf_map_insert_failures_total{%s}[$__rate_interval]))' % sel, '{{instance}} {{map}}')], 'ops'),
        g.timeseries('Label overflows', [g.target('sum by (instance, metric) (rate(rtsec_label_overflows_total{%s}[$__rate_interval]))' % sel, '{{instance}} {{metric}}')], 'ops'),
      ]],
      [8, [
        g.timeseries('Collector success', [g.target('rtsec_scrape_collector_success{%s}' % sel, '{{instance}} {{collector}}')], 'short'),
        g.timeseries('Collector duration', [g.target('rtsec_scrape_collector_duration_seconds{%s}' % sel, '{{instance}} {{collector}}')], 's'),
        g.timeseries('Containers observed', [g.target('count by (instance) (rtsec_container_info{%s, namespace=~"$namespace"})' % sel, '{{instance}}')], 'short', 'Containers of the selected namespaces on each node.'),
      ]],
    ], [
      g.queryVariable('instance', 'Instance', 'label_values(up{%s, %s}, instance)' % [c.rtsecSelector, cluster], true),
      g.namespaceVariable(c, 'rtsec_container_info'),
    ]),
  },
}
