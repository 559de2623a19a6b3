// Recording rules of the process signals classified in the kernel
// (suspicious execs, classes, privilege changes, sensitive syscalls): the
// events of each container in eventWindow, and the critical events of the
// threat model's HighRiskProcess.
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
    // Events that count towards HighRiskProcess, each a selector.
    local critical = [
      sel('rtsec_process_suspicious_execs_total', 'reason!="tty_shell"'),
      sel('rtsec_privilege_changes_total', 'kind!="setuid_exec"'),
      sel('rtsec_sensitive_syscalls_total', 'syscall=~"%s"' % u.anyOf(c.criticalSyscalls)),
      sel('rtsec_process_class_execs_total', 'class="miner"'),
    ],
    // Like the exec counts (process-exec.libsonnet): the count a container reached while young, and its events since.
    local startup(metric, label, during, after) =
      local inContainer = sel(metric, 'container_id!=""');
      if u.isZero(c.containerStartupGrace) then [] else [
        {
          record: during,
          expr: |||
            sum by (%(containerLabels)s, %(label)s) (%(inContainer)s)
            and on (instance, container_id)
            %(recent)s
          ||| % (c { label: label, inContainer: inContainer, recent: u.startedRecently(c) }),
        },
        {
          record: after,
          expr: |||
            sum by (%(containerLabels)s, %(label)s) (%(inContainer)s)
            -
            (
              last_over_time(%(during)s[%(range)s])
              or
              sum by (%(containerLabels)s, %(label)s) (%(inContainer)s) * 0
            )
          ||| % (c { label: label, inContainer: inContainer, during: during, range: u.addDurations(c.containerStartupGrace, c.eventWindow) }),
        },
      ],
    groups+: [
      {
        name: 'rtsec-process-signals.rules',
        rules: [
                 increase(['suspiciousIncrease', 'rtsec_process_suspicious_execs_total'], 'reason'),
                 increase(['classIncrease', 'rtsec_process_class_execs_total'], 'class'),
                 increase(['privilegeIncrease', 'rtsec_privilege_changes_total'], 'kind'),
                 increase(['syscallIncrease', 'rtsec_sensitive_syscalls_total'], 'syscall, result'),
               ] + startup('rtsec_process_suspicious_execs_total', 'reason', r.suspiciousDuringStartup, r.suspiciousAfterStartup)
               + startup('rtsec_process_class_execs_total', 'class', r.classDuringStartup, r.classAfterStartup)
               + startup('rtsec_sensitive_syscalls_total', 'syscall, result', r.syscallDuringStartup, r.syscallAfterStartup) + [
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
        ],
      },
    ],
  },
}
