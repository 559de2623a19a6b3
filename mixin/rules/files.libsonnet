// Recording rules of the file signals (rtsec_file_modifications_total,
// rtsec_file_sensitive_reads_total): per-container increases in the event
// window, new counter series included, and the counts made after a
// container's startup grace (its entrypoint may write its configuration).
local u = import '../lib/utils.libsonnet';

{
  _records+:: {
    local c = $._config,
    // File modifications per container, path class and op in eventWindow.
    fileModIncrease: 'namespace_pod_container_path_class_op:rtsec_file_modifications:increase' + c.eventWindow,
    // Sensitive reads per container and file class in eventWindow.
    fileReadIncrease: 'namespace_pod_container_file_class:rtsec_file_sensitive_reads:increase' + c.eventWindow,
    // Counts while the container was young, and since.
    fileModDuringStartup: 'namespace_pod_container_path_class_op:rtsec_file_modifications:during_startup',
    fileModAfterStartup: 'namespace_pod_container_path_class_op:rtsec_file_modifications:after_startup',
    fileReadDuringStartup: 'namespace_pod_container_file_class:rtsec_file_sensitive_reads:during_startup',
    fileReadAfterStartup: 'namespace_pod_container_file_class:rtsec_file_sensitive_reads:after_startup',
  },
  prometheusRules+:: {
    local c = $._config,
    local r = $._records,
    local sel(metric) = '%s{%s}' % [metric, c.rtsecSelector],
    local inContainer(metric) = '%s{%s, container_id!=""}' % [metric, c.rtsecSelector],
    // A counter series is created by its first event, which increase() cannot see: count new series by their value.
    local increase(metric, by) = |||
      sum by (%(containerLabels)s, %(by)s) (
        (increase(%(m)s[%(eventWindow)s]) > 0)
        or
        (%(m)s unless %(m)s offset %(eventWindow)s)
      )
    ||| % (c { m: sel(metric), by: by }),
    // As for execs (rules/process-exec.libsonnet): the last count while young is what the entrypoint did.
    local during(metric, by) = {
      expr: |||
        sum by (%(containerLabels)s, %(by)s) (%(m)s)
        and on (instance, container_id)
        %(recent)s
      ||| % (c { m: inContainer(metric), by: by, recent: u.startedRecently(c) }),
    },
    local after(metric, by, duringRecord) = {
      expr: |||
        sum by (%(containerLabels)s, %(by)s) (%(m)s)
        -
        (
          last_over_time(%(during)s[%(range)s])
          or
          sum by (%(containerLabels)s, %(by)s) (%(m)s) * 0
        )
      ||| % (c { m: inContainer(metric), by: by, during: duringRecord, range: u.addDurations(c.containerStartupGrace, c.eventWindow) }),
    },
    local mods = 'rtsec_file_modifications_total',
    local reads = 'rtsec_file_sensitive_reads_total',
    groups+: [
      {
        name: 'rtsec-file.rules',
        rules: [
          { record: r.fileModIncrease, expr: increase(mods, 'path_class, op') },
          { record: r.fileReadIncrease, expr: increase(reads, 'file_class') },
        ] + (
          // No startup grace, no records (offset 0s does not parse).
          if u.isZero(c.containerStartupGrace) then [] else [
            { record: r.fileModDuringStartup } + during(mods, 'path_class, op'),
            { record: r.fileModAfterStartup } + after(mods, 'path_class, op', r.fileModDuringStartup),
            { record: r.fileReadDuringStartup } + during(reads, 'file_class'),
            { record: r.fileReadAfterStartup } + after(reads, 'file_class', r.fileReadDuringStartup),
          ]
        ),
      },
    ],
  },
}
