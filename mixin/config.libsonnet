// Every selector, window, threshold, severity, allowlist and dashboard
// setting of the rtsec mixin. Override with `mixin { _config+:: { ... } }`.
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

    // Binaries that count as an interactive or scripting shell.
    shellBinaries: ['sh', 'bash', 'dash', 'ash', 'zsh', 'ksh', 'mksh', 'csh', 'tcsh', 'fish'],
    // Binaries that move data over the network or open raw connections.
    networkToolBinaries: ['curl', 'wget', 'nc', 'ncat', 'netcat', 'socat', 'nmap', 'masscan', 'zmap', 'telnet', 'ssh', 'scp', 'sftp', 'ftp', 'tftp', 'rsync', 'tcpdump', 'tshark', 'dig', 'nslookup'],
    // Binaries that install software.
    packageManagerBinaries: ['apt', 'apt-get', 'aptitude', 'dpkg', 'yum', 'dnf', 'microdnf', 'rpm', 'apk', 'zypper', 'pacman', 'pip', 'pip3', 'npm', 'gem'],
    // Cryptocurrency miners (matched case-insensitively, on the host too).
    minerBinaries: ['xmrig', 'xmr-stak', 'minerd', 'cpuminer', 'cpuminer-multi', 'ccminer', 'cgminer', 'bfgminer', 'ethminer', 't-rex', 'nbminer', 'lolminer', 'phoenixminer', 'nanominer', 'gminer', 'teamredminer', 'srbminer-multi'],
    // Indicator-of-compromise binary names from threat intelligence (matched case-insensitively, on the host too).
    iocBinaries: ['kinsing', 'kdevtmpfsi'],

    // Remote file copy tools (Falco's "Launch Remote File Copy Tools in Container"); also network tools.
    remoteCopyBinaries: ['scp', 'sftp', 'rsync'],
    // Binaries that read SSH client files (~/.ssh/, /etc/ssh/ssh_config) by design: a read where none ran alerts.
    sshClientBinaries: ['ssh', 'scp', 'sftp', 'ssh-keygen', 'ssh-add', 'ssh-agent', 'ssh-keyscan'],

    // Binaries allowed in every namespace: never reported by the list alerts.
    execAllowedEverywhere: ['ps', 'top', 'netstat'],
    // Namespace → binaries also allowed there, e.g. { monitoring: ['curl'] }; '' is the host and non-Kubernetes containers.
    execAllowedPerNamespace: {},
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
    // Modification classes that alert at any age, in the profile or not: sudo rules, preload, SSH keys, the release
    // agent, /proc/<pid>/exe. The account files (etc_passwd, etc_shadow, etc_group) follow the profile: images create
    // their user at start (docker-entrypoint.sh, nss_wrapper); add them here to alert on every replica.
    startupAlwaysAlertPathClasses: ['etc_sudoers', 'etc_ld_preload', 'ssh_authorized_keys', 'cgroup_release_agent', 'proc_exe'],

    // New binary: how far back "seen before" looks.
    newBinaryHistoryWindow: '7d',
    // New binary: a workload must have execs at least this old before it can alert.
    newBinaryLearningPeriod: '1d',
    // New binary: how long a binary stays "new" after its first exec.
    newBinaryRecency: '5m',

    // Exec-rate anomaly: baseline window of the mean and standard deviation.
    execRateBaselineWindow: '1w',
    // Exec-rate anomaly: the baseline must be at least this old.
    execRateLearningPeriod: '1d',
    // Exec-rate anomaly: z-score above which the rate is anomalous.
    execRateZScoreThreshold: 3,
    // Exec-rate anomaly: floor of the standard deviation (execs/s), so a flat baseline does not turn noise into huge z-scores.
    execRateMinStddev: 0.05,
    // Exec-rate anomaly: execs/s below which a workload is never anomalous.
    execRateMinRate: 0.5,

    // File signals: namespaces whose file modifications and reads no alert reports (besides trustedNamespaces).
    fileTrustedNamespaces: [],
    // Namespace → path classes its containers may modify, e.g. { ci: ['bin_dirs', 'lib_dirs', 'package_db', 'etc'] } for image builds.
    fileAllowedPerNamespace: {},
    // Path classes the host itself (container_id="") may modify: package upgrades, runtime state, logs.
    fileHostAllowedClasses: ['etc', 'bin_dirs', 'lib_dirs', 'package_db', 'root_home', 'log', 'kube', 'proc_sys', 'sysfs', 'boot', 'dev', 'runtime_state'],
    // Read classes RtsecSensitiveFileRead reports.
    // Link targets that make a link or symlink worth an alert: credentials, privilege and persistence files, not binaries
    // (installers link busybox applets and alternatives all the time).
    fileLinkSensitiveClasses: ['etc_passwd', 'etc_shadow', 'etc_group', 'etc_sudoers', 'etc_ld_preload', 'etc_cron', 'etc_ssh', 'etc_pam', 'shell_rc', 'ssh_authorized_keys', 'root_home', 'kube'],
    fileSensitiveReadClasses: ['shadow', 'sudoers', 'ssh_private_key', 'cloud_credentials', 'k8s_token', 'kube_credentials', 'kernel_memory', 'raw_block_device'],
    // Read classes the host may read: logins read shadow, the kubelet its credentials, udev block devices, tools /proc/<pid>/environ.
    fileReadHostAllowedClasses: ['shadow', 'sudoers', 'kube_credentials', 'k8s_token', 'raw_block_device', 'proc_environ'],

    // Exporter health.
    bpfNoRunsWindow: '30m',
    bpfMapFillThreshold: 0.9,
    labelOverflowWindow: '1h',
    mapInsertFailureWindow: '10m',
    eventLossWindow: '1h',

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

    // Process signals: a workload with more than highRiskThreshold critical events (suspicious execs, privilege
    // gains, escape syscalls, miners) in highRiskWindow is a HighRiskProcess (threat model).
    highRiskWindow: '5m',
    highRiskThreshold: 5,
    // Sensitive syscalls that count as critical events.
    criticalSyscalls: ['ptrace', 'process_vm_writev', 'bpf', 'setns', 'unshare', 'mount', 'pivot_root', 'open_by_handle_at', 'init_module', 'finit_module', 'delete_module', 'kexec_load'],
    // Posture alerts: namespaces whose sharing with the host alerts, and the sensitive mounts that do.
    postureHostNamespaces: ['pid', 'net', 'ipc'],
    postureSensitiveMounts: ['docker_sock', 'containerd_sock', 'crio_sock', 'root', 'var_run', 'etc', 'proc', 'sys', 'dev', 'var_lib_kubelet', 'var_lib_docker', 'var_lib_containerd', 'boot', 'root_home'],

    // Severity, `for` and labels per alert.
    alerts: {
      RtsecShellInContainer: { severity: 'warning', 'for': '0m', category: 'execution', mitre_technique: 'T1059.004' },
      RtsecUnexpectedExecInContainer: { severity: 'warning', 'for': '0m', category: 'execution', mitre_technique: 'T1059' },
      RtsecNewBinaryInWorkload: { severity: 'warning', 'for': '0m', category: 'execution', mitre_technique: 'T1059' },
      RtsecExecRateAnomaly: { severity: 'info', 'for': '10m', category: 'execution', mitre_technique: 'T1059' },
      RtsecNetworkToolInContainer: { severity: 'warning', 'for': '0m', category: 'command_and_control', mitre_technique: 'T1105' },
      RtsecPackageManagerInContainer: { severity: 'warning', 'for': '0m', category: 'command_and_control', mitre_technique: 'T1105' },
      RtsecMinerExecuted: { severity: 'critical', 'for': '0m', category: 'impact', mitre_technique: 'T1496' },
      RtsecIOCBinaryExecuted: { severity: 'critical', 'for': '0m', category: 'threat_intel', mitre_technique: 'T1105' },
      RtsecExecLabelBudgetOverflow: { severity: 'warning', 'for': '0m', category: 'evasion', mitre_technique: 'T1562' },
      RtsecWriteBelowEtc: { severity: 'warning', 'for': '0m', category: 'persistence', mitre_technique: 'T1098' },
      RtsecWriteBelowBinaryDir: { severity: 'warning', 'for': '0m', category: 'persistence', mitre_technique: 'T1554' },
      RtsecWriteBelowRoot: { severity: 'warning', 'for': '0m', category: 'persistence', mitre_technique: 'T1546' },
      RtsecPackageDatabaseModified: { severity: 'warning', 'for': '0m', category: 'persistence', mitre_technique: 'T1554' },
      RtsecCronJobScheduled: { severity: 'warning', 'for': '0m', category: 'persistence', mitre_technique: 'T1053.003' },
      RtsecShellConfigModified: { severity: 'warning', 'for': '0m', category: 'persistence', mitre_technique: 'T1546.004' },
      RtsecSudoersModified: { severity: 'critical', 'for': '0m', category: 'privilege_escalation', mitre_technique: 'T1548.003' },
      RtsecAuthorizedKeysModified: { severity: 'critical', 'for': '0m', category: 'persistence', mitre_technique: 'T1098.004' },
      RtsecLdPreloadModified: { severity: 'critical', 'for': '0m', category: 'evasion', mitre_technique: 'T1574.006' },
      RtsecReleaseAgentWrite: { severity: 'critical', 'for': '0m', category: 'privilege_escalation', mitre_technique: 'T1611' },
      RtsecLogCleared: { severity: 'warning', 'for': '0m', category: 'evasion', mitre_technique: 'T1070.002' },
      RtsecShellHistoryDeleted: { severity: 'warning', 'for': '0m', category: 'evasion', mitre_technique: 'T1070.003' },
      RtsecExecutableDrift: { severity: 'warning', 'for': '0m', category: 'execution', mitre_technique: 'T1105' },
      RtsecHiddenFileCreated: { severity: 'warning', 'for': '0m', category: 'evasion', mitre_technique: 'T1564.001' },
      RtsecContainerEntrypointModified: { severity: 'critical', 'for': '0m', category: 'privilege_escalation', mitre_technique: 'T1611' },
      RtsecShellConfigRead: { severity: 'info', 'for': '0m', category: 'discovery', mitre_technique: 'T1083' },
      RtsecSSHClientFileRead: { severity: 'warning', 'for': '0m', category: 'discovery', mitre_technique: 'T1018' },
      RtsecRemoteCopyToolInContainer: { severity: 'warning', 'for': '0m', category: 'command_and_control', mitre_technique: 'T1105' },
      RtsecSensitiveFileLinked: { severity: 'warning', 'for': '0m', category: 'credential_access', mitre_technique: 'T1003.008' },
      RtsecFileCreatedBelowDev: { severity: 'warning', 'for': '0m', category: 'evasion', mitre_technique: 'T1564' },
      RtsecSetuidBitSet: { severity: 'warning', 'for': '0m', category: 'privilege_escalation', mitre_technique: 'T1548.001' },
      RtsecDirectoryTraversal: { severity: 'warning', 'for': '0m', category: 'credential_access', mitre_technique: 'T1083' },
      RtsecSensitiveFileRead: { severity: 'warning', 'for': '0m', category: 'credential_access', mitre_technique: 'T1552.001' },
      RtsecOtherProcessMemoryRead: { severity: 'warning', 'for': '0m', category: 'credential_access', mitre_technique: 'T1003.007' },
      RtsecFileIntegrityChanged: { severity: 'critical', 'for': '0m', category: 'integrity', mitre_technique: 'T1565.001' },
      RtsecFileIntegrityBaselineCorrupt: { severity: 'warning', 'for': '0m', category: 'integrity', mitre_technique: 'T1070' },
      RtsecReverseShell: { severity: 'critical', 'for': '0m', category: 'execution', mitre_technique: 'T1059.004' },
      RtsecNetcatRemoteCodeExecution: { severity: 'critical', 'for': '0m', category: 'execution', mitre_technique: 'T1059' },
      RtsecTerminalShellInContainer: { severity: 'warning', 'for': '0m', category: 'execution', mitre_technique: 'T1059.004' },
      RtsecFilelessExecution: { severity: 'critical', 'for': '0m', category: 'evasion', mitre_technique: 'T1620' },
      RtsecDeletedBinaryExecuted: { severity: 'warning', 'for': '0m', category: 'evasion', mitre_technique: 'T1070.004' },
      RtsecExecFromWritableDir: { severity: 'warning', 'for': '0m', category: 'execution', mitre_technique: 'T1059' },
      RtsecDropAndExecute: { severity: 'critical', 'for': '0m', category: 'persistence', mitre_technique: 'T1105' },
      RtsecDynamicLoaderExec: { severity: 'warning', 'for': '0m', category: 'evasion', mitre_technique: 'T1218' },
      RtsecCredentialSearch: { severity: 'info', 'for': '0m', category: 'credential_access', mitre_technique: 'T1552.001' },
      RtsecLogWiperExecuted: { severity: 'warning', 'for': '0m', category: 'evasion', mitre_technique: 'T1070' },
      RtsecUserManagementInContainer: { severity: 'warning', 'for': '0m', category: 'persistence', mitre_technique: 'T1136' },
      RtsecMinerClassExecuted: { severity: 'critical', 'for': '0m', category: 'impact', mitre_technique: 'T1496' },
      RtsecHighRiskProcess: { severity: 'critical', 'for': '0m', category: 'execution', mitre_technique: 'T1059' },
      RtsecSetuidToRoot: { severity: 'warning', 'for': '0m', category: 'privilege_escalation', mitre_technique: 'T1548.001' },
      RtsecSetuidExecInContainer: { severity: 'info', 'for': '0m', category: 'privilege_escalation', mitre_technique: 'T1548.001' },
      RtsecCapabilityGained: { severity: 'warning', 'for': '0m', category: 'privilege_escalation', mitre_technique: 'T1548' },
      RtsecKernelExploitEscalation: { severity: 'critical', 'for': '0m', category: 'privilege_escalation', mitre_technique: 'T1068' },
      RtsecPtraceInContainer: { severity: 'warning', 'for': '0m', category: 'privilege_escalation', mitre_technique: 'T1055.008' },
      RtsecProcessMemoryWrite: { severity: 'warning', 'for': '0m', category: 'privilege_escalation', mitre_technique: 'T1055' },
      RtsecKernelModuleLoadAttempt: { severity: 'critical', 'for': '0m', category: 'persistence', mitre_technique: 'T1547.006' },
      RtsecBPFProgramLoadInContainer: { severity: 'critical', 'for': '0m', category: 'evasion', mitre_technique: 'T1014' },
      RtsecNamespaceChangeInContainer: { severity: 'warning', 'for': '0m', category: 'privilege_escalation', mitre_technique: 'T1611' },
      RtsecMountInContainer: { severity: 'warning', 'for': '0m', category: 'privilege_escalation', mitre_technique: 'T1611' },
      RtsecOpenByHandleAt: { severity: 'critical', 'for': '0m', category: 'privilege_escalation', mitre_technique: 'T1611' },
      RtsecUserfaultfdInContainer: { severity: 'warning', 'for': '0m', category: 'privilege_escalation', mitre_technique: 'T1068' },
      RtsecPrivilegedContainer: { severity: 'warning', 'for': '0m', category: 'privilege_escalation', mitre_technique: 'T1611' },
      RtsecContainerHostNamespace: { severity: 'warning', 'for': '0m', category: 'privilege_escalation', mitre_technique: 'T1611' },
      RtsecContainerSensitiveMount: { severity: 'warning', 'for': '0m', category: 'privilege_escalation', mitre_technique: 'T1611' },
      RtsecExporterDown: { severity: 'warning', 'for': '5m', category: 'exporter', mitre_technique: 'T1562.001' },
      RtsecExporterAbsent: { severity: 'critical', 'for': '5m', category: 'exporter', mitre_technique: 'T1562.001' },
      RtsecCollectorFailing: { severity: 'warning', 'for': '5m', category: 'exporter', mitre_technique: 'T1562.001' },
      RtsecBPFProgramsNotRunning: { severity: 'critical', 'for': '5m', category: 'exporter', mitre_technique: 'T1562.001' },
      RtsecBPFMapNearCapacity: { severity: 'warning', 'for': '15m', category: 'exporter', mitre_technique: 'T1562.001' },
      RtsecBPFLRUMapFull: { severity: 'info', 'for': '1h', category: 'exporter', mitre_technique: 'T1562.001' },
      RtsecBPFMapInsertFailures: { severity: 'warning', 'for': '0m', category: 'exporter', mitre_technique: 'T1562.001' },
      RtsecLabelOverflows: { severity: 'info', 'for': '0m', category: 'exporter', mitre_technique: 'T1562.001' },
      RtsecEventsLost: { severity: 'warning', 'for': '0m', category: 'exporter', mitre_technique: 'T1562.001' },
    },

    // Runbook of each alert: %s is the alert name in lower case (the GitHub heading anchor).
    runbookURLPattern: 'https://github.com/rtsec/rtsec/blob/main/docs/runbooks.md#%s',

    // Dashboards.
    dashboardNamePrefix: 'rtsec / ',
    dashboardTags: ['rtsec', 'security'],
    dashboardUIDs: {
      overview: 'rtsec-overview',
      workload: 'rtsec-workload',
      exporter: 'rtsec-exporter',
      files: 'rtsec-files',
      processSignals: 'rtsec-process-signals',
    },
    dashboardRefresh: '30s',
    dashboardTimeFrom: 'now-6h',
  },
}
