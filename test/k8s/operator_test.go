// Package k8s runs the Prometheus Operator user's path for real: a real
// kube-apiserver and etcd, the real Prometheus Operator with its CRDs, the
// project's own manifests (kustomize base and Helm chart) applied to them,
// and Prometheus running exactly the configuration the operator generates,
// discovering the exporter through Kubernetes service discovery.
// No kubelet: the exporter runs on the host, and the test writes the
// DaemonSet's Pod and the Service's endpoints as the kubelet and the
// endpoint controllers would. Everything listens inside a network namespace
// of the test's own. docs/deploy.md describes what runs and what it costs.
package k8s

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/engine"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"

	"github.com/rtsec/rtsec/internal/testenv"
	"github.com/rtsec/rtsec/test/containerd"
	"github.com/rtsec/rtsec/test/exporter"
)

// root is the repository, from this package's directory.
const root = "../.."

// The attacked workload, as the CRI runtime knows it.
const (
	workloadNamespace = "shop"
	workloadPod       = "cart-7d9f8b6c5d-x2x4q"
	workloadContainer = "app"
)

// nodeName is the node the exporter's Pod object runs on.
const nodeName = "node-1"

// exporterPort is the DaemonSet's http-metrics port; the exporter listens
// on it on every address of the namespace, as in a pod.
const exporterPort = 9730

// install is one way a user installs rtsec: the manifests, the exporter
// pod's address, and the Prometheus resource that selects its monitor and
// rules as that user's Prometheus would.
type install struct {
	name      string // the release namespace
	podIP     string
	manifests []byte
	prom      prometheusSpec
	job       string // the scrape job the operator generates for the monitor
	promAddr  string // where its Prometheus listens in the namespace
	// honorLabels is what the monitor applied says.
	honorLabels bool
}

// A user following docs/deploy.md with the kustomize base or the Helm chart
// sees the series and the alerts of an attacked workload under the
// workload's namespace, pod and container: the operator's generated scrape
// configuration keeps the exporter's labels (honorLabels). The same
// installation with honorLabels off renames them exported_* and names the
// exporter's pod instead, which the test shows too, so it fails when the
// manifests lose honorLabels.
func TestPrometheusOperator(t *testing.T) {
	testenv.RequireRoot(t)
	for _, cmd := range []string{"ip", "nsenter", "unshare"} {
		testenv.RequireCommand(t, cmd)
	}
	began := time.Now()
	tools := buildTools(t)
	t.Logf("control-plane binaries ready in %s (%s)", time.Since(began).Round(time.Second), tools)

	installs := []*install{
		kustomizeInstall(t),
		helmInstall(t),
		withoutHonorLabels(t, kustomizeInstall(t), "rtsec-nohonor", "10.244.0.12", "127.0.0.1:9092"),
	}
	addrs := []string{apiServerIP}
	for _, in := range installs {
		addrs = append(addrs, in.podIP)
	}
	ns := newNetNS(t, addrs...)

	// The workload is attacked before Prometheus starts: the exporter's
	// counter is new at the first scrape, which the mixin's rules count.
	d := containerd.Start(t)
	exp := startExporter(t, ns, d.Socket())
	id := d.RunPod(t, workloadNamespace, workloadPod, workloadContainer, "sleep", "3600")
	d.Exec(t, id, "sh", "-c", "ln -s /bin/busybox /tmp/xmrig; /tmp/xmrig --donate-level 1 2>/dev/null; exit 0")
	waitFor(t, "the exporter to count the miner", 30*time.Second, func() error {
		body, err := getIn(ns, fmt.Sprintf("http://%s:%d/metrics", installs[0].podIP, exporterPort))
		if err != nil {
			return err
		}
		if !bytes.Contains(body, []byte(`binary="xmrig"`)) {
			return fmt.Errorf("no binary=\"xmrig\" series yet")
		}
		return nil
	}, exp)

	clusterStart := time.Now()
	c := startCluster(t, ns, tools)
	crds, err := os.ReadFile(filepath.Join(tools, "crds.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	c.waitEstablished(t, c.apply(t, "", crds))
	operator := ns.start(t, t.TempDir(), "prometheus-operator", []string{"KUBECONFIG=" + c.kubeconfig(t)},
		filepath.Join(tools, "operator"), "--web.listen-address=127.0.0.1:8080", "--log-level=debug")
	token := setUpPrometheusAccess(t, c)
	t.Logf("API server, CRDs and operator up in %s", time.Since(clusterStart).Round(time.Second))

	for _, in := range installs {
		applyInstall(t, c, in)
		createPrometheus(t, c, in.prom)
	}
	proms := map[string]*prometheus{}
	for _, in := range installs {
		g := waitGenerated(t, c, operator, in.prom.name, in.job)
		if got := bytes.Contains(g.config, []byte("honor_labels: true")); got != in.honorLabels {
			t.Errorf("%s: generated configuration has honor_labels: true = %v, want %v:\n%s", in.name, got, in.honorLabels, g.config)
		}
		proms[in.name] = runPrometheus(t, c, tools, g, token, in.promAddr)
	}

	for _, in := range installs {
		t.Run(in.name, func(t *testing.T) {
			p := proms[in.name]
			series := waitSeries(t, p, `rtsec_process_execs_total{binary="xmrig"}`)
			t.Logf("scraped: %v", series)
			alert := waitAlert(t, p, "RtsecMinerExecuted")
			t.Logf("alert: %v", alert)
			for what, labels := range map[string]map[string]string{"series": series, "alert": alert} {
				if in.honorLabels {
					checkWorkloadLabels(t, what, labels)
				} else {
					checkExportedLabels(t, what, labels, in.name)
				}
			}
			if series["job"] != "rtsec" || series["node"] != nodeName {
				t.Errorf("series job=%q node=%q, want job=rtsec (the mixin's selector) and node=%s (the monitor's relabelling)", series["job"], series["node"], nodeName)
			}
		})
	}
	t.Logf("whole test: %s", time.Since(began).Round(time.Second))
}

// buildTools runs scripts/k8s-tools.sh and returns the directory of the
// binaries and CRDs: at once when they are cached, else after building them
// (a cold build takes many minutes; make test builds them first).
func buildTools(t *testing.T) string {
	t.Helper()
	testenv.RequireCommand(t, "go")
	cmd := exec.Command(filepath.Join(root, "scripts", "k8s-tools.sh"))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("scripts/k8s-tools.sh: %v\n%s", err, stderr.Bytes())
	}
	return strings.TrimSpace(string(out))
}

// kustomizeInstall is `kubectl apply -k deploy/kubernetes`, built with the
// kustomize API as kubectl does, scraped by the ServiceMonitor.
func kustomizeInstall(t *testing.T) *install {
	t.Helper()
	m, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(filesys.MakeFsOnDisk(), filepath.Join(root, "deploy", "kubernetes"))
	if err != nil {
		t.Fatalf("kustomize deploy/kubernetes: %v", err)
	}
	docs, err := m.AsYaml()
	if err != nil {
		t.Fatal(err)
	}
	return &install{
		name:      "rtsec",
		podIP:     "10.244.0.10",
		manifests: docs,
		prom: prometheusSpec{name: "kustomize", selectors: `
serviceMonitorSelector: {matchLabels: {app.kubernetes.io/name: rtsec}}
serviceMonitorNamespaceSelector: {matchLabels: {kubernetes.io/metadata.name: rtsec}}
ruleSelector: {matchLabels: {app.kubernetes.io/name: rtsec}}
ruleNamespaceSelector: {matchLabels: {kubernetes.io/metadata.name: rtsec}}`},
		job:         "serviceMonitor/rtsec/rtsec/0",
		promAddr:    "127.0.0.1:9090",
		honorLabels: true,
	}
}

// helmValues are what a kube-prometheus-stack user passes: a PodMonitor
// instead of the ServiceMonitor, and the release label their Prometheus's
// podMonitorSelector and ruleSelector match.
const helmValues = `
namespace: {create: true}
image: {repository: registry.example.com/rtsec/rtsec_exporter, tag: v0.1.0}
serviceMonitor: {enabled: false}
podMonitor: {enabled: true, interval: 5s, labels: {release: kube-prometheus}}
prometheusRule: {labels: {release: kube-prometheus}}
`

// helmInstall is `helm install rtsec deploy/helm/rtsec -n rtsec-helm -f
// values.yaml` against this API server: the chart rendered by Helm's engine
// with the values checked against the chart's schema and the capabilities
// Helm reads from the API server's discovery.
func helmInstall(t *testing.T) *install {
	t.Helper()
	const namespace = "rtsec-helm"
	return &install{
		name:      namespace,
		podIP:     "10.244.0.11",
		manifests: nil, // rendered by applyInstall, which has the API server's capabilities
		prom: prometheusSpec{name: "helm", selectors: `
podMonitorSelector: {matchLabels: {release: kube-prometheus}}
podMonitorNamespaceSelector: {}
ruleSelector: {matchLabels: {release: kube-prometheus}}
ruleNamespaceSelector: {}`},
		job:         "podMonitor/" + namespace + "/rtsec/0",
		promAddr:    "127.0.0.1:9091",
		honorLabels: true,
	}
}

// renderChart renders deploy/helm/rtsec as helm install does.
func renderChart(t *testing.T, c *cluster, namespace, values string) []byte {
	t.Helper()
	chrt, err := loader.Load(filepath.Join(root, "deploy", "helm", "rtsec"))
	if err != nil {
		t.Fatal(err)
	}
	vals, err := chartutil.ReadValues([]byte(values))
	if err != nil {
		t.Fatal(err)
	}
	caps := chartutil.DefaultCapabilities.Copy()
	if caps.APIVersions, err = action.GetVersionSet(c.disc); err != nil {
		t.Fatalf("API versions: %v", err)
	}
	v, err := c.client.Discovery().ServerVersion()
	if err != nil {
		t.Fatal(err)
	}
	caps.KubeVersion = chartutil.KubeVersion{Version: v.GitVersion, Major: v.Major, Minor: v.Minor}
	top, err := chartutil.ToRenderValues(chrt, vals, chartutil.ReleaseOptions{Name: "rtsec", Namespace: namespace, IsInstall: true}, caps)
	if err != nil {
		t.Fatalf("helm values: %v", err)
	}
	rendered, err := engine.Render(chrt, top)
	if err != nil {
		t.Fatalf("helm render: %v", err)
	}
	// Helm installs Namespaces first; the rest in any order here.
	names := make([]string, 0, len(rendered))
	for name := range rendered {
		if !strings.HasSuffix(name, "NOTES.txt") {
			names = append(names, name)
		}
	}
	sort.Slice(names, func(i, j int) bool {
		ni, nj := strings.HasSuffix(names[i], "/namespace.yaml"), strings.HasSuffix(names[j], "/namespace.yaml")
		if ni != nj {
			return ni
		}
		return names[i] < names[j]
	})
	var out bytes.Buffer
	for _, name := range names {
		fmt.Fprintf(&out, "---\n%s\n", rendered[name])
	}
	return out.Bytes()
}

// withoutHonorLabels is in moved to namespace (its own Prometheus, pod
// address and Prometheus address) with honorLabels removed from its
// ServiceMonitor: the installation as it was before the fix.
func withoutHonorLabels(t *testing.T, in *install, namespace, podIP, promAddr string) *install {
	t.Helper()
	var out bytes.Buffer
	for _, doc := range bytes.Split(in.manifests, []byte("\n---\n")) {
		var obj map[string]any
		if err := yaml.Unmarshal(doc, &obj); err != nil {
			t.Fatal(err)
		}
		u := unstructured.Unstructured{Object: obj}
		switch u.GetKind() {
		case "Namespace":
			u.SetName(namespace)
		default:
			u.SetNamespace(namespace)
		}
		if u.GetKind() == "ServiceMonitor" {
			eps, _, _ := unstructured.NestedSlice(obj, "spec", "endpoints")
			for _, ep := range eps {
				delete(ep.(map[string]any), "honorLabels")
			}
			unstructured.SetNestedSlice(obj, eps, "spec", "endpoints")
		}
		b, err := yaml.Marshal(obj)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&out, "---\n%s", b)
	}
	in.name, in.podIP, in.promAddr, in.manifests, in.honorLabels = namespace, podIP, promAddr, out.Bytes(), false
	in.prom.name = "nohonor"
	in.prom.selectors = strings.ReplaceAll(in.prom.selectors, "kubernetes.io/metadata.name: rtsec", "kubernetes.io/metadata.name: "+namespace)
	in.job = "serviceMonitor/" + namespace + "/rtsec/0"
	return in
}

// applyInstall applies the installation's manifests and writes what the
// cluster's controllers and the kubelet would: the DaemonSet's Pod on
// nodeName, running with the install's address, and (when there is a
// Service) its Endpoints and EndpointSlice.
func applyInstall(t *testing.T, c *cluster, in *install) {
	t.Helper()
	if in.manifests == nil {
		in.manifests = renderChart(t, c, in.name, helmValues)
	}
	objs := c.apply(t, in.name, in.manifests)
	var ds *appsv1.DaemonSet
	var svc *corev1.Service
	for _, o := range objs {
		switch o.GetKind() {
		case "DaemonSet":
			ds = &appsv1.DaemonSet{}
			if err := runtime.DefaultUnstructuredConverter.FromUnstructured(o.Object, ds); err != nil {
				t.Fatal(err)
			}
		case "Service":
			svc = &corev1.Service{}
			if err := runtime.DefaultUnstructuredConverter.FromUnstructured(o.Object, svc); err != nil {
				t.Fatal(err)
			}
		}
	}
	if ds == nil {
		t.Fatalf("%s: the manifests have no DaemonSet", in.name)
	}
	pod := createPod(t, c, ds, in.podIP)
	if svc != nil {
		createEndpoints(t, c, svc, pod)
	}
}

// createPod creates the Pod the DaemonSet controller would for nodeName and
// sets the status the kubelet would report once it runs.
func createPod(t *testing.T, c *cluster, ds *appsv1.DaemonSet, ip string) *corev1.Pod {
	t.Helper()
	ctx := context.Background()
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	tmpl := ds.Spec.Template
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Name:        ds.Name + "-" + hex.EncodeToString(b)[:5],
			Namespace:   ds.Namespace,
			Labels:      tmpl.Labels,
			Annotations: tmpl.Annotations,
			OwnerReferences: []metav1.OwnerReference{{
				APIVersion: "apps/v1", Kind: "DaemonSet", Name: ds.Name, UID: ds.UID,
				Controller: ptr(true), BlockOwnerDeletion: ptr(true),
			}},
		},
		Spec: tmpl.Spec,
	}
	pod.Spec.NodeName = nodeName
	pod, err := c.client.CoreV1().Pods(ds.Namespace).Create(ctx, pod, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create the DaemonSet's pod: %v", err)
	}
	now := metav1.Now()
	pod.Status = corev1.PodStatus{
		Phase:     corev1.PodRunning,
		HostIP:    ip,
		HostIPs:   []corev1.HostIP{{IP: ip}},
		PodIP:     ip,
		PodIPs:    []corev1.PodIP{{IP: ip}},
		StartTime: &now,
	}
	for _, cond := range []corev1.PodConditionType{corev1.PodScheduled, corev1.PodInitialized, corev1.ContainersReady, corev1.PodReady} {
		pod.Status.Conditions = append(pod.Status.Conditions, corev1.PodCondition{Type: cond, Status: corev1.ConditionTrue, LastTransitionTime: now})
	}
	for _, ctr := range pod.Spec.Containers {
		pod.Status.ContainerStatuses = append(pod.Status.ContainerStatuses, corev1.ContainerStatus{
			Name: ctr.Name, Image: ctr.Image, Ready: true, Started: ptr(true),
			State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: now}},
		})
	}
	pod, err = c.client.CoreV1().Pods(ds.Namespace).UpdateStatus(ctx, pod, metav1.UpdateOptions{})
	if err != nil {
		t.Fatalf("set the pod's status: %v", err)
	}
	return pod
}

// createEndpoints writes the Service's Endpoints and EndpointSlice as the
// endpoint controllers would for pod: Prometheus's service discovery uses
// one or the other depending on the Prometheus resource.
func createEndpoints(t *testing.T, c *cluster, svc *corev1.Service, pod *corev1.Pod) {
	t.Helper()
	ctx := context.Background()
	ref := &corev1.ObjectReference{Kind: "Pod", Namespace: pod.Namespace, Name: pod.Name, UID: pod.UID}
	node := nodeName
	var ports []corev1.EndpointPort
	var slicePorts []discoveryv1.EndpointPort
	for _, sp := range svc.Spec.Ports {
		port := int32(exporterPort)
		if sp.TargetPort.IntVal != 0 {
			port = sp.TargetPort.IntVal
		}
		ports = append(ports, corev1.EndpointPort{Name: sp.Name, Port: port, Protocol: sp.Protocol})
		slicePorts = append(slicePorts, discoveryv1.EndpointPort{Name: ptr(sp.Name), Port: ptr(port), Protocol: ptr(sp.Protocol)})
	}
	ep := &corev1.Endpoints{
		ObjectMeta: metav1.ObjectMeta{Name: svc.Name, Namespace: svc.Namespace, Labels: svc.Labels},
		Subsets: []corev1.EndpointSubset{{
			Addresses: []corev1.EndpointAddress{{IP: pod.Status.PodIP, NodeName: &node, TargetRef: ref}},
			Ports:     ports,
		}},
	}
	if _, err := c.client.CoreV1().Endpoints(svc.Namespace).Create(ctx, ep, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create Endpoints: %v", err)
	}
	labels := map[string]string{discoveryv1.LabelServiceName: svc.Name, discoveryv1.LabelManagedBy: "rtsec-test"}
	for k, v := range svc.Labels {
		labels[k] = v
	}
	slice := &discoveryv1.EndpointSlice{
		ObjectMeta:  metav1.ObjectMeta{Name: svc.Name + "-test", Namespace: svc.Namespace, Labels: labels},
		AddressType: discoveryv1.AddressTypeIPv4,
		Endpoints: []discoveryv1.Endpoint{{
			Addresses:  []string{pod.Status.PodIP},
			Conditions: discoveryv1.EndpointConditions{Ready: ptr(true), Serving: ptr(true)},
			NodeName:   &node,
			TargetRef:  ref,
		}},
		Ports: slicePorts,
	}
	if _, err := c.client.DiscoveryV1().EndpointSlices(svc.Namespace).Create(ctx, slice, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create EndpointSlice: %v", err)
	}
}

// startExporter runs rtsec_exporter in the namespace with the DaemonSet's
// listen address, reading pod metadata from the CRI socket.
func startExporter(t *testing.T, ns *netNS, criSocket string) *process {
	t.Helper()
	bin := exporter.Build(t)
	p := ns.start(t, t.TempDir(), "rtsec_exporter", nil, bin,
		fmt.Sprintf("--web.listen-address=:%d", exporterPort), "--runtime.cri-socket="+criSocket, exporter.StateFile(t, nil)[0])
	waitFor(t, "the exporter to serve /metrics", time.Minute, func() error {
		_, err := getIn(ns, fmt.Sprintf("http://127.0.0.1:%d/metrics", exporterPort))
		return err
	}, p)
	return p
}

// getIn fetches url from inside the namespace.
func getIn(ns *netNS, url string) ([]byte, error) {
	hc := &http.Client{Transport: &http.Transport{DialContext: ns.DialContext}, Timeout: 10 * time.Second}
	resp, err := hc.Get(url)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var body bytes.Buffer
	if _, err := body.ReadFrom(resp.Body); err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return body.Bytes(), nil
}

// waitSeries waits until q returns exactly one series and returns its labels.
func waitSeries(t *testing.T, p *prometheus, q string) map[string]string {
	t.Helper()
	var got []map[string]string
	waitFor(t, "one series for "+q, 2*time.Minute, func() error {
		var err error
		if got, err = p.query(q); err != nil {
			return err
		}
		if len(got) != 1 {
			return fmt.Errorf("%d series %v; targets: %s", len(got), got, p.targets())
		}
		return nil
	}, p.proc)
	return got[0]
}

// waitAlert waits until exactly one alert named name fires and returns its
// labels; ALERTS must agree with /api/v1/alerts.
func waitAlert(t *testing.T, p *prometheus, name string) map[string]string {
	t.Helper()
	var got []map[string]string
	waitFor(t, "alert "+name+" firing", 2*time.Minute, func() error {
		var err error
		if got, err = p.alerts(name); err != nil {
			return err
		}
		if len(got) != 1 {
			return fmt.Errorf("%d firing %v", len(got), got)
		}
		return nil
	}, p.proc)
	series, err := p.query(fmt.Sprintf(`ALERTS{alertname=%q, alertstate="firing"}`, name))
	if err != nil {
		t.Fatal(err)
	}
	if len(series) != 1 || series[0]["namespace"] != got[0]["namespace"] || series[0]["pod"] != got[0]["pod"] {
		t.Errorf("ALERTS = %v, want the one alert of /api/v1/alerts %v", series, got[0])
	}
	return got[0]
}

// checkWorkloadLabels asserts labels name the attacked workload and carry
// no exported_* label.
func checkWorkloadLabels(t *testing.T, what string, labels map[string]string) {
	t.Helper()
	want := map[string]string{"namespace": workloadNamespace, "pod": workloadPod, "container": workloadContainer}
	for k, v := range want {
		if labels[k] != v {
			t.Errorf("%s %s=%q, want %q (the workload's): %v", what, k, labels[k], v, labels)
		}
	}
	for k := range labels {
		if strings.HasPrefix(k, "exported_") {
			t.Errorf("%s has %s: the scrape overrode the exporter's labels: %v", what, k, labels)
		}
	}
}

// checkExportedLabels asserts what a scrape without honorLabels gives: the
// series keeps the workload only in exported_* labels and its namespace is
// the exporter's; the alert, aggregated by namespace/pod/container, names
// the exporter's pod.
func checkExportedLabels(t *testing.T, what string, labels map[string]string, exporterNamespace string) {
	t.Helper()
	if labels["namespace"] != exporterNamespace || labels["container"] == workloadContainer {
		t.Errorf("%s without honorLabels: namespace=%q container=%q, want the exporter's (%s, not %s): %v",
			what, labels["namespace"], labels["container"], exporterNamespace, workloadContainer, labels)
	}
	if what == "series" {
		for k, v := range map[string]string{"exported_namespace": workloadNamespace, "exported_pod": workloadPod, "exported_container": workloadContainer} {
			if labels[k] != v {
				t.Errorf("series without honorLabels: %s=%q, want %q: %v", k, labels[k], v, labels)
			}
		}
	}
	if !strings.HasPrefix(labels["pod"], "rtsec-exporter-") {
		t.Errorf("%s without honorLabels: pod=%q, want the exporter's pod: %v", what, labels["pod"], labels)
	}
}
