// Minimal Grafana dashboard builders (grafonnet cannot be fetched here):
// just the JSON fields Grafana needs, laid out in rows of equal-width panels.
{
  local g = self,
  local ds = { type: 'prometheus', uid: '${datasource}' },

  // A query of a panel. exemplar shows the exemplars of the raw series the
  // query selects (rtsec's: the event_id of an event log line).
  target(expr, legend='', instant=false, exemplar=false):: {
                                                             datasource: ds,
                                                             expr: expr,
                                                             legendFormat: legend,
                                                             refId: 'A',
                                                           } + (if instant then { instant: true, range: false, format: 'table' } else {})
                                                           + (if exemplar then { exemplar: true } else {}),

  local panel(type, title, targets, unit, description) = {
    type: type,
    title: title,
    description: description,
    datasource: ds,
    targets: [targets[i] { refId: std.char(std.codepoint('A') + i) } for i in std.range(0, std.length(targets) - 1)],
    fieldConfig: { defaults: { unit: unit }, overrides: [] },
  },

  timeseries(title, targets, unit='short', description='', stack=false):: panel('timeseries', title, targets, unit, description) {
    fieldConfig+: { defaults+: { custom: { fillOpacity: if stack then 30 else 10, stacking: { mode: if stack then 'normal' else 'none' } } } },
    options: { legend: { displayMode: 'table', placement: 'right', calcs: ['lastNotNull', 'max'] }, tooltip: { mode: 'multi', sort: 'desc' } },
  },

  stat(title, targets, unit='short', description=''):: panel('stat', title, targets, unit, description) {
    options: { reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false }, colorMode: 'value', graphMode: 'none', textMode: 'value_and_name' },
  },

  table(title, targets, description=''):: panel('table', title, targets, 'short', description) {
    options: { showHeader: true, sortBy: [{ displayName: 'Value', desc: true }] },
    transformations: [{ id: 'organize', options: { excludeByName: { Time: true } } }],
  },

  // The matcher every query of every dashboard carries, so that one Prometheus, Thanos or Mimir holding
  // several clusters shows one cluster at a time. With one cluster and no cluster label the hidden variable
  // is empty, and label="" selects the series without the label.
  clusterMatcher(config)::
    if config.clusterLabel == '' then error "_config.clusterLabel is empty: the dashboards' cluster variable needs a label name (default 'cluster')"
    else '%s="$cluster"' % config.clusterLabel,

  // The cluster variable of every dashboard (kubernetes-mixin's): hidden unless showMultiCluster.
  clusterVariable(config):: g.queryVariable('cluster', 'Cluster', 'label_values(up{%s}, %s)' % [config.rtsecSelector, config.clusterLabel]) {
    hide: if config.showMultiCluster then 0 else 2,
  },

  // The namespace and pod variables of a dashboard on container data, filled from the series of metric.
  namespaceVariable(config, metric, includeAll=true)::
    g.queryVariable('namespace', 'Namespace', 'label_values(%s{%s, %s}, namespace)' % [metric, config.rtsecSelector, g.clusterMatcher(config)], includeAll),
  podVariable(config, metric)::
    g.queryVariable('pod', 'Pod', 'label_values(%s{%s, %s, namespace=~"$namespace"}, pod)' % [metric, config.rtsecSelector, g.clusterMatcher(config)], true),

  datasourceVariable:: {
    name: 'datasource',
    label: 'Data source',
    type: 'datasource',
    query: 'prometheus',
    current: {},
    hide: 0,
  },

  // A variable filled from label values of a query.
  queryVariable(name, label, query, includeAll=false):: {
    name: name,
    label: label,
    type: 'query',
    datasource: ds,
    query: { query: query, refId: name },
    definition: query,
    refresh: 2,
    sort: 1,
    current: {},
    hide: 0,
    multi: includeAll,
    includeAll: includeAll,
  } + (if includeAll then { allValue: '.*' } else {}),

  // A dashboard whose panels come as rows: each row is [height, [panels…]] and its panels share the 24-column width.
  // variables are the dashboard's own: the datasource and cluster variables come first, added here.
  dashboard(config, key, title, rows, variables):: {
    local placed = std.flattenArrays([
      local y = std.foldl(function(acc, r) acc + r[0], rows[0:i], 0);
      local n = std.length(rows[i][1]);
      [
        rows[i][1][j] { gridPos: { x: j * std.floor(24 / n), y: y, w: std.floor(24 / n), h: rows[i][0] } }
        for j in std.range(0, n - 1)
      ]
      for i in std.range(0, std.length(rows) - 1)
    ]),
    uid: config.dashboardUIDs[key],
    title: config.dashboardNamePrefix + title,
    tags: config.dashboardTags,
    editable: true,
    graphTooltip: 1,
    refresh: config.dashboardRefresh,
    schemaVersion: 39,
    time: { from: config.dashboardTimeFrom, to: 'now' },
    timezone: 'browser',
    templating: { list: [g.datasourceVariable, g.clusterVariable(config)] + variables },
    panels: [placed[i] { id: i + 1 } for i in std.range(0, std.length(placed) - 1)],
    annotations: { list: [] },
    // The other rtsec dashboards, opened with the same cluster, namespace and time range.
    links: [{ title: 'rtsec', type: 'dashboards', tags: config.dashboardTags, asDropdown: true, includeVars: true, keepTime: true }],
  },
}
