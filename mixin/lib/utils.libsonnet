// Helpers that turn _config lists into PromQL.
{
  // A regex that matches s literally (binary names may hold '.', '+' …), escaped for a PromQL string.
  escapeRegex(s):: std.join('', [
    if std.member('\\.+*?()|[]{}^$', c) then '\\\\' + c else c
    for c in std.stringChars(s)
  ]),

  // An alternation matching any of the names literally.
  anyOf(names):: std.join('|', [self.escapeRegex(n) for n in names]),

  // Joins non-empty matchers with ', '.
  matchers(list):: std.join(', ', [m for m in list if m != '']),

  // `label!~"a|b"`, or '' for an empty list (`!~""` would exclude the empty value).
  notIn(label, names):: if std.length(names) == 0 then '' else '%s!~"%s"' % [label, self.anyOf(names)],

  // Selectors of `metric` with `matchers`, restricted to execs no allowlist covers: one per
  // namespace with its own list, one for every other namespace; trusted namespaces drop out.
  notAllowed(config, metric, matchers)::
    local perNs = config.execAllowedPerNamespace;
    local listed = [ns for ns in std.objectFields(perNs) if !std.member(config.trustedNamespaces, ns)];
    local others = '%s{%s}' % [metric, self.matchers([
      matchers,
      self.notIn('namespace', config.trustedNamespaces + listed),
      self.notIn('binary', config.execAllowedEverywhere),
    ])];
    local own(ns) = '%s{%s}' % [metric, self.matchers([
      matchers,
      'namespace="%s"' % ns,
      self.notIn('binary', config.execAllowedEverywhere + perNs[ns]),
    ])];
    [others] + [own(ns) for ns in listed],

  // Adds a `workload` label: the pod name without its generated suffix, or the
  // container id outside Kubernetes (no pod name, so no stable key).
  withWorkload(config, expr)::
    'label_replace(\n  label_replace(\n%s    "workload", "$1", "container_id", "(.+)"\n  ),\n  "workload", "$1", "pod", "%s"\n)'
    % [self.indent(expr, 4) + ',\n', config.workloadPodRegex],

  // Indents every line of s but the first: for text inserted at an indented position.
  block(s, n):: std.lstripChars(self.indent(s, n), ' '),

  // Indents every non-empty line of s by n spaces; s ends without a newline.
  indent(s, n)::
    local lines = std.split(std.rstripChars(s, '\n'), '\n');
    std.join('\n', [if l == '' then l else std.repeat(' ', n) + l for l in lines]),

  // Counter events in a window: increase, plus the value of series created within it (their first value is events
  // too). Both halves read ranges, so a series scraped once (a container that started, acted and exited between two
  // scrapes) counts for the whole window after its one sample, stale or not: no half needs two samples.
  eventIncrease(sel, by, window)::
    |||
      sum by (%(by)s) (
        (increase(%(sel)s[%(w)s]) > 0)
        or
        (last_over_time(%(sel)s[%(w)s]) unless last_over_time(%(sel)s[%(w)s] offset %(w)s))
      )
    ||| % { by: by, sel: sel, w: window },

  // The last value of sel within scrapeGapTolerance: a gauge as an instant selector reads it, but a failed scrape
  // (whose stale markers end every series of the exporter) does not hide it.
  lastValue(config, sel):: 'last_over_time(%s[%s])' % [sel, config.scrapeGapTolerance],

  // The value of sel w ago (its last sample within scrapeGapTolerance before then): `sel offset w` that a failed
  // scrape at that moment does not hide.
  valueAgo(config, sel, w):: 'last_over_time(%s[%s] offset %s)' % [sel, config.scrapeGapTolerance, w],

  // True when a duration string is zero.
  isZero(d):: std.member(['0', '0s', '0m', '0h'], d),

  // Seconds in a Prometheus duration such as '90s', '5m', '1h30m', '7d' or '1w'.
  seconds(d)::
    local unit = { s: 1, m: 60, h: 3600, d: 86400, w: 604800, y: 31536000 };
    local step(acc, ch) =
      if std.member('0123456789', ch) then acc { n: acc.n * 10 + std.parseInt(ch) }
      else { n: 0, total: acc.total + acc.n * unit[ch] };
    std.foldl(step, std.stringChars(d), { n: 0, total: 0 }).total,

  // The sum of two durations, as a duration.
  addDurations(a, b):: '%ds' % (self.seconds(a) + self.seconds(b)),

  // A duration times n.
  scaleDuration(d, n):: '%ds' % (self.seconds(d) * n),
}
