// _config of the network signals (rtsec_network_*): allowlists, thresholds,
// baselines and the settings of the network alerts.
{
  _config+:: {
    // Namespaces whose containers may query the cloud metadata service (workload identity agents, cloud SDKs).
    metadataAllowedNamespaces: [],
    // Namespaces whose containers may talk to the Kubernetes API server (needs --collector.network.api-server on the exporter).
    k8sAPIAllowedNamespaces: ['kube-system'],
    // Namespaces whose containers may open packet sockets (CNI agents, network monitors).
    packetSocketAllowedNamespaces: ['kube-system'],
    // Namespaces whose containers may connect to a container runtime socket (CI runners, node agents).
    runtimeSocketAllowedNamespaces: [],
    // Scopes in which a connection to a mining port is critical (RtsecMiningPoolConnection): pools are on the internet.
    miningScopes: ['public'],
    // Scopes in which it is a warning (RtsecMiningPortInternalConnection): a stratum proxy inside the cluster or on
    // the node relays a miner's shares; 3333/4444/5555/7777 are also common ports of internal services.
    miningInternalScopes: ['private', 'loopback', 'link_local', 'cluster_pod', 'cluster_service', 'node', 'any'],
    // Pool proxies that are expected: namespace → internal scopes its containers may reach a mining port in, e.g.
    // { mining: ['cluster_service'] } for miners that talk to a proxy Service ('' is the host and non-Kubernetes
    // containers). The connection counters carry no destination address, so the proxy is named by where its
    // clients run and in which scope it sits. Public pools stay critical.
    miningProxyAllowlist: {},
    // Scopes that count as lateral movement when a container contacts many distinct destinations in them.
    lateralScopes: ['private', 'cluster_pod', 'cluster_service', 'node'],
    // Distinct (address, port) destinations in lateralScopes within the exporter's --collector.network.novelty-window that make a scan.
    scanDistinctDestinations: 50,
    // Distinct DNS names queried within the novelty window that suggest tunnelling or a DGA.
    dnsDistinctNamesThreshold: 100,
    // Binaries that serve or make remote shells; with a connection on an unusual port class they alert.
    remoteShellBinaries: ['ssh', 'sshd', 'dropbear', 'telnet', 'telnetd', 'nc', 'ncat', 'netcat', 'socat'],
    // Port classes that are usual for remote-shell binaries (ssh) or that carry the lookups they make.
    remoteShellUsualPortClasses: ['ssh', 'dns'],
    // New outbound / new listener: how far back "seen before" looks, how old the workload must be, how long "new" lasts.
    networkHistoryWindow: '7d',
    networkLearningPeriod: '1d',
    networkRecency: '5m',
    // Outbound connection-rate anomaly, as the exec-rate anomaly.
    connRateBaselineWindow: '1w',
    connRateLearningPeriod: '1d',
    connRateZScoreThreshold: 3,
    connRateMinStddev: 0.05,
    connRateMinRate: 1,

    alerts+: {
      RtsecCloudMetadataAccess: { severity: 'warning', 'for': '0m', category: 'credential_access', mitre_technique: 'T1552.005' },
      RtsecKubernetesAPIFromContainer: { severity: 'warning', 'for': '0m', category: 'discovery', mitre_technique: 'T1613' },
      RtsecPacketSocketInContainer: { severity: 'warning', 'for': '0m', category: 'credential_access', mitre_technique: 'T1040' },
      RtsecMiningPoolConnection: { severity: 'critical', 'for': '0m', category: 'impact', mitre_technique: 'T1496' },
      RtsecMiningPortInternalConnection: { severity: 'warning', 'for': '0m', category: 'impact', mitre_technique: 'T1496' },
      RtsecNewOutboundInWorkload: { severity: 'warning', 'for': '0m', category: 'command_and_control', mitre_technique: 'T1071' },
      RtsecRuntimeSocketInContainer: { severity: 'critical', 'for': '0m', category: 'privilege_escalation', mitre_technique: 'T1611' },
      RtsecNewListenerInWorkload: { severity: 'warning', 'for': '0m', category: 'persistence', mitre_technique: 'T1571' },
      RtsecLateralMovementScan: { severity: 'warning', 'for': '0m', category: 'discovery', mitre_technique: 'T1046' },
      RtsecRemoteShellNonStandardPort: { severity: 'warning', 'for': '0m', category: 'command_and_control', mitre_technique: 'T1571' },
      RtsecConnectionRateAnomaly: { severity: 'info', 'for': '10m', category: 'command_and_control', mitre_technique: 'T1071' },
      RtsecDNSNameBurst: { severity: 'warning', 'for': '0m', category: 'command_and_control', mitre_technique: 'T1071.004' },
    },

    dashboardUIDs+: { network: 'rtsec-network' },
  },
}
