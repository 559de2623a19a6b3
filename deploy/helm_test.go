package deploy

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/engine"
	"helm.sh/helm/v3/pkg/lint"
	"helm.sh/helm/v3/pkg/lint/support"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/diff"

	"github.com/rtsec/rtsec/deploy/image"
)

// The release the tests install: the kustomize base's names and namespace.
const (
	releaseName      = "rtsec"
	releaseNamespace = "rtsec"
)

// objects are decoded manifests keyed by type, namespace and name.
type objects map[string]any

func key(obj any) string {
	m := obj.(metav1.Object)
	return fmt.Sprintf("%T %s/%s", obj, m.GetNamespace(), m.GetName())
}

// only returns the one object of type T, failing the test unless there is
// exactly one.
func only[T any](t *testing.T, objs objects) T {
	t.Helper()
	var found []T
	for _, obj := range objs {
		if v, ok := obj.(T); ok {
			found = append(found, v)
		}
	}
	if len(found) != 1 {
		var zero T
		t.Fatalf("%d objects of type %T, want 1", len(found), zero)
	}
	return found[0]
}

// deleteAll deletes the objects of type T.
func deleteAll[T any](objs objects) {
	for k, obj := range objs {
		if _, ok := obj.(T); ok {
			delete(objs, k)
		}
	}
}

// monitoringAPI is the API group and version of the Prometheus Operator's
// objects, which Helm's capabilities list when the CRDs are installed.
const monitoringAPI = "monitoring.coreos.com/v1"

// renderChart renders the chart as `helm install rtsec -n rtsec -f values`
// does on a cluster with the Prometheus Operator.
func renderChart(values string) (objects, error) {
	return renderChartWith(values, monitoringAPI)
}

// renderChartWith renders the chart as `helm install rtsec -n rtsec -f
// values` does on a cluster that serves the API versions apis (besides the
// built-in ones): values checked against values.schema.json, then the
// templates. It decodes every rendered document strictly.
func renderChartWith(values string, apis ...string) (objects, error) {
	chrt, err := loader.Load(filepath.Join(root, ChartPath))
	if err != nil {
		return nil, err
	}
	return renderLoaded(chrt, values, apis...)
}

// renderLoaded renders a loaded chart as renderChartWith does.
func renderLoaded(chrt *chart.Chart, values string, apis ...string) (objects, error) {
	vals, err := chartutil.ReadValues([]byte(values))
	if err != nil {
		return nil, err
	}
	caps := chartutil.DefaultCapabilities.Copy()
	caps.APIVersions = append(slices.Clone(caps.APIVersions), apis...)
	top, err := chartutil.ToRenderValues(chrt, vals, chartutil.ReleaseOptions{Name: releaseName, Namespace: releaseNamespace, IsInstall: true}, caps)
	if err != nil {
		return nil, err
	}
	rendered, err := engine.Render(chrt, top)
	if err != nil {
		return nil, err
	}
	objs := objects{}
	for name, text := range rendered {
		if strings.HasSuffix(name, "NOTES.txt") {
			continue
		}
		for i, doc := range documentSeparator.Split(text, -1) {
			if strings.TrimSpace(doc) == "" {
				continue
			}
			obj, err := decode([]byte(doc))
			if err != nil {
				return nil, fmt.Errorf("%s, document %d: %w", name, i+1, err)
			}
			if _, dup := objs[key(obj)]; dup {
				return nil, fmt.Errorf("%s: %s rendered twice", name, key(obj))
			}
			objs[key(obj)] = obj
		}
	}
	return objs, nil
}

// kustomizeBuild returns the objects `kubectl apply -k` applies for the base
// (or, with podMonitor, the podmonitor overlay), built by kustomize itself
// and decoded strictly.
func kustomizeBuild(t *testing.T, podMonitor bool) objects {
	t.Helper()
	dir := BasePath
	if podMonitor {
		dir = PodMonitorOverlayPath
	}
	objs, err := kustomizeObjects(dir)
	if err != nil {
		t.Fatal(err)
	}
	return objs
}

// With default values the chart renders the kustomize base (without the
// Namespace, which helm install --create-namespace creates), and each value
// changes exactly what it names. Every DaemonSet rendered keeps the
// least-privilege settings.
func TestChartRendersTheKustomizeBase(t *testing.T) {
	daemonSet := func(t *testing.T, objs objects) *appsv1.DaemonSet { return only[*appsv1.DaemonSet](t, objs) }
	container := func(t *testing.T, objs objects) *corev1.Container {
		return &daemonSet(t, objs).Spec.Template.Spec.Containers[0]
	}
	cases := []struct {
		name       string
		values     string
		podMonitor bool // compare with the podmonitor overlay
		namespace  bool // the chart renders the Namespace
		noOperator bool // the cluster does not serve monitoring.coreos.com/v1
		// want changes the kustomize objects into what the chart renders.
		want func(t *testing.T, objs objects)
	}{
		{name: "defaults"},
		{
			name:      "namespace",
			values:    "namespace: {create: true}",
			namespace: true,
		},
		{
			name:   "image",
			values: "image: {repository: registry.example.com/rtsec/rtsec_exporter, tag: v0.2.0, pullPolicy: Always}",
			want: func(t *testing.T, objs objects) {
				c := container(t, objs)
				c.Image, c.ImagePullPolicy = "registry.example.com/rtsec/rtsec_exporter:v0.2.0", corev1.PullAlways
			},
		},
		{
			name:       "podMonitor instead of serviceMonitor",
			values:     "podMonitor: {enabled: true}",
			podMonitor: true,
		},
		{
			name:       "podMonitor, serviceMonitor off",
			values:     "serviceMonitor: {enabled: false}\npodMonitor: {enabled: true}",
			podMonitor: true,
		},
		{
			name:       "no Prometheus Operator: no operator objects",
			noOperator: true,
			want: func(t *testing.T, objs objects) {
				deleteAll[*monitoringv1.ServiceMonitor](objs)
				deleteAll[*monitoringv1.PrometheusRule](objs)
			},
		},
		{
			name:       "no Prometheus Operator, operator objects enabled",
			values:     "serviceMonitor: {enabled: true}\nprometheusRule: {enabled: true}",
			noOperator: true,
		},
		{
			name:   "serviceMonitor off",
			values: "serviceMonitor: {enabled: false}",
			want: func(t *testing.T, objs objects) {
				deleteAll[*monitoringv1.ServiceMonitor](objs)
				deleteAll[*corev1.Service](objs)
			},
		},
		{
			name:   "priorityClassName",
			values: "priorityClassName: rtsec-critical",
			want: func(t *testing.T, objs objects) {
				daemonSet(t, objs).Spec.Template.Spec.PriorityClassName = "rtsec-critical"
			},
		},
		{
			name:   "cluster default priority",
			values: `priorityClassName: ""`,
			want: func(t *testing.T, objs objects) {
				daemonSet(t, objs).Spec.Template.Spec.PriorityClassName = ""
			},
		},
		{
			name: "affinity, pull secrets, pod annotations and labels",
			values: "affinity: {nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: {nodeSelectorTerms: [{matchExpressions: [{key: rtsec, operator: NotIn, values: [disabled]}]}]}}}\n" +
				"imagePullSecrets: [{name: regcred}]\npodAnnotations: {example.com/owner: security}\npodLabels: {team: security}",
			want: func(t *testing.T, objs objects) {
				pod := &daemonSet(t, objs).Spec.Template
				pod.Spec.Affinity = &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{RequiredDuringSchedulingIgnoredDuringExecution: &corev1.NodeSelector{
					NodeSelectorTerms: []corev1.NodeSelectorTerm{{MatchExpressions: []corev1.NodeSelectorRequirement{{Key: "rtsec", Operator: corev1.NodeSelectorOpNotIn, Values: []string{"disabled"}}}}},
				}}}
				pod.Spec.ImagePullSecrets = []corev1.LocalObjectReference{{Name: "regcred"}}
				pod.Annotations = map[string]string{"example.com/owner": "security"}
				pod.Labels["team"] = "security" // not in the selector: the Service and monitors still select by the fixed labels
			},
		},
		{
			name:   "image digest",
			values: "image: {digest: sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef}",
			want: func(t *testing.T, objs objects) {
				c := container(t, objs)
				c.Image += "@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
			},
		},
		{
			name:   "updateStrategy",
			values: "updateStrategy: {type: OnDelete, rollingUpdate: null}",
			want: func(t *testing.T, objs objects) {
				daemonSet(t, objs).Spec.UpdateStrategy = appsv1.DaemonSetUpdateStrategy{Type: appsv1.OnDeleteDaemonSetStrategyType}
			},
		},
		{
			name:   "scheduling",
			values: "tolerations: [{key: dedicated, operator: Equal, value: security, effect: NoSchedule}]\nnodeSelector: {rtsec: enabled}",
			want: func(t *testing.T, objs objects) {
				pod := &daemonSet(t, objs).Spec.Template.Spec
				pod.Tolerations = []corev1.Toleration{{Key: "dedicated", Operator: corev1.TolerationOpEqual, Value: "security", Effect: corev1.TaintEffectNoSchedule}}
				pod.NodeSelector["rtsec"] = "enabled" // Helm merges maps with the defaults
			},
		},
		{
			name:   "no nodeSelector",
			values: "nodeSelector: null",
			want: func(t *testing.T, objs objects) {
				daemonSet(t, objs).Spec.Template.Spec.NodeSelector = nil
			},
		},
		{
			name:   "resources",
			values: "resources: {limits: {memory: 256Mi}}",
			want: func(t *testing.T, objs objects) {
				container(t, objs).Resources.Limits[corev1.ResourceMemory] = resource.MustParse("256Mi")
			},
		},
		{
			name:   "CRI-O and extra args",
			values: "cri: {socket: /run/crio/crio.sock, hostPaths: [/run/crio, /run/runc]}\nextraArgs: [--log.level=debug]",
			want: func(t *testing.T, objs objects) {
				pod := &daemonSet(t, objs).Spec.Template.Spec
				c := &pod.Containers[0]
				c.Args = []string{"--web.listen-address=:9730", "--runtime.cri-socket=/run/crio/crio.sock", "--log.level=debug"}
				c.VolumeMounts = slices.DeleteFunc(c.VolumeMounts, func(m corev1.VolumeMount) bool { return m.Name == "containerd" })
				pod.Volumes = slices.DeleteFunc(pod.Volumes, func(v corev1.Volume) bool { return v.Name == "containerd" })
				for _, path := range []string{"/run/crio", "/run/runc"} {
					name := filepath.Base(path)
					c.VolumeMounts = append(c.VolumeMounts, corev1.VolumeMount{Name: name, MountPath: path, ReadOnly: true})
					directory := corev1.HostPathDirectory
					pod.Volumes = append(pod.Volumes, corev1.Volume{Name: name, VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: path, Type: &directory}}})
				}
			},
		},
		{
			name:   "monitor interval and selector labels",
			values: "serviceMonitor: {interval: 30s, labels: {release: prometheus}}\nprometheusRule: {labels: {release: prometheus}}\ndashboards: {labels: {team: security}}",
			want: func(t *testing.T, objs objects) {
				sm := only[*monitoringv1.ServiceMonitor](t, objs)
				sm.Spec.Endpoints[0].Interval = "30s"
				sm.Labels["release"] = "prometheus"
				only[*monitoringv1.PrometheusRule](t, objs).Labels["release"] = "prometheus"
				for _, obj := range objs {
					if cm, ok := obj.(*corev1.ConfigMap); ok {
						cm.Labels["team"] = "security"
					}
				}
			},
		},
		{
			name:   "no rules and no dashboards",
			values: "prometheusRule: {enabled: false}\ndashboards: {enabled: false}",
			want: func(t *testing.T, objs objects) {
				deleteAll[*monitoringv1.PrometheusRule](objs)
				deleteAll[*corev1.ConfigMap](objs)
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			apis := []string{monitoringAPI}
			if tc.noOperator {
				apis = nil
			}
			got, err := renderChartWith(tc.values, apis...)
			if err != nil {
				t.Fatal(err)
			}
			want := kustomizeBuild(t, tc.podMonitor)
			if !tc.namespace {
				deleteAll[*corev1.Namespace](want)
			}
			addHelmLabels(t, want)
			if tc.want != nil {
				tc.want(t, want)
			}
			for k, w := range want {
				g, ok := got[k]
				if !ok {
					t.Errorf("the chart does not render %s", k)
				} else if !equality.Semantic.DeepEqual(g, w) {
					t.Errorf("%s differs (-want +chart):\n%s", k, diff.Diff(w, g))
				}
			}
			for k := range got {
				if _, ok := want[k]; !ok {
					t.Errorf("the chart renders %s, which it should not", k)
				}
			}
			checkLeastPrivilege(t, only[*appsv1.DaemonSet](t, got))
		})
	}
}

// addHelmLabels adds the labels the chart puts on what kustomize builds: the
// release (app.kubernetes.io/instance, also in every selector, so two
// releases' pods stay apart), the version, the chart and Helm.
func addHelmLabels(t *testing.T, objs objects) {
	t.Helper()
	chrt, err := loader.Load(filepath.Join(root, ChartPath))
	if err != nil {
		t.Fatal(err)
	}
	instance := map[string]string{"app.kubernetes.io/instance": releaseName}
	labels := map[string]string{
		"app.kubernetes.io/instance":   releaseName,
		"app.kubernetes.io/version":    chrt.Metadata.AppVersion,
		"app.kubernetes.io/managed-by": "Helm",
		"helm.sh/chart":                chrt.Metadata.Name + "-" + chrt.Metadata.Version,
	}
	for _, obj := range objs {
		m := obj.(metav1.Object)
		m.SetLabels(merged(m.GetLabels(), labels))
		switch o := obj.(type) {
		case *appsv1.DaemonSet:
			o.Spec.Selector.MatchLabels = merged(o.Spec.Selector.MatchLabels, instance)
			o.Spec.Template.Labels = merged(o.Spec.Template.Labels, instance)
		case *corev1.Service:
			o.Spec.Selector = merged(o.Spec.Selector, instance)
		case *monitoringv1.ServiceMonitor:
			o.Spec.Selector.MatchLabels = merged(o.Spec.Selector.MatchLabels, instance)
		case *monitoringv1.PodMonitor:
			o.Spec.Selector.MatchLabels = merged(o.Spec.Selector.MatchLabels, instance)
		}
	}
}

// merged returns a copy of a with the entries of b.
func merged(a, b map[string]string) map[string]string {
	out := maps.Clone(a)
	if out == nil {
		out = map[string]string{}
	}
	maps.Copy(out, b)
	return out
}

// Both the kustomize base and the chart run the image make image builds,
// tagged with the release (the newest CHANGELOG.md entry), never a moving
// tag, and pulled IfNotPresent, which suits a tag that never moves.
func TestManifestsRunTheBuiltImage(t *testing.T) {
	chart, err := renderChart("")
	if err != nil {
		t.Fatal(err)
	}
	for what, objs := range map[string]objects{"kustomize": kustomizeBuild(t, false), "chart": chart} {
		c := only[*appsv1.DaemonSet](t, objs).Spec.Template.Spec.Containers[0]
		if c.Image != image.Name {
			t.Errorf("the %s DaemonSet runs %s, want %s", what, c.Image, image.Name)
		}
		if c.ImagePullPolicy != corev1.PullIfNotPresent {
			t.Errorf("the %s DaemonSet pulls %s, want IfNotPresent", what, c.ImagePullPolicy)
		}
	}
	if !regexp.MustCompile(`^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$`).MatchString(image.Version) {
		t.Errorf("image version %q is not a release version", image.Version)
	}
	chrt, err := loader.Load(filepath.Join(root, ChartPath))
	if err != nil {
		t.Fatal(err)
	}
	if chrt.Metadata.AppVersion != image.Version {
		t.Errorf("the chart's appVersion %q, want the image's version %q", chrt.Metadata.AppVersion, image.Version)
	}
	changelog, err := os.ReadFile(filepath.Join(root, "CHANGELOG.md"))
	if err != nil {
		t.Fatal(err)
	}
	newest := regexp.MustCompile(`(?m)^## ([^ ]+)`).FindSubmatch(changelog)
	if newest == nil || string(newest[1]) != image.Version {
		t.Errorf("the newest CHANGELOG.md entry is %q, want the image's version %q", newest, image.Version)
	}
}

// Values of the wrong type or shape fail the render with an error naming
// the value (values.schema.json), before any template runs.
func TestChartRejectsBadValues(t *testing.T) {
	cases := []struct {
		values, names string
	}{
		{"resources: lots", "/resources"},
		{"resources: {limits: {memory: [256Mi]}}", "/resources/limits/memory"},
		{"image: {tag: 1.2}", "/image/tag"},
		{"serviceMonitor: {enable: true}", "enable"},
		{"serviceMonitor: {interval: 15}", "/serviceMonitor/interval"},
		{"extraArgs: [-v]", "/extraArgs/0"},
		{"cri: {hostPaths: [run/crio]}", "/cri/hostPaths/0"},
		{"tolerations: [{operator: exists}]", "/tolerations/0/operator"},
		{"podMonitor: {enabled: yes please}", "/podMonitor/enabled"},
		{"serviceMonitor: {enabled: maybe}", "/serviceMonitor/enabled"},
		{"priorityClassName: 1000", "/priorityClassName"},
		{"imagePullSecrets: [regcred]", "/imagePullSecrets/0"},
		{"image: {digest: latest}", "/image/digest"},
		{"podLabels: {team: [a]}", "/podLabels/team"},
		{"affinity: {nodeAfinity: {}}", "nodeAfinity"},
		{"fullnameOverride: Not_A_Name", "/fullnameOverride"},
		{"securityContext: {privileged: true}", "securityContext"},
	}
	for _, tc := range cases {
		_, err := renderChart(tc.values)
		if err == nil || !strings.Contains(err.Error(), tc.names) {
			t.Errorf("values %q: error %v, want one naming %s", tc.values, err, tc.names)
			continue
		}
		t.Logf("values %q: %v", tc.values, err)
	}
}

// nameOverride and fullnameOverride rename every object, and the objects
// still refer to each other by the new names; the labels the mixin's job
// and the selectors use stay.
func TestChartNames(t *testing.T) {
	for values, fullname := range map[string]string{
		"":                       "rtsec",
		"nameOverride: agent":    "rtsec-agent",
		"fullnameOverride: sec":  "sec",
		"nameOverride: rtsec-ds": "rtsec-rtsec-ds",
	} {
		objs, err := renderChart(values)
		if err != nil {
			t.Fatalf("values %q: %v", values, err)
		}
		ds := only[*appsv1.DaemonSet](t, objs)
		svc := only[*corev1.Service](t, objs)
		sm := only[*monitoringv1.ServiceMonitor](t, objs)
		names := map[string]string{
			"DaemonSet":          ds.Name,
			"ServiceAccount":     only[*corev1.ServiceAccount](t, objs).Name,
			"serviceAccountName": ds.Spec.Template.Spec.ServiceAccountName,
			"Service":            svc.Name,
			"ServiceMonitor":     sm.Name,
			"PrometheusRule":     only[*monitoringv1.PrometheusRule](t, objs).Name,
		}
		for what, name := range names {
			want := fullname
			if what == "DaemonSet" || what == "ServiceAccount" || what == "serviceAccountName" {
				want += "-exporter"
			}
			if name != want {
				t.Errorf("values %q: %s named %q, want %q", values, what, name, want)
			}
		}
		for _, obj := range objs {
			if cm, ok := obj.(*corev1.ConfigMap); ok && !strings.HasPrefix(cm.Name, fullname+"-dashboard-") {
				t.Errorf("values %q: dashboard ConfigMap %q, want prefix %s-dashboard-", values, cm.Name, fullname)
			}
		}
		if ds.Spec.Template.Labels["app.kubernetes.io/name"] != mixinJob || svc.Labels[sm.Spec.JobLabel] != mixinJob {
			t.Errorf("values %q: job label %q, want %q", values, svc.Labels[sm.Spec.JobLabel], mixinJob)
		}
		if !selects(t, svc.Spec.Selector, ds.Spec.Template.Labels) || !selects(t, sm.Spec.Selector.MatchLabels, svc.Labels) {
			t.Errorf("values %q: the Service or ServiceMonitor no longer selects the exporter", values)
		}
	}
}

// helm lint passes without warnings, with the defaults and with a
// PodMonitor.
func TestChartLint(t *testing.T) {
	for _, values := range []string{"", "podMonitor: {enabled: true}\nnamespace: {create: true}", "serviceMonitor: {enabled: true}\nprometheusRule: {enabled: true}"} {
		vals, err := chartutil.ReadValues([]byte(values))
		if err != nil {
			t.Fatal(err)
		}
		result := lint.All(filepath.Join(root, ChartPath), vals, releaseNamespace, false)
		for _, m := range result.Messages {
			if m.Severity >= support.WarningSev {
				t.Errorf("helm lint (values %q): %v", values, m)
			} else {
				t.Logf("helm lint (values %q): %v", values, m)
			}
		}
	}
}

// The values table has a row for each documented key, with its dotted path
// and default, and a key nobody documented is an error naming it.
func TestValuesTable(t *testing.T) {
	table, err := ValuesTable([]byte("# header\n\n# -- The image.\n# Second line.\nimage: {tag: v1}\nmonitor:\n  # -- On | off.\n  enabled: true\n"))
	if err != nil {
		t.Fatal(err)
	}
	for _, row := range []string{"| `image` | `{\"tag\":\"v1\"}` | The image. Second line. |", "| `monitor.enabled` | `true` | On \\| off. |"} {
		if !strings.Contains(string(table), row+"\n") {
			t.Errorf("table lacks %q:\n%s", row, table)
		}
	}
	for values, names := range map[string]string{
		"# -- Fine.\na: 1\nb: 2\n":                     "b has no description",
		"a:\n  # just a comment\n  b: 1\n":             "a.b has no description",
		"# -- Fine.\na: 1\n# A note.\nc: {}\n":         "c has no description",
		"# -- Documented, then a note.\n\n# x\nd: 1\n": "d has no description",
	} {
		if _, err := ValuesTable([]byte(values)); err == nil || !strings.Contains(err.Error(), names) {
			t.Errorf("values %q: error %v, want %q", values, err, names)
		}
	}
}
