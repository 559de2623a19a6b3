// Recording rules of the file signals (rtsec_file_modifications_total,
// rtsec_file_sensitive_reads_total): per-container increases in the event
// window, new counter series included, and the startup profile's records
// (lib/startup.libsonnet: an entrypoint may write its configuration).
local startup = import '../lib/startup.libsonnet';
local u = import '../lib/utils.libsonnet';

{
  prometheusRules+:: {
    local c = $._config,
    local r = $._records,
    local sel(metric) = '%s{%s}' % [metric, c.rtsecSelector],
    local increase(metric, by) = u.eventIncrease(sel(metric), '%s, %s' % [c.containerLabels, by], c.eventWindow),
    local mods = 'rtsec_file_modifications_total',
    local reads = 'rtsec_file_sensitive_reads_total',
    groups+: [
      {
        name: 'rtsec-file.rules',
        rules: [
                 { record: r.fileModIncrease, expr: increase(mods, 'path_class, op') },
                 { record: r.fileReadIncrease, expr: increase(reads, 'file_class') },
               ] + startup.records(c, mods, 'path_class, op', r.fileModStartup)
               + startup.records(c, reads, 'file_class', r.fileReadStartup),
      },
    ],
  },
}
