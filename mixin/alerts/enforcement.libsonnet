// Alerts of the opt-in enforcement (--enforce.policy-file, docs/enforcement.md):
// every kill (info: the attack was stopped, look at what was tried), every
// would-kill of a dry-run rule (warning: the attack ran), and a policy file
// the exporter refused (the previous policy stays in force).
local a = import '../lib/alert.libsonnet';
local u = import '../lib/utils.libsonnet';

{
  prometheusAlerts+:: {
    local c = $._config,
    local where = '{{ if $labels.container_id }}in container {{ $labels.namespace }}/{{ $labels.pod }}/{{ $labels.container }} (container_id {{ $labels.container_id }}){{ else }}on the host{{ end }} on {{ $labels.instance }}',
    local actions(action) =
      u.eventIncrease('rtsec_enforcement_actions_total{%s}' % u.matchers([c.rtsecSelector, 'action="%s"' % action]),
                      '%s, signal, reason' % c.containerLabels,
                      c.eventWindow),
    groups+: [
      {
        name: 'rtsec-enforcement',
        rules: [
          a.new(c,
                'RtsecEnforcementKilled',
                actions('killed'),
                'The enforcement policy killed a process.',
                'The enforcement policy killed {{ $value | printf "%%.0f" }} process(es) at %s / {{ $labels.reason }} in the last %s %s: the process was killed at the step that revealed the attack (an exec, a write-open, a syscall); the event log names the rule and the command.' % ['{{ $labels.signal }}', c.eventWindow, where]),
          a.new(c,
                'RtsecEnforcementWouldKill',
                actions('would_kill'),
                'A dry-run enforcement rule would have killed a process.',
                'A dry-run rule of the enforcement policy would have killed {{ $value | printf "%%.0f" }} process(es) at %s / {{ $labels.reason }} in the last %s %s: the process ran.' % ['{{ $labels.signal }}', c.eventWindow, where]),
          a.new(c,
                'RtsecEnforcementPolicyLoadFailed',
                '%s == 0\n' % u.lastValue(c, 'rtsec_enforcement_policy_last_load_success{%(rtsecSelector)s}' % c),
                'rtsec refused a new enforcement policy file.',
                'rtsec exporter {{ $labels.instance }} could not load its enforcement policy file on reload: the previous policy stays in force (see the exporter log for the line at fault).'),
        ],
      },
    ],
  },
}
