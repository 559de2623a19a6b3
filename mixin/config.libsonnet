// The settings of the rtsec mixin that every signal shares: selectors and
// labels, windows, the startup profile, the risk score, runbooks, dashboards.
// Each signal's own (lists, thresholds, severities) are in
// config-<signal>.libsonnet. Override with `mixin { _config+:: { ... } }`.
{
  _config+:: {
    // Selector of the rtsec exporter's target; every query starts from it.
    rtsecSelector: 'job="rtsec"',

    // Label that names the cluster when one ruler (Thanos Ruler, Mimir) evaluates the series of many; every
    // aggregation keeps it (absent on a single cluster's Prometheus, where it costs nothing).
    clusterLabel: 'cluster',
    // Label the scrape configuration gives the node's name (the ServiceMonitor/PodMonitor relabel
    // __meta_kubernetes_pod_node_name to it); kept by every aggregation and named in the alert descriptions
    // when present. '' when the scrape configuration has none (then descriptions name the instance).
    nodeLabel: 'node',
    // Labels that name one exporter (one node).
    instanceLabels: std.join(', ', [l for l in [self.clusterLabel, self.nodeLabel, 'instance'] if l != '']),
    // Labels that name one container (the host is container_id="").
    containerLabels: self.instanceLabels + ', container_id, namespace, pod, container',
    // Labels that name one workload: stable across container restarts and rollouts, and across nodes.
    workloadLabels: std.join(', ', [l for l in [self.clusterLabel, 'namespace', 'workload', 'container'] if l != '']),
    // Pod name → workload: strips the ReplicaSet hash and the pod suffix (Kubernetes' rand alphabet has no vowels), or a StatefulSet ordinal.
    workloadPodRegex: '(.+?)(?:(?:-[bcdfghjklmnpqrstvwxz2456789]{6,10})?-[bcdfghjklmnpqrstvwxz2456789]{5}|-[0-9]+)?',

    // Window of the "an exec happened" rules: an alert stays active this long after the exec.
    eventWindow: '5m',
    // Window of the rate() recording rules.
    rateWindow: '5m',
    // How long a gauge keeps its last value, and how far back "the value w ago" looks, when scrapes fail: a failed
    // scrape marks every series of the exporter stale, and an instant selector then returns nothing, which would
    // reset an alert's `for` clock, make an old container look new and count a counter whole. A miner that loads
    // the node slows its exporter's scrapes: tolerance of a few scrape intervals keeps its alert's clock running.
    scrapeGapTolerance: '2m',

    // Namespaces whose execs no list alert reports (miners and IOCs excepted).
    trustedNamespaces: [],
    // Startup profile (docs/mixin.md): what a container does while younger than containerStartupWindow (its entrypoint)
    // is compared with what earlier containers of its workload did during their own startup within
    // startupProfileWindow. Inside that profile it is quiet; outside it, or in a workload with no history (first
    // replica, one-off pod, a container outside Kubernetes), it alerts as after startup. Must be at least the scrape
    // and evaluation interval, or a young container may never be seen young (then it alerts: fail open); '0s'
    // removes the profile (every alert from a container's first second).
    containerStartupWindow: '1m',
    // The setting this replaced: an override of it would otherwise be ignored without a word.
    assert !std.objectHasAll(self, 'containerStartupGrace') : 'containerStartupGrace was replaced by containerStartupWindow and the startup profile (docs/mixin.md)',
    startupProfileWindow: '7d',
    // What every runtime does while setting a container up that the exporter still counts, allowed at startup even
    // without history: per counter, selectors (matchers) of the keys. runc 1.1 re-executes itself through
    // /proc/self/exe or a memfd (comm "exe" or the fd number) inside the new container's cgroup.
    startupRuntimeSetup: {
      rtsec_process_execs_total: ['binary=~"exe|[0-9]"'],
    },

    // Risk score = exploitability × impact ÷ detection capability + threat intelligence (docs/mixin.md).
    riskWindow: '1h',
    // Exploitability: 1 plus these weights for behaviour seen in the container within riskWindow.
    riskExploitabilityWeights: { shell: 1, networkTool: 1, packageManager: 1, labelOverflow: 2 },
    // Impact of a container and of the host itself (container_id="").
    riskImpactContainer: 1,
    riskImpactHost: 3,
    // Hook: PromQL terms added to impact, each a vector by containerLabels: by default the posture gauges
    // (privileged, host pid/net/ipc namespaces, runtime sockets or / mounted in).
    riskImpactTerms: [
      '2 * max by (%s) (rtsec_container_posture_info{%s, privileged="true"})' % [self.containerLabels, self.rtsecSelector],
      'max by (%s) (rtsec_container_host_namespace{%s, ns=~"pid|net|ipc"})' % [self.containerLabels, self.rtsecSelector],
      '2 * max by (%s) (rtsec_container_sensitive_mounts{%s, mount=~"docker_sock|containerd_sock|crio_sock|root"})' % [self.containerLabels, self.rtsecSelector],
    ],
    // Detection capability never drops below this, so blindness multiplies risk by at most 1/floor.
    riskDetectionFloor: 0.25,
    // Threat intelligence: added when a miner or IOC binary ran in the container within riskWindow.
    riskThreatIntelWeight: 10,

    // Severity, `for` and labels per alert: each signal's config-<signal>.libsonnet adds its own.
    alerts: {},

    // Runbook of each alert: %s is the alert name in lower case (the GitHub heading anchor).
    runbookURLPattern: 'https://github.com/rtsec/rtsec/blob/main/docs/runbooks.md#%s',

    // Dashboards.
    dashboardNamePrefix: 'rtsec / ',
    dashboardTags: ['rtsec', 'security'],
    dashboardUIDs: {
      overview: 'rtsec-overview',
      workload: 'rtsec-workload',
    },
    dashboardRefresh: '30s',
    dashboardTimeFrom: 'now-6h',
  },
}
