// _config of the exec signals (rtsec_process_execs_total): the binary lists
// of the list alerts and their allowlists, the new-binary and exec-rate
// baselines and the settings of the exec alerts.
{
  _config+:: {
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

    // Binaries allowed in every namespace: never reported by the list alerts.
    execAllowedEverywhere: ['ps', 'top', 'netstat'],
    // Namespace → binaries also allowed there, e.g. { monitoring: ['curl'] }; '' is the host and non-Kubernetes containers.
    execAllowedPerNamespace: {},

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

    alerts+: {
      RtsecShellInContainer: { severity: 'warning', 'for': '0m', category: 'execution', mitre_technique: 'T1059.004' },
      RtsecUnexpectedExecInContainer: { severity: 'warning', 'for': '0m', category: 'execution', mitre_technique: 'T1059' },
      RtsecNewBinaryInWorkload: { severity: 'warning', 'for': '0m', category: 'execution', mitre_technique: 'T1059' },
      RtsecExecRateAnomaly: { severity: 'info', 'for': '10m', category: 'execution', mitre_technique: 'T1059' },
      RtsecNetworkToolInContainer: { severity: 'warning', 'for': '0m', category: 'command_and_control', mitre_technique: 'T1105' },
      RtsecPackageManagerInContainer: { severity: 'warning', 'for': '0m', category: 'command_and_control', mitre_technique: 'T1105' },
      RtsecMinerExecuted: { severity: 'critical', 'for': '0m', category: 'impact', mitre_technique: 'T1496' },
      RtsecIOCBinaryExecuted: { severity: 'critical', 'for': '0m', category: 'threat_intel', mitre_technique: 'T1105' },
      RtsecExecLabelBudgetOverflow: { severity: 'warning', 'for': '0m', category: 'evasion', mitre_technique: 'T1562' },
      RtsecRemoteCopyToolInContainer: { severity: 'warning', 'for': '0m', category: 'command_and_control', mitre_technique: 'T1105' },
    },
  },
}
