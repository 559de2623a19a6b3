// Process & escape: the process signals classified in the kernel and the
// containers' posture, per container.
local g = import '../lib/grafana.libsonnet';
local u = import '../lib/utils.libsonnet';

{
  grafanaDashboards+:: {
    local c = $._config,
    local r = $._records,
    local who = '{{namespace}}/{{pod}}/{{container}} {{container_id}}',
    local cluster = g.clusterMatcher(c),
    // The selected namespaces and pods; raw series add rtsecSelector.
    local ns = '%s, namespace=~"$namespace", pod=~"$pod"' % cluster,
    local node = '%s, %s' % [c.rtsecSelector, cluster],
    local posture(metric, extra='') = 'max by (%s%s) (%s{%s, %s})' % [c.containerLabels, extra, metric, c.rtsecSelector, ns],
    'rtsec-process-signals.json': g.dashboard(c, 'processSignals', 'Process & escape', [
      [8, [
        g.timeseries('Suspicious execs by reason',
                     [g.target('sum by (reason) (%s{%s})' % [r.suspiciousIncrease, ns], '{{reason}}')],
                     'short',
                     'Executions classified suspicious in the kernel, per ' + c.eventWindow + '.',
                     true),
        g.timeseries('Binary classes executed',
                     [g.target('sum by (class) (%s{%s})' % [r.classIncrease, ns], '{{class}}')],
                     'short',
                     'Executions by class of --collector.process.classes-file, per ' + c.eventWindow + '.',
                     true),
      ]],
      [8, [
        g.timeseries('Privilege changes by kind', [g.target('sum by (kind) (%s{%s})' % [r.privilegeIncrease, ns], '{{kind}}')], 'short', '', true),
        g.timeseries('Sensitive syscalls by syscall and result, 32-bit syscalls by class', [
          g.target('sum by (syscall, result) (%s{%s})' % [r.syscallIncrease, ns], '{{syscall}} {{result}}'),
          g.target('sum by (class) (%s{%s})' % [r.compatIncrease, ns], '32-bit {{class}}'),
        ], 'short', '32-bit (ia32) syscalls skip the per-syscall tracepoints, so they are counted apart, by class, at their entry (docs/process.md).', true),
      ]],
      [8, [
        g.timeseries('Suspicious exec rate (exemplars: event log lines)',
                     [g.target('sum by (reason) (rate(rtsec_process_suspicious_execs_total{%s, %s}[$__rate_interval]))' % [c.rtsecSelector, ns], '{{reason}}', exemplar=true)],
                     'ops',
                     "Each exemplar (a point on the graph) carries the event_id of the last event counted in a series: the event log line with that event_id gives the process, its arguments and parent. Needs Prometheus' exemplar storage."),
        g.timeseries('Privilege change and sensitive syscall rate (exemplars: event log lines)', [
          g.target('sum by (kind) (rate(rtsec_privilege_changes_total{%s, %s}[$__rate_interval]))' % [c.rtsecSelector, ns], '{{kind}}', exemplar=true),
          g.target('sum by (syscall, result) (rate(rtsec_sensitive_syscalls_total{%s, %s}[$__rate_interval]))' % [c.rtsecSelector, ns], '{{syscall}} {{result}}', exemplar=true),
        ], 'ops', 'As the panel to the left, for privilege changes and sensitive syscalls.'),
      ]],
      [8, [
        g.timeseries('Enforcement actions by signal and reason',
                     [g.target(u.eventIncrease('rtsec_enforcement_actions_total{%s, %s}' % [c.rtsecSelector, ns], 'action, signal, reason', c.eventWindow), '{{action}} {{signal}} / {{reason}}')],
                     'short',
                     'Processes the --enforce.policy-file killed (killed), would have killed in dry run (would_kill), or spared (the host init, the exporter, kernel threads), per ' + c.eventWindow + ' (docs/enforcement.md). Empty without a policy.',
                     true),
        g.table('Enforcement actions per container in the last ' + c.eventWindow, [
          g.target(u.eventIncrease('rtsec_enforcement_actions_total{%s, %s}' % [c.rtsecSelector, ns], '%s, action, signal, reason' % c.containerLabels, c.eventWindow), '', true),
        ]),
      ]],
      [9, [
        g.table('Containers with process events in the last ' + c.eventWindow, [
          g.target('sum by (%s, reason) (%s{%s})' % [c.containerLabels, r.suspiciousIncrease, ns], '', true),
          g.target('sum by (%s, kind) (%s{%s})' % [c.containerLabels, r.privilegeIncrease, ns], '', true),
          g.target('sum by (%s, syscall, result) (%s{%s})' % [c.containerLabels, r.syscallIncrease, ns], '', true),
          g.target('sum by (%s, class) (%s{%s})' % [c.containerLabels, r.compatIncrease, ns], '', true),
        ]),
        g.timeseries('Critical events per container, top 10',
                     [g.target('topk(10, %s{%s})' % [r.criticalEvents, ns], who)],
                     'short',
                     'RtsecHighRiskProcess fires above %g.' % c.highRiskThreshold),
      ]],
      [10, [
        g.table('Container posture', [
          g.target(posture('rtsec_container_posture_info', ', privileged, run_as_root, seccomp, no_new_privs, readonly_rootfs'), '', true),
          g.target('count by (%s) (%s{%s, %s}) or 0 * %s' % [c.containerLabels, 'rtsec_container_capabilities', c.rtsecSelector, ns, posture('rtsec_container_posture_info')], '', true),
        ], 'One row per container: A its posture (privileged, root, seccomp, no_new_privs, read-only rootfs), B how many dangerous capabilities it holds.'),
        g.table('Risky posture', [
          g.target(posture('rtsec_container_capabilities', ', cap'), '', true),
          g.target(posture('rtsec_container_host_namespace', ', ns'), '', true),
          g.target(posture('rtsec_container_sensitive_mounts', ', mount'), '', true),
        ], 'Dangerous capabilities held, host namespaces shared and sensitive host paths mounted.'),
      ]],
      [8, [
        g.timeseries('Event log', [
          g.target('sum by (type) (rate(rtsec_events_total{%s}[%s]))' % [node, c.rateWindow], 'sent {{type}}'),
          g.target('sum by (cause) (rate(rtsec_events_lost_total{%s}[%s]))' % [node, c.rateWindow], 'lost {{cause}}'),
        ], 'ops'),
      ]],
    ], [
      g.namespaceVariable(c, 'rtsec_container_info'),
      g.podVariable(c, 'rtsec_container_info'),
    ]),
  },
}
