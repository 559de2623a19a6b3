// Recording rules of the process signals classified in the kernel
// (suspicious execs, classes, privilege changes, sensitive syscalls, 32-bit
// syscalls): the
// events of each container in eventWindow, and the critical events of the
// threat model's HighRiskProcess.
local startup = import '../lib/startup.libsonnet';
local u = import '../lib/utils.libsonnet';

{
  prometheusRules+:: {
    local c = $._config,
    local r = $._records,
    local sel(metric, matchers='') = '%s{%s}' % [metric, u.matchers([c.rtsecSelector, matchers])],
    local increase(metric, label) = {
      record: r[metric[0]],
      expr: u.eventIncrease(sel(metric[1]), '%s, %s' % [c.containerLabels, label], c.eventWindow),
    },
    // Events that count towards HighRiskProcess, each a selector, the label that names its kind and the signal.
    local critical = [
      sel('rtsec_process_suspicious_execs_total', 'reason!="tty_shell"'),
      sel('rtsec_privilege_changes_total', 'kind!="setuid_exec"'),
      sel('rtsec_sensitive_syscalls_total', 'syscall=~"%s"' % u.anyOf(c.criticalSyscalls)),
      sel('rtsec_process_class_execs_total', 'class="miner"'),
    ],
    local kinds = [['reason', 'suspicious_exec'], ['kind', 'privilege_change'], ['syscall', 'sensitive_syscall'], ['class', 'process_class']],
    groups+: [
      {
        name: 'rtsec-process-signals.rules',
        rules: [
                 increase(['suspiciousIncrease', 'rtsec_process_suspicious_execs_total'], 'reason'),
                 increase(['classIncrease', 'rtsec_process_class_execs_total'], 'class'),
                 increase(['privilegeIncrease', 'rtsec_privilege_changes_total'], 'kind'),
                 increase(['syscallIncrease', 'rtsec_sensitive_syscalls_total'], 'syscall, result'),
                 increase(['compatIncrease', 'rtsec_compat_syscalls_total'], 'class'),
               ]
               // Before the startup records: RtsecHighRiskProcess spares a young container's package manager by
               // the class's during_startup record, and a later rule of a group reads at least what an earlier
               // one read. Placed after, the critical events could hold a scrape the exception missed until the
               // next evaluation, and the alert fire in between; now only an alert query landing in the
               // milliseconds between the two rules can see them apart (TestUnlessExceptionsAreConsistent).
               + [
                 {
                   // Each kind gets its own `signal` label so that `or` keeps them all before the sum.
                   record: r.criticalEvents,
                   expr: 'sum by (%s) (\n%s)\n' % [
                     c.containerLabels,
                     std.join('  or\n', [
                       '  label_replace(\n%s,\n    "signal", "%d", "", ""\n  )\n' % [u.indent(u.eventIncrease(critical[i], c.containerLabels, c.highRiskWindow), 4), i]
                       for i in std.range(0, std.length(critical) - 1)
                     ]),
                   ],
                 },
                 {
                   record: r.criticalEventKinds,
                   expr: 'sum by (%s, signal, event) (\n%s)\n' % [
                     c.containerLabels,
                     std.join('  or\n', [
                       '  label_replace(label_replace(\n%s,\n    "event", "$1", "%s", "(.*)"), "signal", "%s", "", ""\n  )\n' % [
                         u.indent(u.eventIncrease(critical[i], '%s, %s' % [c.containerLabels, kinds[i][0]], c.highRiskWindow), 4),
                         kinds[i][0],
                         kinds[i][1],
                       ]
                       for i in std.range(0, std.length(critical) - 1)
                     ]),
                   ],
                 },
               ] + startup.records(c, 'rtsec_process_suspicious_execs_total', 'reason', r.suspiciousStartup)
               + startup.records(c, 'rtsec_process_class_execs_total', 'class', r.classStartup)
               + startup.records(c, 'rtsec_sensitive_syscalls_total', 'syscall, result', r.syscallStartup),
      },
    ],
  },
}
