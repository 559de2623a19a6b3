// Files: modifications by class and op per workload, sensitive reads, and
// the file integrity status of each node.
local g = import '../lib/grafana.libsonnet';

{
  grafanaDashboards+:: {
    local c = $._config,
    local r = $._records,
    local cluster = g.clusterMatcher(c),
    // Node series (integrity, unresolved paths) of the selected cluster.
    local node = '%s, %s' % [c.rtsecSelector, cluster],
    // Container series of the selected namespaces and pods: recorded (f) and raw (sel).
    local f = '%s, namespace=~"$namespace", pod=~"$pod"' % cluster,
    local sel = '%s, %s' % [c.rtsecSelector, f],
    'rtsec-files.json': g.dashboard(c, 'files', 'Files', [
      [5, [
        g.stat('Files changed vs integrity baseline', [g.target('sum(rtsec_file_integrity_changed{%s})' % node, 'changed')]),
        g.stat('Modifications in the last %s' % c.eventWindow, [g.target('sum(%s{%s})' % [r.fileModIncrease, f], 'modifications')]),
        g.stat('Sensitive reads in the last %s' % c.eventWindow, [g.target('sum(%s{file_class!="k8s_own_token", %s})' % [r.fileReadIncrease, f], 'reads')]),
        g.stat('Unresolved paths',
               [g.target('sum(increase(rtsec_file_unresolved_paths_total{%s}[1h]))' % node, 'last 1h')],
               'short',
               'Paths deeper or longer than the kernel resolves: they went unclassified.'),
      ]],
      [9, [
        g.table('Modifications by workload, class and op (last %s)' % c.eventWindow,
                [g.target('sum by (instance, namespace, pod, container, container_id, path_class, op) (%s{%s})' % [r.fileModIncrease, f], '', true)]),
        g.table('Sensitive reads by workload and class (last %s)' % c.eventWindow,
                [g.target('sum by (instance, namespace, pod, container, container_id, file_class) (%s{%s})' % [r.fileReadIncrease, f], '', true)]),
      ]],
      [9, [
        g.timeseries('Modification rate by class and op',
                     [g.target('sum by (path_class, op) (rate(rtsec_file_modifications_total{%s}[$__rate_interval]))' % sel, '{{path_class}} {{op}}', exemplar=true)],
                     'ops',
                     'Exemplars carry the event_id of the event log line of the last logged modification (critical classes).',
                     true),
        g.timeseries('Sensitive read rate by class',
                     [g.target('sum by (file_class) (rate(rtsec_file_sensitive_reads_total{%s}[$__rate_interval]))' % sel, '{{file_class}}', exemplar=true)],
                     'ops',
                     'Exemplars carry the event_id of the event log line of the last read.',
                     true),
      ]],
      [8, [
        g.table('File integrity status',
                [g.target('max by (instance, path) (rtsec_file_integrity_changed{%s})' % node, '', true)],
                '1: differs from the baseline until accepted with rtsec_exporter --collector.integrity.rebaseline.'),
        g.table('Integrity checks and baseline rebuilds', [
          g.target('time() - max by (instance) (rtsec_file_integrity_last_check_timestamp_seconds{%s})' % node, '', true),
          g.target('sum by (instance, reason) (rtsec_file_integrity_baseline_rebuilds_total{%s})' % node, '', true),
        ]),
      ]],
    ], [
      g.namespaceVariable(c, 'rtsec_container_info'),
      g.podVariable(c, 'rtsec_container_info'),
    ]),
  },
}
