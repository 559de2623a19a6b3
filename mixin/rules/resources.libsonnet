// Recording rules of the resource signals: CPU use against capacity, the
// cryptojacking co-signals, fork rates and the workloads' baselines.
local u = import '../lib/utils.libsonnet';

{
  prometheusRules+:: {
    local c = $._config,
    local r = $._records,
    local sel(metric, matchers='') = '%s{%s}' % [metric, u.matchers([c.rtsecSelector, 'container_id!=""', matchers])],
    local cpu = sel('rtsec_container_cpu_seconds_total'),
    local forks = sel('rtsec_container_forks_total', 'kind="process"'),
    local inWindow(s) = '(\n  %s\n) > 0' % u.indent(u.eventIncrease(s, c.containerLabels, c.cryptoCoSignalWindow), 2)[2:],
    // A binary executed within the window that the container did not run during its startup.
    local newAfterStartup = |||
      (
        (increase(%(after)s[%(w)s]) > 0)
        or
        (%(after)s > 0 unless %(ago)s)
      )
      unless on (%(containerLabels)s, binary)
      present_over_time(%(during)s[%(newBinaryHistoryWindow)s])
    ||| % (c { after: r.execStartup.after, ago: u.valueAgo(c, r.execStartup.after, c.cryptoCoSignalWindow), during: r.execStartup.during, w: c.cryptoCoSignalWindow }),
    local coSignals = [
      inWindow(sel('rtsec_process_class_execs_total', 'class="miner"')),
      inWindow(sel('rtsec_network_connections_total', 'direction="out", port_class="mining"')),
      inWindow(sel('rtsec_process_suspicious_execs_total', 'reason=~"%s"' % u.anyOf(c.cryptoCoSignalReasons))),
    ] + (if u.isZero(c.containerStartupWindow) then [] else [newAfterStartup]),
    // The baseline window ends cpuBaselineWindow/2 after the same time one cpuBaselineOffset ago.
    local baselineOffset = '%ds' % (u.seconds(c.cpuBaselineOffset) - u.seconds(c.cpuBaselineWindow) / 2),
    groups+: [
      {
        name: 'rtsec-resources.rules',
        rules: [
          {
            record: r.cpuUsage,
            expr: 'sum by (%s) (rate(%s[%s]))\n' % [c.containerLabels, cpu, c.rateWindow],
          },
          {
            // A container without a quota can use every core, but one saturated core is what a miner per core shows.
            record: r.cpuCapacity,
            expr: |||
              max by (%(containerLabels)s) (%(quota)s)
              or
              group by (%(containerLabels)s) (%(cpu)s)
            ||| % (c { quota: u.lastValue(c, sel('rtsec_container_cpu_quota_cores')), cpu: u.lastValue(c, cpu) }),
          },
          {
            record: r.cpuSaturation,
            expr: '%s / %s\n' % [r.cpuUsage, r.cpuCapacity],
          },
          {
            record: r.cryptoCoSignal,
            expr: std.join('\nor\n', ['group by (%s) (\n  %s\n)' % [c.containerLabels, u.indent(s, 2)[2:]] for s in coSignals]) + '\n',
          },
          {
            record: r.forkRate,
            expr: 'sum by (%s) (rate(%s[%s]))\n' % [c.containerLabels, forks, c.rateWindow],
          },
          {
            record: r.riskResource,
            expr: |||
              group by (%(containerLabels)s) (max_over_time(%(saturation)s[%(riskWindow)s]) >= %(cpuSaturationRatio)g)
              or
              group by (%(containerLabels)s) (
                %(hits)s > 0
              )
              or
              group by (%(containerLabels)s) (
                %(refused)s > 0
              )
              or
              group by (%(containerLabels)s) (
                %(ooms)s > 0
              )
            ||| % (c {
                     saturation: r.cpuSaturation,
                     hits: u.block(u.eventIncrease(sel('rtsec_container_pids_limit_hits_total'), c.containerLabels, c.riskWindow), 2),
                     refused: u.block(u.eventIncrease(sel('rtsec_container_forks_refused_total'), c.containerLabels, c.riskWindow), 2),
                     ooms: u.block(u.eventIncrease(sel('rtsec_container_oom_kills_total'), c.containerLabels, c.riskWindow), 2),
                   }),
          },
        ],
      },
      {
        name: 'rtsec-resources-baseline.rules',
        // The workload rates are recorded here, before the baselines and z-scores that read them in the same evaluation.
        rules: [
          {
            record: r.workloadCpuUsage,
            expr: |||
              sum by (%(workloadLabels)s) (
                %(withWorkload)s
              )
            ||| % (c { withWorkload: u.block(u.withWorkload(c, 'rate(%s[%s])' % [cpu, c.rateWindow]), 2) }),
          },
          {
            record: r.workloadForkRate,
            expr: |||
              sum by (%(workloadLabels)s) (
                %(withWorkload)s
              )
            ||| % (c { withWorkload: u.block(u.withWorkload(c, 'rate(%s[%s])' % [forks, c.rateWindow]), 2) }),
          },
          {
            // Same time of week: a window around now one cpuBaselineOffset ago, so a nightly batch is compared with last week's night.
            record: r.workloadCpuBaselineAvg,
            expr: 'avg_over_time(%s[%s] offset %s)\n' % [r.workloadCpuUsage, c.cpuBaselineWindow, baselineOffset],
          },
          {
            record: r.workloadCpuBaselineStddev,
            expr: 'stddev_over_time(%s[%s] offset %s)\n' % [r.workloadCpuUsage, c.cpuBaselineWindow, baselineOffset],
          },
          {
            record: r.workloadCpuZScore,
            expr: |||
              (%(usage)s - %(avg)s)
              /
              clamp_min(%(stddev)s, %(cpuMinStddev)g)
            ||| % (c { usage: r.workloadCpuUsage, avg: r.workloadCpuBaselineAvg, stddev: r.workloadCpuBaselineStddev }),
          },
          {
            record: r.workloadForkRateAvg,
            expr: 'avg_over_time(%s[%s])\n' % [r.workloadForkRate, c.forkBaselineWindow],
          },
          {
            record: r.workloadForkRateStddev,
            expr: 'stddev_over_time(%s[%s])\n' % [r.workloadForkRate, c.forkBaselineWindow],
          },
          {
            record: r.workloadForkRateZScore,
            expr: |||
              (%(rate)s - %(avg)s)
              /
              clamp_min(%(stddev)s, %(forkMinStddev)g)
            ||| % (c { rate: r.workloadForkRate, avg: r.workloadForkRateAvg, stddev: r.workloadForkRateStddev }),
          },
        ],
      },
    ],
  },
}
