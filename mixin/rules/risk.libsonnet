// Recording rules of the per-container risk score:
// risk = exploitability × impact ÷ detection capability + threat intelligence
// (definitions in docs/mixin.md).
local u = import '../lib/utils.libsonnet';

{
  prometheusRules+:: {
    local c = $._config,
    local r = $._records,
    local w = c.riskExploitabilityWeights,
    // 1 for each container that ran a binary matching `matchers` (and no allowlist) within riskWindow, else 0.
    local seen(matchers, allowlisted) =
      local sels = if allowlisted then u.notAllowed(c, r.execIncrease, matchers) else ['%s{%s}' % [r.execIncrease, matchers]];
      '(group by (%s) (%s) or 0 * %s)' % [
        c.containerLabels,
        std.join(' or ', ['max_over_time(%s[%s])' % [s, c.riskWindow] for s in sels]),
        r.observed,
      ],
    local exploitTerms = [
      [w.shell, seen('container_id!="", binary=~"%s"' % u.anyOf(c.shellBinaries), true)],
      [w.networkTool, seen('container_id!="", binary=~"%s"' % u.anyOf(c.networkToolBinaries), true)],
      [w.packageManager, seen('container_id!="", binary=~"%s"' % u.anyOf(c.packageManagerBinaries), true)],
      [w.labelOverflow, seen('container_id!="", binary="_other"', false)],
    ],
    groups+: [
      {
        name: 'rtsec-risk.rules',
        rules: [
          {
            record: r.observed,
            expr: |||
              group by (%(containerLabels)s) (rtsec_process_execs_total{%(rtsecSelector)s})
              or
              group by (%(containerLabels)s) (rtsec_container_info{%(rtsecSelector)s})
            ||| % c,
          },
          {
            // Behaviour an attacker shows once in: 1 plus a weight per kind seen within riskWindow.
            record: r.riskExploitability,
            expr: '1\n' + std.join('', ['+ %g * %s\n' % [t[0], t[1]] for t in exploitTerms]),
          },
          {
            // What a compromise reaches: the host itself weighs more; riskImpactTerms adds posture later.
            record: r.riskImpact,
            expr: |||
                    (
                      %(riskImpactHost)g * %(observed)s{container_id=""}
                      or
                      %(riskImpactContainer)g * %(observed)s
                    )
                  ||| % (c { observed: r.observed })
                  + std.join('', ['+ (%s or 0 * %s)\n' % [t, r.observed] for t in c.riskImpactTerms]),
          },
          {
            // 1 when every collector succeeds and BPF programs run; lower when degraded, so risk rises when we are blind.
            record: r.riskDetection,
            expr: |||
              clamp_min(
                (
                  avg by (%(instanceLabels)s) (rtsec_scrape_collector_success{%(rtsecSelector)s})
                  or on (%(instanceLabels)s)
                  group by (%(instanceLabels)s) (up{%(rtsecSelector)s})
                )
                *
                (
                  (sum by (%(instanceLabels)s) (rate(rtsec_bpf_program_runs_total{%(rtsecSelector)s}[%(bpfNoRunsWindow)s])) > bool 0)
                  or on (%(instanceLabels)s)
                  0 * group by (%(instanceLabels)s) (up{%(rtsecSelector)s})
                ),
                %(riskDetectionFloor)g
              )
            ||| % c,
          },
          {
            // Known-bad binaries (miners, IOC list) within riskWindow: additive, so they dominate the score.
            record: r.riskThreatIntel,
            expr: |||
              %(weight)g * (group by (%(containerLabels)s) (max_over_time(%(inc)s{binary=~"(?i)%(bad)s"}[%(riskWindow)s])) or 0 * %(observed)s)
            ||| % (c { weight: c.riskThreatIntelWeight, inc: r.execIncrease, bad: u.anyOf(c.minerBinaries + c.iocBinaries), observed: r.observed }),
          },
          {
            record: r.riskScore,
            expr: |||
              %(e)s * %(i)s
              / on (%(instanceLabels)s) group_left
              %(d)s
              + %(t)s
            ||| % (c { e: r.riskExploitability, i: r.riskImpact, d: r.riskDetection, t: r.riskThreatIntel }),
          },
        ],
      },
    ],
  },
}
