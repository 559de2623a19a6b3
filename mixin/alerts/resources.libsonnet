// Alerts of the resource signals: cryptojacking by CPU, fork bombs, OOM
// loops and the exhaustion forecast of memory and pids.
local a = import '../lib/alert.libsonnet';
local u = import '../lib/utils.libsonnet';

{
  prometheusAlerts+:: {
    local c = $._config,
    local r = $._records,
    local sel(metric, matchers='') = '%s{%s}' % [metric, u.matchers([c.rtsecSelector, 'container_id!=""', matchers])],
    local where = 'container {{ $labels.namespace }}/{{ $labels.pod }}/{{ $labels.container }} (container_id {{ $labels.container_id }}) on {{ $labels.instance }}',
    local horizon = u.seconds(c.forecastHorizon),
    // Limit reached within forecastHorizon by a container already using forecastMinRatio of it.
    local forecast(usage, limit) = |||
      max by (%(containerLabels)s) (predict_linear(%(usage)s[%(forecastWindow)s], %(horizon)d))
      >= on (%(containerLabels)s)
      max by (%(containerLabels)s) (%(limit)s)
      and on (%(containerLabels)s)
      (
        max by (%(containerLabels)s) (%(now)s)
        /
        max by (%(containerLabels)s) (%(limit)s)
        >= %(forecastMinRatio)g
      )
    ||| % (c { usage: sel(usage), now: u.lastValue(c, sel(usage)), limit: u.lastValue(c, sel(limit)), horizon: horizon }),
    // Kills in the OOM loop window, exactly: the count now minus the count a window ago, or all of it for a counter
    // younger than the window (these counters never reset while their container lives).
    // What counter s counted in window w; a series born within w counts whole.
    local counted(s, w) = '(%s - %s) or %s' % [u.lastValue(c, s), u.valueAgo(c, s, w), u.lastValue(c, s)],
    local kills(s) = counted(s, c.oomLoopWindow),
    groups+: [
      {
        name: 'rtsec-resources',
        rules: [
          a.new(c,
                'RtsecCryptojackingCPU',
                |||
                  %(saturation)s >= %(cpuSaturationRatio)g
                  and on (%(containerLabels)s)
                  %(coSignal)s
                ||| % (c { saturation: r.cpuSaturation, coSignal: r.cryptoCoSignal }),
                'A container runs at full CPU after a miner-like sign.',
                'Container {{ $labels.namespace }}/{{ $labels.pod }}/{{ $labels.container }} (container_id {{ $labels.container_id }}) on {{ $labels.instance }} has used {{ $value | humanizePercentage }} of its CPU quota (or of one core) for %s, and within %s it ran a binary not seen at its startup, a miner, a binary it wrote itself, or connected to a mining pool.' % [c.alerts.RtsecCryptojackingCPU['for'], c.cryptoCoSignalWindow]),
          a.new(c,
                'RtsecCPUAnomaly',
                |||
                  %(zscore)s > %(cpuZScoreThreshold)g
                  and on (%(workloadLabels)s)
                  %(usage)s > %(cpuAnomalyMinCores)g
                ||| % (c { zscore: r.workloadCpuZScore, usage: r.workloadCpuUsage }),
                'A workload uses far more CPU than at the same time last week.',
                'Workload {{ $labels.namespace }}/{{ $labels.workload }}/{{ $labels.container }} uses CPU {{ $value | printf "%%.1f" }} standard deviations above its use around the same time %s ago, and more than %g cores: a miner that hides its pool, or a changed workload.' % [c.cpuBaselineOffset, c.cpuAnomalyMinCores]),
          a.new(c,
                'RtsecForkBomb',
                |||
                  (
                    %(hits)s >= %(forkBombLimitHits)g
                    and on (%(containerLabels)s)
                    %(forks)s >= %(forkBombMinForks)g
                  )
                  or
                  (
                    %(withWorkload)s >= %(forkBombMinRate)g
                    and on (%(workloadLabels)s)
                    %(zscore)s > %(forkZScoreThreshold)g
                    and on (%(workloadLabels)s)
                    (%(avg)s offset %(forkLearningPeriod)s)
                  )
                ||| % (c {
                         // Counts in the window, where a series born within it (a bomb that fills its
                         // limit before the next scrape, a counter that appears at its first event)
                         // counts whole: increase() would drop its first value.
                         // Refused forks as the cgroup's pids.events counts them, or as the kernel does (kept for a
                         // container gone before the next scrape, and for a limit set on its pod): the larger.
                         hits: u.block(|||
                           max by (%(containerLabels)s) (
                             label_replace(%(events)s, "source", "pids.events", "", "")
                             or
                             label_replace(%(kernel)s, "source", "kernel", "", "")
                           )
                         ||| % (c {
                                  events: counted(sel('rtsec_container_pids_limit_hits_total'), c.forkBombWindow),
                                  kernel: counted(sel('rtsec_container_forks_refused_total'), c.forkBombWindow),
                                }), 4),
                         forks: 'sum by (%s) (%s)' % [c.containerLabels, counted(sel('rtsec_container_forks_total', 'kind="process"'), c.forkBombWindow)],
                         withWorkload: u.block(u.withWorkload(c, r.forkRate), 4),
                         zscore: r.workloadForkRateZScore,
                         avg: r.workloadForkRateAvg,
                       }),
                'A container forks like a fork bomb.',
                "%s forked %g or more processes and had %g or more forks refused at its pids limit in %s, or forks more than %g processes per second, more than %g standard deviations above its workload's mean." % [std.asciiUpper(where[0]) + where[1:], c.forkBombMinForks, c.forkBombLimitHits, c.forkBombWindow, c.forkBombMinRate, c.forkZScoreThreshold]),
          a.new(c,
                'RtsecOOMLoop',
                |||
                  max by (%(containerLabels)s) (
                    %(kernel)s
                    or
                    %(files)s
                  ) >= %(oomLoopKills)g
                ||| % (c {
                         kernel: kills(sel('rtsec_container_oom_kills_total')),
                         files: kills(sel('rtsec_container_memory_events_total', 'event="oom_kill"')),
                       }),
                'A container is OOM-killed again and again.',
                'Processes of %s were OOM-killed {{ $value | printf "%%.0f" }} times in the last %s: a memory bomb, a leak, or a limit too low.' % [where, c.oomLoopWindow]),
          a.new(c,
                'RtsecMemoryExhaustionForecast',
                forecast('rtsec_container_memory_bytes', 'rtsec_container_memory_limit_bytes'),
                'A container will reach its memory limit soon.',
                'At its rate over the last %s, %s reaches its memory limit within %s (forecast {{ $value | humanize1024 }}B).' % [c.forecastWindow, where, c.forecastHorizon]),
          a.new(c,
                'RtsecPidsExhaustionForecast',
                forecast('rtsec_container_pids', 'rtsec_container_pids_limit'),
                'A container will reach its task limit soon.',
                'At its rate over the last %s, %s reaches its pids limit within %s (forecast {{ $value | printf "%%.0f" }} tasks).' % [c.forecastWindow, where, c.forecastHorizon]),
        ],
      },
    ],
  },
}
