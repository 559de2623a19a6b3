// Alerts of the process-exec signal (rtsec_process_execs_total).
local a = import '../lib/alert.libsonnet';
local startup = import '../lib/startup.libsonnet';
local u = import '../lib/utils.libsonnet';

{
  prometheusAlerts+:: {
    local c = $._config,
    local r = $._records,
    local where = 'in container {{ $labels.namespace }}/{{ $labels.pod }}/{{ $labels.container }} (container_id {{ $labels.container_id }}) on {{ $labels.instance }}',
    // Miners and IOCs also count on the host, where the identity labels are empty.
    local whereAny = '{{ if $labels.container_id }}%s{{ else }}on host {{ $labels.instance }}{{ end }}' % where,
    local times = '{{ $value | printf "%.0f" }} time(s) in the last ' + c.eventWindow,
    // Entrypoint scripts run shells and helpers: a young container's execs inside its workload's startup profile
    // are quiet, every other exec alerts at once (lib/startup.libsonnet).
    local afterStartup(expr) = startup.guard(c, expr, 'binary', r.execStartup),
    // Execs in containers of the given binaries that no allowlist covers.
    local listed(names) = afterStartup(std.join('\nor\n', u.notAllowed(c, r.execIncrease, 'container_id!="", binary=~"%s"' % u.anyOf(names)))),
    groups+: [
      {
        name: 'rtsec-process-exec',
        rules: [
          a.new(c,
                'RtsecShellInContainer',
                listed(c.shellBinaries),
                'A shell was executed in a container.',
                'Shell {{ $labels.binary }} was executed %s %s.' % [times, where]),
          a.new(c,
                'RtsecUnexpectedExecInContainer',
                afterStartup(std.join('\nor\n', u.notAllowed(c, r.execIncrease, 'container_id!="", binary!="_other"'))),
                'A command outside the namespace allowlist was executed in a container.',
                '{{ $labels.binary }} is not in the exec allowlist of namespace "{{ $labels.namespace }}" and was executed %s %s.' % [times, where]),
          a.new(c,
                'RtsecNewBinaryInWorkload',
                |||
                  (
                    group by (%(containerLabels)s, workload, binary) (
                      %(current)s
                    )
                    unless on (%(workloadLabels)s, binary)
                    present_over_time(%(binaryPresent)s[%(newBinaryHistoryWindow)s] offset %(newBinaryRecency)s)
                  )
                  and on (%(workloadLabels)s)
                  present_over_time(%(present)s[%(newBinaryHistoryWindow)s] offset %(newBinaryLearningPeriod)s)
                ||| % (c {
                         current: u.block(u.withWorkload(c, afterStartup(std.join('\nor\n', u.notAllowed(c, r.execIncrease, 'container_id!="", binary!="_other"')))), 4),
                         binaryPresent: r.workloadBinaryPresent,
                         present: r.workloadPresent,
                       }),
                'A binary never seen before in a workload with history was executed.',
                'Workload {{ $labels.namespace }}/{{ $labels.workload }}/{{ $labels.container }} has executed {{ $labels.binary }} for the first time in %s, in pod {{ $labels.pod }} (container_id {{ $labels.container_id }}) on {{ $labels.instance }}.' % c.newBinaryHistoryWindow),
          a.new(c,
                'RtsecExecRateAnomaly',
                |||
                  %(zscore)s > %(execRateZScoreThreshold)g
                  and on (%(workloadLabels)s)
                  %(rate)s > %(execRateMinRate)g
                  and on (%(workloadLabels)s)
                  (%(avg)s offset %(execRateLearningPeriod)s)
                ||| % (c { zscore: r.workloadExecRateZScore, rate: r.workloadExecRate, avg: r.workloadExecRateAvg }),
                'A workload executes programs far above its learned rate.',
                'Workload {{ $labels.namespace }}/{{ $labels.workload }}/{{ $labels.container }} executes programs more than %g standard deviations above its mean rate over %s, and faster than %g/s.' % [c.execRateZScoreThreshold, c.execRateBaselineWindow, c.execRateMinRate]),
          a.new(c,
                'RtsecNetworkToolInContainer',
                listed(c.networkToolBinaries),
                'A network tool was executed in a container.',
                'Network tool {{ $labels.binary }} was executed %s %s.' % [times, where]),
          a.new(c,
                'RtsecRemoteCopyToolInContainer',
                listed(c.remoteCopyBinaries),
                'A remote file copy tool was executed in a container.',
                'Remote copy tool {{ $labels.binary }} (exfiltration or tool transfer) was executed %s %s.' % [times, where]),
          a.new(c,
                'RtsecPackageManagerInContainer',
                listed(c.packageManagerBinaries),
                'A package manager was executed in a running container.',
                'Package manager {{ $labels.binary }} was executed %s %s.' % [times, where]),
          a.new(c,
                'RtsecMinerExecuted',
                '%s{binary=~"(?i)%s"}\n' % [r.execIncrease, u.anyOf(c.minerBinaries)],
                'A cryptocurrency miner was executed.',
                'Miner {{ $labels.binary }} was executed %s %s.' % [times, whereAny]),
          a.new(c,
                'RtsecIOCBinaryExecuted',
                '%s{binary=~"(?i)%s"}\n' % [r.execIncrease, u.anyOf(c.iocBinaries)],
                'A binary named in the threat-intelligence IOC list was executed.',
                'IOC binary {{ $labels.binary }} was executed %s %s.' % [times, whereAny]),
          a.new(c,
                'RtsecExecLabelBudgetOverflow',
                '%s{container_id!="", binary="_other"}\n' % r.execIncrease,
                'A container executed more distinct binaries than the exporter tracks.',
                'Container execs past the per-container binary budget were counted as "_other" %s %s: many distinct binaries can hide one.' % [times, where]),
        ],
      },
    ],
  },
}
