package k8s

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"
)

// monitoringNamespace holds the Prometheus objects and the service account
// Prometheus runs as.
const monitoringNamespace = "monitoring"

// prometheusVersion is the version of the prometheus binary
// scripts/k8s-tools.sh builds (github.com/prometheus/prometheus v0.310.0, the
// release the operator's module requires): the Prometheus resource names it
// so that the operator generates a configuration this Prometheus accepts.
// Not the Debian package's: Debian builds Prometheus without Kubernetes
// service discovery.
const prometheusVersion = "v3.10.0"

// setUpPrometheusAccess creates the monitoring namespace, the prometheus
// service account with the read access Prometheus's Kubernetes service
// discovery needs (as the operator's documentation grants it), and returns
// a token for it from the TokenRequest API, which is what the kubelet mounts
// into a pod.
func setUpPrometheusAccess(t *testing.T, c *cluster) string {
	t.Helper()
	c.apply(t, "", []byte(`
apiVersion: v1
kind: Namespace
metadata: {name: monitoring}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: prometheus, namespace: monitoring}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: prometheus}
rules:
- apiGroups: [""]
  resources: [nodes, nodes/metrics, services, endpoints, pods]
  verbs: [get, list, watch]
- apiGroups: [discovery.k8s.io]
  resources: [endpointslices]
  verbs: [get, list, watch]
- apiGroups: [""]
  resources: [configmaps]
  verbs: [get]
- nonResourceURLs: [/metrics]
  verbs: [get]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: prometheus}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: prometheus}
subjects:
- {kind: ServiceAccount, name: prometheus, namespace: monitoring}
`))
	var token string
	waitFor(t, "a token for the prometheus service account", time.Minute, func() error {
		tr, err := c.client.CoreV1().ServiceAccounts(monitoringNamespace).CreateToken(context.Background(), "prometheus",
			&authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: ptr(int64(3600))}}, metav1.CreateOptions{})
		if err != nil {
			return err
		}
		token = tr.Status.Token
		return nil
	}, c.procs...)
	return token
}

func ptr[T any](v T) *T { return &v }

// prometheusSpec is a Prometheus resource's name and the selectors it
// picks its monitors and rules with, as a user of the operator writes them.
type prometheusSpec struct {
	name string
	// selectors is the YAML of the spec's selector fields.
	selectors string
}

// createPrometheus applies the Prometheus resource.
func createPrometheus(t *testing.T, c *cluster, p prometheusSpec) {
	t.Helper()
	c.apply(t, monitoringNamespace, []byte(fmt.Sprintf(`
apiVersion: monitoring.coreos.com/v1
kind: Prometheus
metadata: {name: %s, namespace: monitoring}
spec:
  version: %s
  serviceAccountName: prometheus
  evaluationInterval: 1s
%s`, p.name, prometheusVersion, indent(p.selectors, "  "))))
}

func indent(s, prefix string) string {
	return prefix + strings.ReplaceAll(strings.TrimSpace(s), "\n", "\n"+prefix) + "\n"
}

// generated is what the operator generated for one Prometheus resource.
type generated struct {
	config []byte            // prometheus.yaml, from the Secret
	rules  map[string][]byte // rule files by path, from the rule ConfigMaps
}

// waitGenerated waits until the operator's Secret prometheus-<name> holds a
// configuration with a scrape job named by wantJob, and reads the rule
// ConfigMaps that configuration's rule_files name.
func waitGenerated(t *testing.T, c *cluster, operator *process, name, wantJob string) generated {
	t.Helper()
	var g generated
	waitFor(t, "the operator's configuration for Prometheus "+name+" with job "+wantJob, 2*time.Minute, func() error {
		s, err := c.client.CoreV1().Secrets(monitoringNamespace).Get(context.Background(), "prometheus-"+name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		zr, err := gzip.NewReader(bytes.NewReader(s.Data["prometheus.yaml.gz"]))
		if err != nil {
			return fmt.Errorf("prometheus.yaml.gz: %w", err)
		}
		g.config, err = io.ReadAll(zr)
		if err != nil {
			return fmt.Errorf("prometheus.yaml.gz: %w", err)
		}
		if !bytes.Contains(g.config, []byte("job_name: "+wantJob)) {
			return fmt.Errorf("no job %s yet in:\n%s", wantJob, g.config)
		}
		return nil
	}, operator)

	var cfg struct {
		RuleFiles []string `json:"rule_files"`
	}
	if err := yaml.Unmarshal(g.config, &cfg); err != nil {
		t.Fatalf("generated configuration: %v", err)
	}
	if len(cfg.RuleFiles) == 0 {
		t.Fatalf("generated configuration has no rule_files: the PrometheusRule was not selected:\n%s", g.config)
	}
	for _, pattern := range cfg.RuleFiles {
		// The StatefulSet mounts the rule ConfigMaps under RulesDir.
		if !strings.HasPrefix(pattern, "/etc/prometheus/rules/prometheus-"+name+"-rulefiles-") {
			t.Fatalf("rule_files entry %s is not a rule ConfigMap of %s", pattern, name)
		}
	}
	g.rules = map[string][]byte{}
	waitFor(t, "the rule ConfigMaps of "+name, time.Minute, func() error {
		list, err := c.client.CoreV1().ConfigMaps(monitoringNamespace).List(context.Background(), metav1.ListOptions{})
		if err != nil {
			return err
		}
		for _, cm := range list.Items {
			if !strings.HasPrefix(cm.Name, "prometheus-"+name+"-rulefiles-") {
				continue
			}
			for file, text := range cm.Data {
				g.rules[filepath.Join("/etc/prometheus/rules", cm.Name, file)] = []byte(text)
			}
		}
		if len(g.rules) == 0 {
			return fmt.Errorf("no rule ConfigMap prometheus-%s-rulefiles-* yet", name)
		}
		return nil
	}, operator)
	return g
}

// prometheus is a running Prometheus.
type prometheus struct {
	ns   *netNS
	addr string
	proc *process
}

// runPrometheus runs the prometheus binary of tools with exactly the
// generated configuration, as the operator's StatefulSet would: in its own
// mount namespace, a tmpfs over /run holds the service account token, CA and
// namespace at /var/run/secrets/kubernetes.io/serviceaccount (where the
// kubelet mounts them and Prometheus's in-cluster configuration reads them),
// a tmpfs over /etc/prometheus holds the rule files where the StatefulSet
// mounts the rule ConfigMaps, and KUBERNETES_SERVICE_HOST/PORT name the API
// server. Only that process sees the mounts.
func runPrometheus(t *testing.T, c *cluster, tools string, g generated, token, addr string) *prometheus {
	t.Helper()
	dir := t.TempDir()
	stage := filepath.Join(dir, "stage")
	files := map[string][]byte{
		"serviceaccount/token":     []byte(token),
		"serviceaccount/ca.crt":    c.caPEM,
		"serviceaccount/namespace": []byte(monitoringNamespace),
		"prometheus.yaml":          g.config,
	}
	for path, text := range g.rules {
		files[filepath.Join("rules", strings.TrimPrefix(path, "/etc/prometheus/rules/"))] = text
	}
	for name, data := range files {
		path := filepath.Join(stage, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	script := `set -e
mount -t tmpfs -o mode=0755 rtsec-test /run
mkdir -p /run/secrets/kubernetes.io
cp -r "$STAGE/serviceaccount" /run/secrets/kubernetes.io/
mount -t tmpfs -o mode=0755 rtsec-test /etc/prometheus
cp -r "$STAGE/rules" /etc/prometheus/
exec "$PROMETHEUS" --config.file="$STAGE/prometheus.yaml" --storage.tsdb.path="$DATA" \
  --web.listen-address="$ADDR" --log.level=debug`
	env := []string{
		"PROMETHEUS=" + filepath.Join(tools, "prometheus"), "STAGE=" + stage, "DATA=" + filepath.Join(dir, "data"), "ADDR=" + addr,
		"KUBERNETES_SERVICE_HOST=" + apiServerIP, "KUBERNETES_SERVICE_PORT=" + apiServerPort,
	}
	p := &prometheus{ns: c.ns, addr: addr}
	p.proc = c.ns.start(t, dir, "prometheus", env, "unshare", "--mount", "--propagation", "private", "sh", "-c", script)
	waitFor(t, "prometheus ready", time.Minute, func() error {
		_, err := p.get("/-/ready")
		return err
	}, p.proc)
	return p
}

// get fetches a path from Prometheus, through the namespace.
func (p *prometheus) get(path string) ([]byte, error) {
	hc := &http.Client{Transport: &http.Transport{DialContext: p.ns.DialContext}, Timeout: 10 * time.Second}
	resp, err := hc.Get("http://" + p.addr + path)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s: %s", path, resp.Status, body)
	}
	return body, nil
}

// query runs an instant query and returns the label sets of the result.
func (p *prometheus) query(q string) ([]map[string]string, error) {
	body, err := p.get("/api/v1/query?query=" + url.QueryEscape(q))
	if err != nil {
		return nil, err
	}
	var r struct {
		Data struct {
			Result []struct {
				Metric map[string]string `json:"metric"`
			} `json:"result"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &r); err != nil {
		return nil, fmt.Errorf("query %s: %w", q, err)
	}
	var out []map[string]string
	for _, s := range r.Data.Result {
		out = append(out, s.Metric)
	}
	return out, nil
}

// alerts returns the label sets of the firing alerts named name, from
// /api/v1/alerts.
func (p *prometheus) alerts(name string) ([]map[string]string, error) {
	body, err := p.get("/api/v1/alerts")
	if err != nil {
		return nil, err
	}
	var r struct {
		Data struct {
			Alerts []struct {
				Labels map[string]string `json:"labels"`
				State  string            `json:"state"`
			} `json:"alerts"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &r); err != nil {
		return nil, fmt.Errorf("/api/v1/alerts: %w", err)
	}
	var out []map[string]string
	for _, a := range r.Data.Alerts {
		if a.Labels["alertname"] == name && a.State == "firing" {
			out = append(out, a.Labels)
		}
	}
	return out, nil
}

// targets returns Prometheus's active targets' labels and health, for
// failure messages.
func (p *prometheus) targets() string {
	body, err := p.get("/api/v1/targets?state=active")
	if err != nil {
		return err.Error()
	}
	return string(body)
}
