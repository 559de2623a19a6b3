// Recording rules of the process-exec signal: per-container increases and
// rates, and the per-workload baselines the exec alerts compare against.
local startup = import '../lib/startup.libsonnet';
local u = import '../lib/utils.libsonnet';

{
  prometheusRules+:: {
    local c = $._config,
    local r = $._records,
    local execs = 'rtsec_process_execs_total{%s}' % c.rtsecSelector,
    local inContainer = 'rtsec_process_execs_total{%s, container_id!=""}' % c.rtsecSelector,
    groups+: [
      {
        name: 'rtsec-process-exec.rules',
        rules: [
          // A counter series is created by its first exec, which increase() cannot see: count new series by their value.
          { record: r.execIncrease, expr: u.eventIncrease(execs, '%s, binary' % c.containerLabels, c.eventWindow) },
          {
            record: r.execRate,
            expr: |||
              sum by (%(containerLabels)s) (rate(%(execs)s[%(rateWindow)s]))
            ||| % (c { execs: execs }),
          },
          {
            record: r.workloadExecRate,
            expr: |||
              sum by (%(workloadLabels)s) (
                %(withWorkload)s
              )
            ||| % (c { withWorkload: u.block(u.withWorkload(c, 'rate(%s[%s])' % [inContainer, c.rateWindow]), 2) }),
          },
        ] + startup.records(c, 'rtsec_process_execs_total', 'binary', r.execStartup),
      },
      {
        name: 'rtsec-process-exec-baseline.rules',
        rules: [
          {
            // Exec counters live as long as their container, so presence means "this workload has run the binary".
            record: r.workloadBinaryPresent,
            expr: |||
              group by (%(workloadLabels)s, binary) (
                %(withWorkload)s
              )
            ||| % (c { withWorkload: u.block(u.withWorkload(c, inContainer), 2) }),
          },
          {
            record: r.workloadPresent,
            expr: |||
              group by (%(workloadLabels)s) (%(present)s)
            ||| % (c { present: r.workloadBinaryPresent }),
          },
          {
            // Flat baseline (no seasonality): one window, mean and standard deviation.
            record: r.workloadExecRateAvg,
            expr: |||
              avg_over_time(%(rate)s[%(execRateBaselineWindow)s])
            ||| % (c { rate: r.workloadExecRate }),
          },
          {
            record: r.workloadExecRateStddev,
            expr: |||
              stddev_over_time(%(rate)s[%(execRateBaselineWindow)s])
            ||| % (c { rate: r.workloadExecRate }),
          },
          {
            // The floor on the deviation keeps a perfectly regular workload from scoring +Inf on its first extra exec.
            record: r.workloadExecRateZScore,
            expr: |||
              (%(rate)s - %(avg)s)
              /
              clamp_min(%(stddev)s, %(execRateMinStddev)g)
            ||| % (c { rate: r.workloadExecRate, avg: r.workloadExecRateAvg, stddev: r.workloadExecRateStddev }),
          },
        ],
      },
    ],
  },
}
