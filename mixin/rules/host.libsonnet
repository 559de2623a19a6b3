// Recording rules of the host (container_id="", the container label is the host actor class, docs/host.md):
// its execs per actor, and its events per actor and signal for the node dashboard.
local u = import '../lib/utils.libsonnet';

{
  prometheusRules+:: {
    local c = $._config,
    local r = $._records,
    local host(metric) = '%s{%s}' % [metric, u.matchers([c.rtsecSelector, 'container_id=""'])],
    // The host's counters, each under its signal's name.
    local signals = {
      exec: 'rtsec_process_execs_total',
      suspicious_exec: 'rtsec_process_suspicious_execs_total',
      process_class: 'rtsec_process_class_execs_total',
      privilege_change: 'rtsec_privilege_changes_total',
      sensitive_syscall: 'rtsec_sensitive_syscalls_total',
      file_modification: 'rtsec_file_modifications_total',
      sensitive_read: 'rtsec_file_sensitive_reads_total',
    },
    groups+: [
      {
        name: 'rtsec-host.rules',
        rules: [
          { record: r.hostExecIncrease, expr: u.eventIncrease(host(signals.exec), c.containerLabels, c.eventWindow) },
          {
            record: r.hostEventIncrease,
            expr: std.join('or\n', [
              'label_replace(\n%s, "signal", "%s", "", ""\n)\n' % [u.indent(u.eventIncrease(host(signals[s]), c.containerLabels, c.eventWindow), 2), s]
              for s in std.objectFields(signals)
            ]),
          },
        ],
      },
    ],
  },
}
