// Recording rules of the file signals (rtsec_file_modifications_total,
// rtsec_file_sensitive_reads_total): per-container increases in the event
// window, new counter series included.
{
  _records+:: {
    local c = $._config,
    // File modifications per container, path class and op in eventWindow.
    fileModIncrease: 'namespace_pod_container_path_class_op:rtsec_file_modifications:increase' + c.eventWindow,
    // Sensitive reads per container and file class in eventWindow.
    fileReadIncrease: 'namespace_pod_container_file_class:rtsec_file_sensitive_reads:increase' + c.eventWindow,
  },
  prometheusRules+:: {
    local c = $._config,
    local r = $._records,
    // A counter series is created by its first event, which increase() cannot see: count new series by their value.
    local increase(metric, by) = |||
      sum by (%(containerLabels)s, %(by)s) (
        (increase(%(m)s[%(eventWindow)s]) > 0)
        or
        (%(m)s unless %(m)s offset %(eventWindow)s)
      )
    ||| % (c { m: '%s{%s}' % [metric, c.rtsecSelector], by: by }),
    groups+: [
      {
        name: 'rtsec-file.rules',
        rules: [
          { record: r.fileModIncrease, expr: increase('rtsec_file_modifications_total', 'path_class, op') },
          { record: r.fileReadIncrease, expr: increase('rtsec_file_sensitive_reads_total', 'file_class') },
        ],
      },
    ],
  },
}
