package deploy

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"

	"github.com/rtsec/rtsec/internal/testenv"
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
	rule := find[*monitoringv1.PrometheusRule](t, decodeAll(t), "base/prometheusrule.yaml")
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
