package deploy

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/rtsec/rtsec/exporter/privileges"
)

// mixinJob is the job label the mixin's rtsecSelector expects.
const mixinJob = "rtsec"

// The DaemonSet adds exactly the documented capability set, which the
// least-privilege tests (test/integration) grant the exporter, and keeps
// the pod-security settings the threat model asks of workloads.
func TestDaemonSetLeastPrivilege(t *testing.T) {
	ds := find[*appsv1.DaemonSet](t, decodeAll(t), "base/daemonset.yaml")
	checkLeastPrivilege(t, ds)
	if !slices.ContainsFunc(ds.Spec.Template.Spec.Tolerations, func(t corev1.Toleration) bool {
		return t.Key == "" && t.Operator == corev1.TolerationOpExists && t.Effect == ""
	}) {
		t.Error("DaemonSet does not tolerate every taint")
	}
}

// checkLeastPrivilege checks the security settings of a DaemonSet of the
// kustomize base or of the chart, which no value may change.
func checkLeastPrivilege(t *testing.T, ds *appsv1.DaemonSet) {
	t.Helper()
	pod := ds.Spec.Template.Spec
	if len(pod.Containers) != 1 {
		t.Fatalf("%d containers, want 1", len(pod.Containers))
	}
	c := pod.Containers[0]
	sc := c.SecurityContext
	if sc == nil || sc.Capabilities == nil {
		t.Fatal("no container securityContext.capabilities")
	}
	var want []corev1.Capability
	for _, capability := range privileges.Documented {
		want = append(want, corev1.Capability(strings.TrimPrefix(capability.Name, "CAP_")))
	}
	if !slices.Equal(sc.Capabilities.Add, want) {
		t.Errorf("capabilities.add = %v, want the documented set %v", sc.Capabilities.Add, want)
	}
	if !slices.Equal(sc.Capabilities.Drop, []corev1.Capability{"ALL"}) {
		t.Errorf("capabilities.drop = %v, want [ALL]", sc.Capabilities.Drop)
	}
	checks := []struct {
		what string
		ok   bool
	}{
		{"privileged: false", sc.Privileged != nil && !*sc.Privileged},
		{"allowPrivilegeEscalation: false", sc.AllowPrivilegeEscalation != nil && !*sc.AllowPrivilegeEscalation},
		{"readOnlyRootFilesystem: true", sc.ReadOnlyRootFilesystem != nil && *sc.ReadOnlyRootFilesystem},
		{"seccomp RuntimeDefault", pod.SecurityContext != nil && pod.SecurityContext.SeccompProfile != nil && pod.SecurityContext.SeccompProfile.Type == corev1.SeccompProfileTypeRuntimeDefault},
		{"hostPID", pod.HostPID},
		{"no host network", !pod.HostNetwork},
		{"no service account token", pod.AutomountServiceAccountToken != nil && !*pod.AutomountServiceAccountToken},
		{"resource requests and limits", c.Resources.Requests.Cpu().MilliValue() > 0 && c.Resources.Requests.Memory().Value() > 0 && c.Resources.Limits.Memory().Value() > 0},
		{"startup, readiness and liveness probes", c.StartupProbe != nil && c.ReadinessProbe != nil && c.LivenessProbe != nil},
	}
	for _, check := range checks {
		if !check.ok {
			t.Errorf("DaemonSet lacks %s", check.what)
		}
	}
	for _, m := range c.VolumeMounts {
		if !m.ReadOnly {
			t.Errorf("volume %s mounted read-write, want every host path read-only", m.Name)
		}
	}
	for _, v := range pod.Volumes {
		if v.HostPath == nil {
			t.Errorf("volume %s is not a host path", v.Name)
		}
	}
	for _, probe := range []*corev1.Probe{c.StartupProbe, c.ReadinessProbe, c.LivenessProbe} {
		if probe == nil || probe.HTTPGet == nil {
			continue
		}
		if !slices.ContainsFunc(c.Ports, func(p corev1.ContainerPort) bool { return p.Name == probe.HTTPGet.Port.String() }) {
			t.Errorf("probe on port %s, which the container does not name", probe.HTTPGet.Port.String())
		}
	}
}

// The Service selects the DaemonSet's pods and the ServiceMonitor the
// Service and its port; both monitors set job="rtsec" for the mixin.
func TestMonitorsSelectTheExporter(t *testing.T) {
	objects := decodeAll(t)
	ds := find[*appsv1.DaemonSet](t, objects, "base/daemonset.yaml")
	svc := find[*corev1.Service](t, objects, "base/service.yaml")
	sm := find[*monitoringv1.ServiceMonitor](t, objects, "base/servicemonitor.yaml")
	pm := find[*monitoringv1.PodMonitor](t, objects, "overlays/podmonitor/podmonitor.yaml")
	podLabels := labels.Set(ds.Spec.Template.Labels)
	container := ds.Spec.Template.Spec.Containers[0]

	if !labels.SelectorFromSet(svc.Spec.Selector).Matches(podLabels) {
		t.Errorf("Service selector %v does not match the pod labels %v", svc.Spec.Selector, podLabels)
	}
	for _, p := range svc.Spec.Ports {
		if !slices.ContainsFunc(container.Ports, func(cp corev1.ContainerPort) bool { return cp.Name == p.TargetPort.String() }) {
			t.Errorf("Service port %s targets %s, which the container does not name", p.Name, p.TargetPort.String())
		}
	}
	if !selects(t, sm.Spec.Selector.MatchLabels, svc.Labels) {
		t.Errorf("ServiceMonitor selector %v does not match the Service labels %v", sm.Spec.Selector.MatchLabels, svc.Labels)
	}
	for _, ep := range sm.Spec.Endpoints {
		if !slices.ContainsFunc(svc.Spec.Ports, func(p corev1.ServicePort) bool { return p.Name == ep.Port }) {
			t.Errorf("ServiceMonitor endpoint port %q is not a Service port name", ep.Port)
		}
	}
	if got := svc.Labels[sm.Spec.JobLabel]; got != mixinJob {
		t.Errorf("ServiceMonitor job (Service label %q) = %q, want %q", sm.Spec.JobLabel, got, mixinJob)
	}
	if !selects(t, pm.Spec.Selector.MatchLabels, podLabels) {
		t.Errorf("PodMonitor selector %v does not match the pod labels %v", pm.Spec.Selector.MatchLabels, podLabels)
	}
	for _, ep := range pm.Spec.PodMetricsEndpoints {
		if ep.Port == nil || !slices.ContainsFunc(container.Ports, func(p corev1.ContainerPort) bool { return p.Name == *ep.Port }) {
			t.Errorf("PodMonitor endpoint port %v is not a container port name", ep.Port)
		}
	}
	if got := podLabels[pm.Spec.JobLabel]; got != mixinJob {
		t.Errorf("PodMonitor job (pod label %q) = %q, want %q", pm.Spec.JobLabel, got, mixinJob)
	}
}

// selects reports whether a non-empty matchLabels selector matches set.
func selects(t *testing.T, matchLabels, set map[string]string) bool {
	t.Helper()
	return len(matchLabels) > 0 && labels.SelectorFromSet(matchLabels).Matches(labels.Set(set))
}

// The chart's README, the one file generated under deploy/, equals what
// `make generate` writes.
func TestGeneratedFilesAreCurrent(t *testing.T) {
	files, err := Generated(root)
	if err != nil {
		t.Fatal(err)
	}
	for path, want := range files {
		got, err := os.ReadFile(filepath.Join(root, path))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from what make generate writes: run make generate", path)
		}
	}
}

// Every kustomization lists files (or kustomization directories) that
// exist, and every manifest is listed by a kustomization.
func TestKustomizationsListEveryManifest(t *testing.T) {
	objects := decodeAll(t)
	listed := map[string]bool{}
	for _, o := range objects {
		k, ok := o.obj.(*kustomization)
		if !ok {
			continue
		}
		listed[o.file] = true
		dir := filepath.Dir(o.file)
		paths := slices.Clone(k.Resources)
		for _, p := range k.Patches {
			paths = append(paths, p.Path)
		}
		for _, p := range paths {
			path := filepath.Join(dir, p)
			info, err := os.Stat(path)
			if err != nil {
				t.Errorf("%s lists %s: %v", o.file, p, err)
				continue
			}
			if info.IsDir() {
				path = filepath.Join(path, "kustomization.yaml")
				if _, err := os.Stat(path); err != nil {
					t.Errorf("%s lists the directory %s, which has no kustomization: %v", o.file, p, err)
				}
			}
			listed[path] = true
		}
	}
	for _, o := range objects {
		if !listed[o.file] {
			t.Errorf("%s is in no kustomization", o.file)
		}
	}
	base := find[*kustomization](t, objects, "base/kustomization.yaml")
	image := find[*appsv1.DaemonSet](t, objects, "base/daemonset.yaml").Spec.Template.Spec.Containers[0].Image
	if !slices.ContainsFunc(base.Images, func(i kustomizeImage) bool { return i.Name == image && i.NewName != "" }) {
		t.Errorf("the base kustomization's images do not set the DaemonSet's image %q", image)
	}
}

// kustomizeObjects builds the kustomization in dir (relative to the
// repository root) with kustomize's Go API and decodes every object it
// outputs strictly into its upstream type.
func kustomizeObjects(dir string) (objects, error) {
	out, err := Kustomize(root, dir)
	if err != nil {
		return nil, err
	}
	objs := objects{}
	for i, doc := range documentSeparator.Split(string(out), -1) {
		if strings.TrimSpace(doc) == "" {
			continue
		}
		obj, err := decode([]byte(doc))
		if err != nil {
			return nil, fmt.Errorf("%s, object %d: %w", dir, i+1, err)
		}
		if _, dup := objs[key(obj)]; dup {
			return nil, fmt.Errorf("%s: %s built twice", dir, key(obj))
		}
		objs[key(obj)] = obj
	}
	if len(objs) == 0 {
		return nil, fmt.Errorf("%s builds no objects", dir)
	}
	return objs, nil
}

// Every kustomization under deploy/ builds with stock kustomize (no cycle,
// nothing outside the load restrictor) into objects that decode strictly;
// deploy/kubernetes is the base, and the podmonitor overlay is the base
// with a PodMonitor in place of the Service and ServiceMonitor.
func TestEveryKustomizationBuilds(t *testing.T) {
	var dirs []string
	err := filepath.WalkDir(filepath.Join(root, "deploy"), func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && slices.Contains([]string{"kustomization.yaml", "kustomization.yml", "Kustomization"}, d.Name()) {
			rel, _ := filepath.Rel(root, filepath.Dir(path))
			dirs = append(dirs, rel)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{KubernetesPath, BasePath, PodMonitorOverlayPath} {
		if !slices.Contains(dirs, want) {
			t.Errorf("no kustomization in %s", want)
		}
	}
	built := map[string]objects{}
	for _, dir := range dirs {
		objs, err := kustomizeObjects(dir)
		if err != nil {
			t.Errorf("%v", err)
			continue
		}
		built[dir] = objs
		for k, obj := range objs {
			if ns := obj.(metav1.Object).GetNamespace(); ns != "rtsec" && !strings.HasPrefix(k, "*v1.Namespace ") {
				t.Errorf("%s: %s in namespace %q, want rtsec", dir, k, ns)
			}
		}
	}
	base, top, overlay := built[BasePath], built[KubernetesPath], built[PodMonitorOverlayPath]
	if base == nil || top == nil || overlay == nil {
		t.FailNow()
	}
	if !equality.Semantic.DeepEqual(base, top) {
		t.Errorf("%s does not build the base %s", KubernetesPath, BasePath)
	}
	for _, k := range []string{"*v1.Service rtsec/rtsec", "*v1.ServiceMonitor rtsec/rtsec"} {
		if base[k] == nil {
			t.Errorf("the base lacks %s", k)
		}
		if overlay[k] != nil {
			t.Errorf("the podmonitor overlay keeps %s", k)
		}
	}
	if overlay["*v1.PodMonitor rtsec/rtsec"] == nil {
		t.Error("the podmonitor overlay has no PodMonitor")
	}
	if len(overlay) != len(base)-1 {
		t.Errorf("the podmonitor overlay has %d objects, want the base's %d with two replaced by one", len(overlay), len(base))
	}
}
