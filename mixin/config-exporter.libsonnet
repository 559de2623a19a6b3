// _config of the exporter's own health (up, rtsec_scrape_collector_success, rtsec_bpf_*,
// rtsec_events_lost_total, rtsec_label_overflows_total): windows and thresholds of the exporter alerts.
{
  _config+:: {
    // Exporter health.
    bpfNoRunsWindow: '30m',
    bpfMapFillThreshold: 0.9,
    labelOverflowWindow: '1h',
    mapInsertFailureWindow: '10m',
    eventLossWindow: '1h',

    alerts+: {
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

    dashboardUIDs+: { exporter: 'rtsec-exporter' },
  },
}
