package k8s

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
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
	config []byte // prometheus.yaml, decompressed from the Secret
	// files are the contents of the pod's Secret and ConfigMap volumes by
	// the path the StatefulSet mounts them at (the kubelet's part).
	files map[string][]byte
	// reloader and prom are the StatefulSet's init-config-reloader and
	// prometheus containers.
	reloader, prom corev1.Container
	pod            string
}

// waitGenerated waits until the operator's Secret prometheus-<name> holds a
// configuration with a scrape job named by wantJob and its StatefulSet
// prometheus-<name> exists, and reads the Secrets and ConfigMaps the
// StatefulSet's volumes mount, as the kubelet would.
func waitGenerated(t *testing.T, c *cluster, operator *process, name, wantJob string) generated {
	t.Helper()
	ctx := context.Background()
	var g generated
	waitFor(t, "the operator's configuration for Prometheus "+name+" with job "+wantJob, 2*time.Minute, func() error {
		s, err := c.client.CoreV1().Secrets(monitoringNamespace).Get(ctx, "prometheus-"+name, metav1.GetOptions{})
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

	var sts *appsv1.StatefulSet
	waitFor(t, "the operator's StatefulSet prometheus-"+name+" with its rule ConfigMaps", 2*time.Minute, func() error {
		var err error
		if sts, err = c.client.AppsV1().StatefulSets(monitoringNamespace).Get(ctx, "prometheus-"+name, metav1.GetOptions{}); err != nil {
			return err
		}
		if g.files, err = volumeFiles(ctx, c, sts.Spec.Template.Spec); err != nil {
			return err
		}
		// Rule ConfigMaps are optional volumes, and the operator names more
		// of them than it fills (so that more rules need no new StatefulSet):
		// wait until the rule_files patterns match a file.
		for path := range g.files {
			for _, pattern := range cfg.RuleFiles {
				if ok, _ := filepath.Match(pattern, path); ok {
					return nil
				}
			}
		}
		return fmt.Errorf("no rule file matches %v yet", cfg.RuleFiles)
	}, operator)
	g.pod = sts.Name + "-0"
	var found int
	for _, ct := range sts.Spec.Template.Spec.InitContainers {
		if ct.Name == "init-config-reloader" {
			g.reloader, found = ct, found+1
		}
	}
	for _, ct := range sts.Spec.Template.Spec.Containers {
		if ct.Name == "prometheus" {
			g.prom, found = ct, found+1
		}
	}
	if found != 2 {
		t.Fatalf("StatefulSet %s has no init-config-reloader or prometheus container: %v", sts.Name, sts.Spec.Template.Spec)
	}
	for _, pattern := range cfg.RuleFiles {
		dir := filepath.Dir(pattern)
		if !slices.ContainsFunc(g.prom.VolumeMounts, func(m corev1.VolumeMount) bool { return m.MountPath == dir }) {
			t.Fatalf("rule_files entry %s is in no volume the prometheus container mounts", pattern)
		}
	}
	return g
}

// volumeFiles returns the files of spec's Secret, ConfigMap and projected
// volumes by the path each container mounts them at. A required ConfigMap or
// Secret that does not exist yet is an error (the kubelet would wait for it
// too); an optional one is an empty volume.
func volumeFiles(ctx context.Context, c *cluster, spec corev1.PodSpec) (map[string][]byte, error) {
	secret := func(name string) (map[string][]byte, error) {
		s, err := c.client.CoreV1().Secrets(monitoringNamespace).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return nil, err
		}
		return s.Data, nil
	}
	configMap := func(name string) (map[string][]byte, error) {
		cm, err := c.client.CoreV1().ConfigMaps(monitoringNamespace).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return nil, err
		}
		data := map[string][]byte{}
		for k, v := range cm.Data {
			data[k] = []byte(v)
		}
		maps.Copy(data, cm.BinaryData)
		return data, nil
	}
	content := map[string]map[string][]byte{} // volume name → file name → data
	for _, v := range spec.Volumes {
		data := map[string][]byte{}
		var err error
		switch {
		case v.Secret != nil:
			if data, err = secret(v.Secret.SecretName); apierrors.IsNotFound(err) && ptrTrue(v.Secret.Optional) {
				data, err = nil, nil
			}
		case v.ConfigMap != nil:
			if data, err = configMap(v.ConfigMap.Name); apierrors.IsNotFound(err) && ptrTrue(v.ConfigMap.Optional) {
				data, err = nil, nil
			}
		case v.Projected != nil:
			for _, src := range v.Projected.Sources {
				var part map[string][]byte
				switch {
				case src.Secret != nil:
					part, err = secret(src.Secret.Name)
				case src.ConfigMap != nil:
					part, err = configMap(src.ConfigMap.Name)
				}
				if apierrors.IsNotFound(err) && (src.Secret != nil && ptrTrue(src.Secret.Optional) || src.ConfigMap != nil && ptrTrue(src.ConfigMap.Optional)) {
					err = nil
				}
				if err != nil {
					break
				}
				maps.Copy(data, part)
			}
		default:
			continue // emptyDir and the like: directories, made by the pod script
		}
		if err != nil {
			return nil, fmt.Errorf("volume %s: %w", v.Name, err)
		}
		content[v.Name] = data
	}
	files := map[string][]byte{}
	for _, ct := range append(slices.Clone(spec.InitContainers), spec.Containers...) {
		for _, m := range ct.VolumeMounts {
			for name, data := range content[m.Name] {
				if m.SubPath != "" {
					if name == m.SubPath {
						files[m.MountPath] = data
					}
					continue
				}
				files[filepath.Join(m.MountPath, name)] = data
			}
		}
	}
	return files, nil
}

func ptrTrue(b *bool) bool { return b != nil && *b }

// prometheus is a running Prometheus.
type prometheus struct {
	ns   *netNS
	addr string
	proc *process
}

// runPrometheus runs the pod the operator's StatefulSet describes, as the
// kubelet would, with the binaries of tools: in its own mount namespace, a
// tmpfs over /run holds the service account token, CA and namespace at
// /var/run/secrets/kubernetes.io/serviceaccount, a tmpfs over /etc/prometheus
// holds the Secret and ConfigMap volumes where the StatefulSet mounts them;
// the init-config-reloader runs first with its generated arguments and
// environment (it expands $(SHARD) and the like into config_out), then
// prometheus with its generated arguments. Two arguments are changed, because
// three pods share one network namespace and no host path is written:
// --web.listen-address (addr) and --storage.tsdb.path (a test directory).
// KUBERNETES_SERVICE_HOST/PORT name the API server.
func runPrometheus(t *testing.T, c *cluster, tools string, g generated, token, addr string) *prometheus {
	t.Helper()
	dir := t.TempDir()
	stage := filepath.Join(dir, "stage")
	files := map[string][]byte{
		"run/secrets/kubernetes.io/serviceaccount/token":     []byte(token),
		"run/secrets/kubernetes.io/serviceaccount/ca.crt":    c.caPEM,
		"run/secrets/kubernetes.io/serviceaccount/namespace": []byte(monitoringNamespace),
	}
	var dirs []string
	for _, m := range append(slices.Clone(g.reloader.VolumeMounts), g.prom.VolumeMounts...) {
		if strings.HasPrefix(m.MountPath, "/etc/prometheus/") && m.SubPath == "" {
			dirs = append(dirs, m.MountPath) // a subPath mount is a file
		}
	}
	for path, data := range g.files {
		if !strings.HasPrefix(path, "/etc/prometheus/") {
			t.Fatalf("StatefulSet mounts %s outside /etc/prometheus, which this test does not provide", path)
		}
		files[strings.TrimPrefix(path, "/")] = data
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
	promArgs := withArg(withArg(g.prom.Args, "--web.listen-address", addr), "--storage.tsdb.path", filepath.Join(dir, "data"))
	script := fmt.Sprintf(`set -e
mount -t tmpfs -o mode=0755 rtsec-test /run
mount -t tmpfs -o mode=0755 rtsec-test /etc/prometheus
cp -r %[1]s/run/. /run/
cp -r %[1]s/etc/prometheus/. /etc/prometheus/
mkdir -p /etc/prometheus %[2]s
env %[3]s %[4]s
exec %[5]s`,
		shellQuote(stage), shellQuote(dirs...),
		shellQuote(containerEnv(t, g.reloader, g.pod)...), shellQuote(append([]string{filepath.Join(tools, "prometheus-config-reloader")}, g.reloader.Args...)...),
		shellQuote(append([]string{filepath.Join(tools, "prometheus")}, promArgs...)...))
	env := []string{"KUBERNETES_SERVICE_HOST=" + apiServerIP, "KUBERNETES_SERVICE_PORT=" + apiServerPort}
	argv := []string{"unshare", "--mount", "--propagation", "private", "sh", "-c", script}
	p := &prometheus{ns: c.ns, addr: addr}
	p.proc = c.ns.start(t, dir, "prometheus", env, argv...)
	waitFor(t, "prometheus ready", time.Minute, func() error {
		_, err := p.get("/-/ready")
		return err
	}, p.proc)
	return p
}

// withArg returns args with flag set to value: replaced where the operator
// set it, appended where not.
func withArg(args []string, flag, value string) []string {
	out := slices.DeleteFunc(slices.Clone(args), func(a string) bool { return a == flag || strings.HasPrefix(a, flag+"=") })
	return append(out, flag+"="+value)
}

// shellQuote quotes each word for sh and joins them with spaces.
func shellQuote(words ...string) string {
	quoted := make([]string, len(words))
	for i, w := range words {
		quoted[i] = "'" + strings.ReplaceAll(w, "'", `'\''`) + "'"
	}
	return strings.Join(quoted, " ")
}

// containerEnv is ct's environment as NAME=value words, with the downward
// API's metadata.name resolved to the pod's name; a value the test cannot
// resolve fails it.
func containerEnv(t *testing.T, ct corev1.Container, pod string) []string {
	t.Helper()
	var env []string
	for _, e := range ct.Env {
		switch {
		case e.ValueFrom == nil:
			env = append(env, e.Name+"="+e.Value)
		case e.ValueFrom.FieldRef != nil && e.ValueFrom.FieldRef.FieldPath == "metadata.name":
			env = append(env, e.Name+"="+pod)
		case e.ValueFrom.FieldRef != nil && e.ValueFrom.FieldRef.FieldPath == "spec.nodeName":
			env = append(env, e.Name+"="+nodeName)
		default:
			t.Fatalf("container %s: environment variable %s from %v is not provided by this test", ct.Name, e.Name, e.ValueFrom)
		}
	}
	return env
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
