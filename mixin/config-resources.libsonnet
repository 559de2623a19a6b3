// _config of the resource signals (rtsec_container_cpu_*, _memory_*, _pids*,
// _forks_total, _oom_kills_total): cryptojacking, fork bomb, OOM loop and
// exhaustion forecast settings.
{
  _config+:: {
    // Cryptojacking: share of the CPU quota (of one core without a quota) a container must use; the alert's `for` is how long.
    cpuSaturationRatio: 0.9,
    // Cryptojacking: how long after a co-signal (new binary after startup, miner-class exec, mining-pool connection,
    // binary from a writable place) it still counts.
    cryptoCoSignalWindow: '1h',
    // Suspicious exec reasons that count as a co-signal: binaries the container wrote itself.
    cryptoCoSignalReasons: ['memfd', 'deleted_binary', 'writable_dir', 'upper_layer'],
    // CPU anomaly: the baseline is the workload's CPU use around the same time one week earlier: a window of
    // cpuBaselineWindow centred on now - cpuBaselineOffset (mean and standard deviation).
    cpuBaselineOffset: '1w',
    cpuBaselineWindow: '2h',
    cpuZScoreThreshold: 4,
    // CPU anomaly: floor of the standard deviation (cores), and CPU use (cores) below which nothing is anomalous.
    cpuMinStddev: 0.05,
    cpuAnomalyMinCores: 0.5,
    // Fork bomb: forks refused at a container's pids limit and process forks, both within forkBombWindow (a bomb fills
    // its limit and stalls there, so no rate: counts).
    forkBombWindow: '5m',
    forkBombLimitHits: 10,
    forkBombMinForks: 30,
    // Fork bomb without a pids limit: process forks per second, far above the workload's baseline.
    forkBombMinRate: 20,
    // Fork bomb: or a fork rate this many standard deviations above the workload's mean over forkBaselineWindow.
    forkBaselineWindow: '1w',
    forkLearningPeriod: '1d',
    forkZScoreThreshold: 5,
    forkMinStddev: 1,
    // OOM loop: OOM kills in one container within oomLoopWindow.
    oomLoopWindow: '15m',
    oomLoopKills: 3,
    // Exhaustion forecast: predict_linear over forecastWindow, alert when the limit is reached within forecastHorizon
    // and the container already uses forecastMinRatio of it.
    forecastWindow: '30m',
    forecastHorizon: '1h',
    forecastMinRatio: 0.5,
    // Risk: added to exploitability when, within riskWindow, the container saturated its CPU, hit its pids limit or was OOM-killed.
    riskResourceWeight: 1,

    alerts+: {
      RtsecCryptojackingCPU: { severity: 'critical', 'for': '10m', category: 'impact', mitre_technique: 'T1496' },
      RtsecCPUAnomaly: { severity: 'warning', 'for': '10m', category: 'impact', mitre_technique: 'T1496' },
      RtsecForkBomb: { severity: 'critical', 'for': '0m', category: 'impact', mitre_technique: 'T1499' },
      RtsecOOMLoop: { severity: 'warning', 'for': '0m', category: 'impact', mitre_technique: 'T1499' },
      RtsecMemoryExhaustionForecast: { severity: 'warning', 'for': '10m', category: 'impact', mitre_technique: 'T1499' },
      RtsecPidsExhaustionForecast: { severity: 'warning', 'for': '10m', category: 'impact', mitre_technique: 'T1499' },
    },

    dashboardUIDs+: { resources: 'rtsec-resources' },
  },
}
