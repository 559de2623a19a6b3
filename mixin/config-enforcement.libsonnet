// _config of the enforcement signals (rtsec_enforcement_*, docs/enforcement.md):
// the settings of the enforcement alerts.
{
  _config+:: {
    alerts+: {
      RtsecEnforcementKilled: { severity: 'info', 'for': '0m', category: 'execution', mitre_technique: 'T1059' },
      RtsecEnforcementWouldKill: { severity: 'warning', 'for': '0m', category: 'execution', mitre_technique: 'T1059' },
      RtsecEnforcementPolicyLoadFailed: { severity: 'warning', 'for': '0m', category: 'exporter', mitre_technique: 'T1562.001' },
    },
  },
}
