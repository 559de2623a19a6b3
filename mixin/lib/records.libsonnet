// Names of the series the mixin records, derived from the windows in _config
// so that a name never lies about its window. Alerts and dashboards use these.
// Here the names every signal shares (the risk score); each signal's own are in
// records-<signal>.libsonnet.
{
  _records+:: {
    // Every container (and the host) the exporter reports.
    observed: 'namespace_pod_container:rtsec_observed:group',
    // Risk factors and score per container.
    riskExploitability: 'namespace_pod_container:rtsec_risk_exploitability:sum',
    riskImpact: 'namespace_pod_container:rtsec_risk_impact:sum',
    riskDetection: 'instance:rtsec_risk_detection_capability:ratio',
    riskThreatIntel: 'namespace_pod_container:rtsec_risk_threat_intel:sum',
    riskScore: 'namespace_pod_container:rtsec_risk:score',
  },
}
