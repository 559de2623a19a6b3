// Recording rules of the process-exec signal: per-container increases and
// rates, and the per-workload baselines the exec alerts compare against.
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
          {
            // A counter series is created by its first exec, which increase() cannot see: count new series by their value.
            record: r.execIncrease,
            expr: |||
              sum by (%(containerLabels)s, binary) (
                (increase(%(execs)s[%(eventWindow)s]) > 0)
                or
                (%(execs)s unless %(execs)s offset %(eventWindow)s)
              )
            ||| % (c { execs: execs }),
          },
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
        ] + (
          // No startup grace, no records (offset 0s does not parse).
          if u.isZero(c.containerStartupGrace) then [] else [
            {
              // Absent rtsec_container_info means "not known to be young": the guard then lets alerts through.
              record: r.containerStartedRecently,
              expr: |||
                group by (instance, container_id) (rtsec_container_info{%(rtsecSelector)s, container_id!=""})
                unless
                group by (instance, container_id) (rtsec_container_info{%(rtsecSelector)s, container_id!=""} offset %(containerStartupGrace)s)
              ||| % c,
            },
            {
              // Exec counts while the container is young: the last one is what its entrypoint ran.
              record: r.execDuringStartup,
              expr: |||
                sum by (%(containerLabels)s, binary) (%(inContainer)s)
                and on (instance, container_id)
                %(recent)s
              ||| % (c { inContainer: inContainer, recent: r.containerStartedRecently }),
            },
            {
              // Execs since the container stopped being young (all of them where it was never seen young).
              record: r.execAfterStartup,
              expr: |||
                sum by (%(containerLabels)s, binary) (%(inContainer)s)
                -
                (
                  last_over_time(%(during)s[%(range)s])
                  or
                  sum by (%(containerLabels)s, binary) (%(inContainer)s) * 0
                )
              ||| % (c { inContainer: inContainer, during: r.execDuringStartup, range: u.addDurations(c.containerStartupGrace, c.eventWindow) }),
            },
          ]
        ),
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
