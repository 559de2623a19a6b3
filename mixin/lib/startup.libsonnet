// The startup profile (docs/mixin.md, "Startup profile"): what a workload's
// containers do while young is learned per workload, and a young container
// whose startup stays inside its workload's profile is quiet; anything
// outside it alerts as it would after startup.
//
// Per signal (a counter and the labels that key it) three records:
// - during: the container's count per key while it is young (its
//   rtsec_container_info appeared less than containerStartupWindow ago);
// - after: the count since it stopped being young (all of it where it was
//   never seen young: fail open);
// - unprofiled: the young container's keys that no earlier container of its
//   workload had during its own startup within startupProfileWindow, minus
//   what every runtime does while setting a container up
//   (startupRuntimeSetup).
// A guarded alert needs an event in the event window of a key that is after
// startup or unprofiled.
local u = import 'utils.libsonnet';

{
  // Labels that name one container for the joins with rtsec_container_info.
  idLabels(c):: std.join(', ', [l for l in [c.clusterLabel, 'instance', 'container_id'] if l != '']),

  // Containers that appeared less than containerStartupWindow ago, from the raw series (a record of another
  // group may be one evaluation old when a container and its entrypoint's first events appear in one scrape).
  // "Seen then" tolerates failed scrapes: an instant `offset` would make every container young again after one.
  young(c)::
    local sel = 'rtsec_container_info{%s, container_id!=""}' % c.rtsecSelector;
    '(\n  group by (%(ids)s) (%(sel)s)\n  unless\n  group by (%(ids)s) (%(ago)s)\n)' % { ids: $.idLabels(c), sel: sel, ago: u.valueAgo(c, sel, c.containerStartupWindow) },

  // Range of the after record's look-back at the during record: twice what an event in the event window
  // needs, so no sample edge decides.
  local afterRange(c) = u.scaleDuration(u.addDurations(c.containerStartupWindow, c.eventWindow), 2),

  // The three records of counter `metric` keyed by `key` (e.g. 'binary' or 'path_class, op'); names is
  // { during, after, unprofiled }. _config.startupRuntimeSetup[metric] lists matchers (one selector each) of what
  // runtimes do at start.
  records(c, metric, key, names)::
    local setup = if std.objectHas(c.startupRuntimeSetup, metric) then c.startupRuntimeSetup[metric] else [];
    local m = '%s{%s, container_id!=""}' % [metric, c.rtsecSelector];
    local by = '%s, %s' % [c.containerLabels, key];
    if u.isZero(c.containerStartupWindow) then [] else [
      {
        // The last count while young is what the entrypoint (and the runtime) did.
        record: names.during,
        expr: |||
          sum by (%(by)s) (%(m)s)
          and on (%(ids)s)
          %(young)s
        ||| % { by: by, m: m, ids: $.idLabels(c), young: $.young(c) },
      },
      {
        // While the container is young, all of its count is during: that is computed here, not read from the
        // during record, which another query made a moment earlier. A scrape that lands between the two
        // queries of one evaluation brings a young container's new key into this one only, and the record
        // would not have it yet: the key's whole count would be after startup.
        record: names.after,
        expr: |||
          sum by (%(by)s) (%(m)s)
          -
          (
            (
              sum by (%(by)s) (%(m)s)
              and on (%(ids)s)
              %(young)s
            )
            or
            last_over_time(%(during)s[%(range)s])
            or
            sum by (%(by)s) (%(m)s) * 0
          )
        ||| % { by: by, m: m, ids: $.idLabels(c), young: u.block($.young(c), 4), during: names.during, range: afterRange(c) },
      },
      {
        // The offset keeps the young container itself (and every container as young as it) out of its
        // profile: only containers that started at least containerStartupWindow earlier teach it.
        record: names.unprofiled,
        expr: |||
          %(current)s
          unless on (%(workloadLabels)s, %(key)s)
          %(profile)s
        ||| % {
          current: u.withWorkload(c, std.join('', [names.during + '\n'] + ['unless\n%s{%s}\n' % [names.during, s] for s in setup])),
          workloadLabels: c.workloadLabels,
          key: key,
          profile: u.withWorkload(c, 'present_over_time(%s[%s] offset %s)\n' % [names.during, c.startupProfileWindow, c.containerStartupWindow]),
        },
      },
    ],

  // expr (events in the event window by containerLabels and key) restricted to keys counted after startup
  // or outside the workload's startup profile. With key '', expr is by containerLabels and matchers choose the
  // keys that count. excuse, a vector by containerLabels, exempts a container's unprofiled startup (not its
  // later events).
  guard(c, expr, key, names, excuse='', matchers='')::
    local sel(record) = if matchers == '' then record else '%s{%s}' % [record, matchers];
    if u.isZero(c.containerStartupWindow) then expr
    else |||
      (
      %(expr)s
      )
      and on (%(on)s)
      (
        (last_over_time(%(after)s[%(eventWindow)s]) > 0)
        or
        %(unprofiled)s
      )
    ||| % (c {
             expr: u.indent(std.rstripChars(expr, '\n'), 2),
             on: if key == '' then c.containerLabels else '%s, %s' % [c.containerLabels, key],
             after: sel(names.after),
             unprofiled: if excuse == '' then 'last_over_time(%s[%s])' % [sel(names.unprofiled), c.eventWindow]
             else '(\n    last_over_time(%s[%s])\n    unless on (%s)\n    %s\n  )' % [sel(names.unprofiled), c.eventWindow, c.containerLabels, u.block(excuse, 4)],
           }),
}
