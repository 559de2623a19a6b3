package render

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestMiningProxyAllowlist runs promtool on the rules generated with a pool
// proxy allowlist: the listed namespace's containers may reach a mining
// port in the listed scope only; another scope and another namespace still
// alert, and public pools stay critical.
func TestMiningProxyAllowlist(t *testing.T) {
	bin := promtool(t)
	dir := t.TempDir()
	overrides := filepath.Join(dir, "o.libsonnet")
	if err := os.WriteFile(overrides, []byte(`{ _config+:: { miningProxyAllowlist: { mining: ['cluster_service'] } } }`), 0o644); err != nil {
		t.Fatal(err)
	}
	files, err := Files(root, overrides)
	if err != nil {
		t.Fatal(err)
	}
	if err := Write(dir, files); err != nil {
		t.Fatal(err)
	}
	conn := func(ns, pod, scope, direction string) string {
		return `    - series: rtsec_network_connections_total{job="rtsec", instance="node1:9500", container_id="` + pod + `", namespace="` + ns + `", pod="` + pod + `", container="app", direction="` + direction + `", protocol="tcp", scope="` + scope + `", port_class="mining", result="ok"}
      values: _x20 1x10
`
	}
	labels := func(ns, pod, scope string) string {
		return `      - exp_labels:
          severity: warning
          category: impact
          mitre_technique: T1496
          instance: node1:9500
          container_id: ` + pod + `
          namespace: ` + ns + `
          pod: ` + pod + `
          container: app
          scope: ` + scope + `
        exp_annotations:
          summary: A connection to a mining-pool port inside the cluster or on the node was made.
          description: 'Connections to a mining-pool port in scope ` + scope + ` (a stratum proxy relaying a miner?) were made 1 time(s) in the last 5m in container ` + ns + `/` + pod + `/app (container_id ` + pod + `) on node1:9500.'
          runbook_url: https://github.com/rtsec/rtsec/blob/main/docs/runbooks.md#rtsecminingportinternalconnection
`
	}
	test := `rule_files:
  - alerts/rtsec-rules.yaml
  - alerts/rtsec-alerts.yaml
evaluation_interval: 1m
tests:
  - interval: 1m
    input_series:
` + conn("mining", "m1", "cluster_service", "out") + conn("mining", "m2", "node", "out") + conn("shop", "s1", "cluster_service", "out") + conn("mining", "m3", "public", "out") + `
    alert_rule_test:
    - eval_time: 22m
      alertname: RtsecMiningPortInternalConnection
      exp_alerts:
` + labels("mining", "m2", "node") + labels("shop", "s1", "cluster_service") + `
    - eval_time: 22m
      alertname: RtsecMiningPoolConnection
      exp_alerts:
      - exp_labels:
          severity: critical
          category: impact
          mitre_technique: T1496
          instance: node1:9500
          container_id: m3
          namespace: mining
          pod: m3
          container: app
        exp_annotations:
          summary: A connection to a mining-pool port was made.
          description: 'Connections to a mining-pool port were made 1 time(s) in the last 5m in container mining/m3/app (container_id m3) on node1:9500.'
          runbook_url: https://github.com/rtsec/rtsec/blob/main/docs/runbooks.md#rtsecminingpoolconnection
`
	if err := os.WriteFile(filepath.Join(dir, "mining.yaml"), []byte(test), 0o644); err != nil {
		t.Fatal(err)
	}
	runPromtool(t, bin, dir, "test", "rules", "mining.yaml")
}

// TestReplacedSettingFails checks that an override of containerStartupGrace,
// which the startup profile replaced, stops the generation with a message
// naming its successor instead of being ignored.
func TestReplacedSettingFails(t *testing.T) {
	overrides := filepath.Join(t.TempDir(), "o.libsonnet")
	if err := os.WriteFile(overrides, []byte(`{ _config+:: { containerStartupGrace: '10s' } }`), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Files(root, overrides)
	if err == nil || !strings.Contains(err.Error(), "containerStartupWindow") {
		t.Fatalf("generation with containerStartupGrace: got error %v, want one naming containerStartupWindow", err)
	}
}
