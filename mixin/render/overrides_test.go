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
	testRulesWith(t, `{ _config+:: { miningProxyAllowlist: { mining: ['cluster_service'] } } }`, "mining.yaml", test)
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

// TestCompatSyscallNamespaces runs promtool on the rules generated with a
// namespace allowed 32-bit programs: its containers' 32-bit calls do not
// raise RtsecCompatSyscallsInContainer, another namespace's do, and a
// 32-bit namespace call in the allowed namespace is still an evasion.
func TestCompatSyscallNamespaces(t *testing.T) {
	calls := func(ns, pod, class string) string {
		return `    - series: rtsec_compat_syscalls_total{job="rtsec", instance="node1:9500", container_id="` + pod + `", namespace="` + ns + `", pod="` + pod + `", container="app", class="` + class + `"}
      values: _x20 3x10
`
	}
	labels := func(ns, pod string) string {
		return `          instance: node1:9500
          container_id: ` + pod + `
          namespace: ` + ns + `
          pod: ` + pod + `
          container: app
`
	}
	test := `rule_files:
  - alerts/rtsec-rules.yaml
  - alerts/rtsec-alerts.yaml
evaluation_interval: 1m
tests:
  - interval: 1m
    input_series:
` + calls("legacy", "l1", "other") + calls("legacy", "l2", "privilege") + calls("shop", "s1", "other") + `
    alert_rule_test:
    - eval_time: 22m
      alertname: RtsecCompatSyscallsInContainer
      exp_alerts:
      - exp_labels:
          severity: warning
          category: evasion
          mitre_technique: T1562
` + labels("shop", "s1") + `        exp_annotations:
          summary: A container made 32-bit syscalls.
          description: '3 32-bit (ia32) syscalls in the last 5m in container shop/s1/app (container_id s1) on node1:9500, whose namespace is not in _config.compatSyscallNamespaces: a 32-bit program runs there, and the per-syscall signals do not see its calls.'
          runbook_url: https://github.com/rtsec/rtsec/blob/main/docs/runbooks.md#rtseccompatsyscallsincontainer
    - eval_time: 22m
      alertname: RtsecCompatSyscallEvasion
      exp_alerts:
      - exp_labels:
          severity: critical
          category: evasion
          mitre_technique: T1562
` + labels("legacy", "l2") + `          class: privilege
        exp_annotations:
          summary: A 32-bit syscall hidden from the per-syscall signals changed namespaces, privileges, mounts or the kernel.
          description: A 32-bit (ia32) syscall of class privilege, which the sensitive syscall and privilege signals do not see, was made 3 time(s) in the last 5m in container legacy/l2/app (container_id l2) on node1:9500.
          runbook_url: https://github.com/rtsec/rtsec/blob/main/docs/runbooks.md#rtseccompatsyscallevasion
`
	testRulesWith(t, `{ _config+:: { compatSyscallNamespaces: ['legacy'] } }`, "compat.yaml", test)
}

// testRulesWith generates the rules with the _config overrides and runs
// promtool's rule test, the YAML text test written as name, on them.
func testRulesWith(t *testing.T, overrides, name, test string) {
	t.Helper()
	bin := promtool(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "o.libsonnet")
	if err := os.WriteFile(path, []byte(overrides), 0o644); err != nil {
		t.Fatal(err)
	}
	files, err := Files(root, path)
	if err != nil {
		t.Fatal(err)
	}
	if err := Write(dir, files); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), []byte(test), 0o644); err != nil {
		t.Fatal(err)
	}
	runPromtool(t, bin, dir, "test", "rules", name)
}
