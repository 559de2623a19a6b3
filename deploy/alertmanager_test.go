package deploy

import (
	"bytes"
	"encoding/json"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/rtsec/rtsec/internal/testenv"
	"github.com/rtsec/rtsec/test/exporter"
)

// wantReceiver is the routing policy the example implements: rtsec's own
// health to the platform team, critical detections to the pager, the rest
// to the security ticket queue.
func wantReceiver(labels map[string]string) string {
	switch {
	case labels["category"] == "exporter":
		return "platform-tickets"
	case labels["severity"] == "critical":
		return "security-pager"
	}
	return "security-tickets"
}

// Every alert of the generated PrometheusRule is routed by the example
// Alertmanager configuration as the policy says, as amtool evaluates it.
func TestAlertmanagerRoutesEveryAlert(t *testing.T) {
	amtool := testenv.RequireCommand(t, "amtool")
	config := filepath.Join(root, "deploy", "alertmanager", "alertmanager.yml")
	if out, err := exec.Command(amtool, "check-config", config).CombinedOutput(); err != nil {
		t.Fatalf("amtool check-config: %v\n%s", err, out)
	}
	rule, _ := mixinOutputs(t)
	seen := map[string]bool{}
	for _, group := range rule.Spec.Groups {
		for _, r := range group.Rules {
			if r.Alert == "" {
				continue
			}
			args := []string{"config", "routes", "test", "--config.file=" + config, "alertname=" + r.Alert}
			for k, v := range r.Labels {
				args = append(args, k+"="+v)
			}
			out, err := exec.Command(amtool, args...).Output()
			if err != nil {
				t.Fatalf("amtool %v: %v", args, err)
			}
			got, want := strings.TrimSpace(string(out)), wantReceiver(r.Labels)
			if got != want {
				t.Errorf("%s %v routes to %q, want %q", r.Alert, r.Labels, got, want)
			}
			seen[got] = true
		}
	}
	for _, receiver := range []string{"platform-tickets", "security-pager", "security-tickets"} {
		if !seen[receiver] {
			t.Errorf("no alert routes to %s: the test covers too little", receiver)
		}
	}
}

// The example's inhibit rule, in a real Alertmanager: a critical detection
// inhibits the warnings of the same container only. A critical host alert
// on node A silences node A's host warnings, not node B's, nor a warning of
// a container without Kubernetes labels on node A, nor the same names in
// another cluster.
func TestAlertmanagerInhibitsOnlyTheSameContainer(t *testing.T) {
	binary := testenv.RequireCommand(t, "prometheus-alertmanager")
	config := exampleWithLocalReceivers(t)
	addr := exporter.FreeAddress(t)
	dir := t.TempDir()
	am := exec.Command(binary, "--config.file="+config, "--storage.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+addr, "--cluster.listen-address=")
	var log bytes.Buffer
	am.Stdout, am.Stderr = &log, &log
	if err := am.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = am.Process.Signal(syscall.SIGTERM)
		_ = am.Wait()
	})
	base := "http://" + addr
	waitReady(t, base+"/-/ready", &log)

	type alert map[string]string
	host := func(node, severity string) alert {
		return alert{"alertname": "RtsecHost" + severity, "severity": severity, "category": "execution", "instance": node + ":9730", "node": node}
	}
	withLabels := func(a alert, kv ...string) alert {
		b := maps.Clone(a)
		for i := 0; i+1 < len(kv); i += 2 {
			b[kv[i]] = kv[i+1]
		}
		return b
	}
	pod := func(node, severity, cluster string) alert {
		return withLabels(host(node, severity), "alertname", "RtsecPod"+severity, "container_id", "c0ffee", "namespace", "shop", "pod", "web-0", "container", "web", "cluster", cluster)
	}
	sources := []alert{host("node-a", "critical"), pod("node-a", "critical", "east")}
	cases := []struct {
		name      string
		target    alert
		inhibited bool
	}{
		{"a host warning on the same node", host("node-a", "warning"), true},
		{"a host warning on another node", host("node-b", "warning"), false},
		{"a non-Kubernetes container warning on the same node", withLabels(host("node-a", "warning"), "alertname", "RtsecRunc", "container_id", "deadbeef"), false},
		{"a warning of the same pod's container", pod("node-a", "warning", "east"), true},
		{"a warning of another pod on the same node", withLabels(pod("node-a", "warning", "east"), "pod", "web-1", "container_id", "beef"), false},
		{"a warning of the same names in another cluster", pod("node-a", "warning", "west"), false},
		{"an exporter health warning on the same node", withLabels(host("node-a", "warning"), "category", "exporter"), false},
	}
	var post []map[string]any
	for _, a := range sources {
		post = append(post, map[string]any{"labels": a})
	}
	for _, tc := range cases {
		post = append(post, map[string]any{"labels": tc.target})
	}
	body, _ := json.Marshal(post)
	resp, err := http.Post(base+"/api/v2/alerts", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST alerts: %s\n%s", resp.Status, log.String())
	}

	// The inhibitor learns the sources asynchronously: wait until every
	// alert that should be inhibited is, then check the others.
	var inhibited map[string]bool
	deadline := time.Now().Add(15 * time.Second)
	for {
		inhibited = inhibitedAlerts(t, base)
		settled := len(inhibited) == len(post)
		for _, tc := range cases {
			settled = settled && (!tc.inhibited || inhibited[fingerprint(tc.target)])
		}
		if settled || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if len(inhibited) != len(post) {
		t.Fatalf("Alertmanager holds %d alerts, want %d", len(inhibited), len(post))
	}
	for _, tc := range cases {
		if got := inhibited[fingerprint(tc.target)]; got != tc.inhibited {
			t.Errorf("%s %v: inhibited %v, want %v", tc.name, tc.target, got, tc.inhibited)
		}
	}
}

// inhibitedAlerts returns, for each alert Alertmanager holds (by
// fingerprint), whether it is inhibited.
func inhibitedAlerts(t *testing.T, base string) map[string]bool {
	t.Helper()
	var alerts []struct {
		Labels map[string]string `json:"labels"`
		Status struct {
			InhibitedBy []string `json:"inhibitedBy"`
		} `json:"status"`
	}
	resp, err := http.Get(base + "/api/v2/alerts")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(&alerts); err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, a := range alerts {
		out[fingerprint(a.Labels)] = len(a.Status.InhibitedBy) > 0
	}
	return out
}

// fingerprint identifies a label set.
func fingerprint(labels map[string]string) string {
	keys := slices.Sorted(maps.Keys(labels))
	var b strings.Builder
	for _, k := range keys {
		b.WriteString(k + "=" + labels[k] + ",")
	}
	return b.String()
}

// exampleWithLocalReceivers writes the example configuration with every
// receiver replaced by a webhook on 127.0.0.1 (a test server answering
// 200), so that the test sends nothing off this machine.
func exampleWithLocalReceivers(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(root, "deploy", "alertmanager", "alertmanager.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var cfg map[string]any
	if err := yaml.Unmarshal(data, &cfg); err != nil {
		t.Fatal(err)
	}
	sink := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	t.Cleanup(sink.Close)
	receivers, _ := cfg["receivers"].([]any)
	if len(receivers) == 0 {
		t.Fatal("the example has no receivers")
	}
	for i, r := range receivers {
		name := r.(map[string]any)["name"]
		receivers[i] = map[string]any{"name": name, "webhook_configs": []any{map[string]any{"url": sink.URL}}}
	}
	out, err := yaml.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "alertmanager.yml")
	if err := os.WriteFile(path, out, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// waitReady polls url until it answers 200, for up to 30 s.
func waitReady(t *testing.T, url string, log *bytes.Buffer) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not ready within 30s: %v\n%s", url, err, log.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}
