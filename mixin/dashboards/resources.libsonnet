// Resources: CPU against quota, memory against limit, tasks and forks per
// workload, with the resource alerts' co-signals and forecasts.
local g = import '../lib/grafana.libsonnet';
local u = import '../lib/utils.libsonnet';

{
  grafanaDashboards+:: {
    local c = $._config,
    local r = $._records,
    local cluster = g.clusterMatcher(c),
    // Container series of the selected cluster, namespaces and pods: recorded (ns) and raw (sel).
    local ns = '%s, namespace=~"$namespace", pod=~"$pod"' % cluster,
    local sel = '%s, %s' % [c.rtsecSelector, ns],
    local who = '{{namespace}}/{{pod}}/{{container}} {{container_id}}',
    'rtsec-resources.json': g.dashboard(c, 'resources', 'Resources', [
      [5, [
        g.stat('Containers at ≥ %g%% of their CPU' % (100 * c.cpuSaturationRatio),
               [g.target('count(%s{%s} >= %g) or vector(0)' % [r.cpuSaturation, ns, c.cpuSaturationRatio], 'containers')]),
        g.stat('With a cryptojacking co-signal',
               [g.target('count(%s{%s}) or vector(0)' % [r.cryptoCoSignal, ns], 'containers')],
               'short',
               'A new binary after startup, a miner-class exec, a binary the container wrote, or a mining-pool connection within %s.' % c.cryptoCoSignalWindow),
        g.stat('OOM kills in the last %s' % c.oomLoopWindow, [g.target('sum(increase(rtsec_container_oom_kills_total{%s}[%s])) or vector(0)' % [sel, c.oomLoopWindow], 'kills')]),
        g.stat('Forks refused at pids limits (%s)' % c.forkBombWindow, [g.target('sum(increase(rtsec_container_pids_limit_hits_total{%s}[%s])) or vector(0)' % [sel, c.forkBombWindow], 'refused')]),
      ]],
      [8, [
        g.timeseries('CPU use / capacity (quota, or one core)', [g.target('%s{%s}' % [r.cpuSaturation, ns], who)], 'percentunit'),
        g.timeseries('CPU throttled', [g.target('sum by (namespace, pod, container, container_id) (rate(rtsec_container_cpu_throttled_seconds_total{%s}[$__rate_interval]))' % sel, who)], 's'),
      ]],
      [8, [
        g.timeseries('Memory / limit',
                     [g.target('max by (namespace, pod, container, container_id) (rtsec_container_memory_bytes{%s}) / max by (namespace, pod, container, container_id) (rtsec_container_memory_limit_bytes{%s})' % [sel, sel], who)],
                     'percentunit',
                     'Containers without a memory limit are not shown.'),
        g.timeseries('Memory forecast in %s / limit' % c.forecastHorizon,
                     [g.target('max by (namespace, pod, container, container_id) (predict_linear(rtsec_container_memory_bytes{%s}[%s], %d)) / max by (namespace, pod, container, container_id) (rtsec_container_memory_limit_bytes{%s})' % [sel, c.forecastWindow, u.seconds(c.forecastHorizon), sel], who)],
                     'percentunit',
                     'Above 1: the linear trend reaches the limit within the horizon (RtsecMemoryExhaustionForecast).'),
      ]],
      [8, [
        g.timeseries('Tasks / pids limit', [g.target('max by (namespace, pod, container, container_id) (rtsec_container_pids{%s}) / max by (namespace, pod, container, container_id) (rtsec_container_pids_limit{%s})' % [sel, sel], who)], 'percentunit'),
        g.timeseries('Process forks per second', [g.target('%s{%s}' % [r.forkRate, ns], who)], 'ops'),
      ]],
      [8, [
        g.table('Deaths by signal (last 1h)', [g.target('sum by (namespace, pod, container, container_id, signal) (increase(rtsec_container_signal_exits_total{%s}[1h])) > 0' % sel, '', true)]),
        g.table('OOM kills by workload (last %s)' % c.oomLoopWindow, [g.target('sum by (namespace, pod, container, container_id) (increase(rtsec_container_oom_kills_total{%s}[%s])) > 0' % [sel, c.oomLoopWindow], '', true)]),
      ]],
    ], [
      g.namespaceVariable(c, 'rtsec_container_cpu_seconds_total'),
      g.podVariable(c, 'rtsec_container_cpu_seconds_total'),
    ]),
  },
}
