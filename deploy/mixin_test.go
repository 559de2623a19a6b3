package deploy

import (
	"archive/tar"
	"compress/gzip"
	"errors"
	"io"
	"log"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/util/diff"
)

// TestMain silences the line Helm's loader logs for each symlink of the
// chart at every load ("found symbolic link in path"): the links are the
// chart's layout, and TestChartLinksToTheMixinsOutputs checks them.
func TestMain(m *testing.M) {
	log.SetOutput(io.Discard)
	os.Exit(m.Run())
}

// dashboardLabel is the label the Grafana dashboard sidecar looks for.
const dashboardLabel = "grafana_dashboard"

// mixinOutputs are the PrometheusRule of alerts/ and the dashboards of
// dashboards/ (file name → bytes), the one tree every install reads.
func mixinOutputs(t *testing.T) (*monitoringv1.PrometheusRule, map[string][]byte) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(root, "alerts", "rtsec-prometheusrule.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	obj, err := decode(data)
	if err != nil {
		t.Fatal(err)
	}
	rule, ok := obj.(*monitoringv1.PrometheusRule)
	if !ok {
		t.Fatalf("alerts/rtsec-prometheusrule.yaml holds a %T", obj)
	}
	paths, err := filepath.Glob(filepath.Join(root, "dashboards", "*.json"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no dashboards/*.json (%v)", err)
	}
	dashboards := map[string][]byte{}
	for _, path := range paths {
		if dashboards[filepath.Base(path)], err = os.ReadFile(path); err != nil {
			t.Fatal(err)
		}
	}
	return rule, dashboards
}

// checkMixinObjects checks that objs install the mixin's outputs: the
// PrometheusRule's groups exactly, with its labels, and one ConfigMap
// <prefix>-dashboard-<x> per dashboards/rtsec-<x>.json, labelled for the
// sidecar, holding the file byte for byte under its name.
func checkMixinObjects(t *testing.T, what string, objs objects, prefix string) {
	t.Helper()
	want, dashboards := mixinOutputs(t)
	rule := only[*monitoringv1.PrometheusRule](t, objs)
	if !equality.Semantic.DeepEqual(rule.Spec, want.Spec) {
		t.Errorf("%s: the PrometheusRule's spec differs from alerts/rtsec-prometheusrule.yaml (-file +installed):\n%s", what, diff.Diff(want.Spec, rule.Spec))
	}
	for k, v := range want.Labels {
		if rule.Labels[k] != v {
			t.Errorf("%s: PrometheusRule label %s=%q, want %q as in alerts/rtsec-prometheusrule.yaml", what, k, rule.Labels[k], v)
		}
	}
	maps := map[string]*corev1.ConfigMap{}
	for _, obj := range objs {
		if cm, ok := obj.(*corev1.ConfigMap); ok {
			maps[cm.Name] = cm
		}
	}
	if len(maps) != len(dashboards) {
		t.Errorf("%s: %d ConfigMaps for %d dashboards", what, len(maps), len(dashboards))
	}
	for file, data := range dashboards {
		name := prefix + "-dashboard-" + strings.TrimPrefix(strings.TrimSuffix(file, ".json"), "rtsec-")
		cm := maps[name]
		if cm == nil {
			t.Errorf("%s: no ConfigMap %s for dashboards/%s", what, name, file)
			continue
		}
		if cm.Labels[dashboardLabel] != "1" {
			t.Errorf("%s: ConfigMap %s: label %s=%q, want \"1\"", what, name, dashboardLabel, cm.Labels[dashboardLabel])
		}
		if len(cm.Data) != 1 || cm.Data[file] != string(data) || len(cm.BinaryData) != 0 {
			t.Errorf("%s: ConfigMap %s does not hold dashboards/%s byte for byte under its name (keys %v)", what, name, file, slices.Collect(func(yield func(string) bool) {
				for k := range cm.Data {
					if !yield(k) {
						return
					}
				}
			}))
		}
	}
}

// The rules and dashboards exist once, in alerts/ and dashboards/: the
// kustomize base and its overlay, the chart loaded from its directory (helm
// install rtsec deploy/helm/rtsec) and the chart helm package makes all
// install them unchanged.
func TestInstallsReadTheMixinsOutputs(t *testing.T) {
	checkMixinObjects(t, "kustomize base", kustomizeBuild(t, false), "rtsec")
	checkMixinObjects(t, "podmonitor overlay", kustomizeBuild(t, true), "rtsec")
	chrt, err := renderChart("")
	if err != nil {
		t.Fatal(err)
	}
	checkMixinObjects(t, "chart", chrt, releaseName)
	packaged, err := loader.Load(packageChart(t))
	if err != nil {
		t.Fatal(err)
	}
	objs, err := renderLoaded(packaged, "", monitoringAPI)
	if err != nil {
		t.Fatal(err)
	}
	checkMixinObjects(t, "packaged chart", objs, releaseName)
}

// packageChart does what `helm package deploy/helm/rtsec` does (load the
// chart's directory, following symlinks, and save it as an archive) and
// returns the archive, after checking that it holds only regular files:
// the targets of the chart's links, not links.
func packageChart(t *testing.T) string {
	t.Helper()
	chrt, err := loader.LoadDir(filepath.Join(root, ChartPath))
	if err != nil {
		t.Fatal(err)
	}
	archive, err := chartutil.Save(chrt, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(archive)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for r := tar.NewReader(gz); ; {
		h, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.Typeflag != tar.TypeReg {
			t.Errorf("packaged chart: %s is not a regular file (type %c)", h.Name, h.Typeflag)
		}
		names = append(names, h.Name)
	}
	for _, want := range []string{"rtsec/files/prometheusrule.yaml", "rtsec/files/dashboards/rtsec-overview.json"} {
		if !slices.Contains(names, want) {
			t.Errorf("packaged chart lacks %s: %v", want, names)
		}
	}
	if slices.Contains(names, "rtsec/files/dashboards/kustomization.yaml") {
		t.Error("packaged chart holds dashboards/kustomization.yaml, which .helmignore leaves out")
	}
	return archive
}

// The chart's files/ holds only the links to alerts/ and dashboards/, never
// copies.
func TestChartLinksToTheMixinsOutputs(t *testing.T) {
	for link, target := range ChartLinks {
		info, err := os.Lstat(filepath.Join(root, link))
		if err != nil {
			t.Fatal(err)
		}
		if info.Mode()&os.ModeSymlink == 0 {
			t.Errorf("%s is not a symlink (a copy, or a checkout without symlinks), want one to %s", link, target)
			continue
		}
		dest, err := os.Readlink(filepath.Join(root, link))
		if err != nil {
			t.Fatal(err)
		}
		if got := filepath.Clean(filepath.Join(filepath.Dir(link), dest)); got != target {
			t.Errorf("%s links to %s, want %s", link, got, target)
		}
	}
	entries, err := os.ReadDir(filepath.Join(root, ChartPath, "files"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if _, ok := ChartLinks[ChartPath+"/files/"+e.Name()]; !ok {
			t.Errorf("%s/files/%s is neither link", ChartPath, e.Name())
		}
	}
}

// A checkout that has the chart's links as plain files holding their
// targets (git with core.symlinks false) fails to render, naming the cause,
// instead of installing a broken PrometheusRule or no dashboards.
func TestChartWithoutLinksFails(t *testing.T) {
	for _, tc := range []struct{ values, names string }{
		{"dashboards: {enabled: false}", "files/prometheusrule.yaml is not the mixin's PrometheusRule"},
		{"prometheusRule: {enabled: false}", "files/dashboards/ holds no dashboard"},
	} {
		chrt, err := loader.Load(filepath.Join(root, ChartPath))
		if err != nil {
			t.Fatal(err)
		}
		var files []*chart.File
		for _, f := range chrt.Files {
			if !strings.HasPrefix(f.Name, "files/") {
				files = append(files, f)
			}
		}
		for link, target := range ChartLinks {
			dest, err := os.Readlink(filepath.Join(root, link))
			if err != nil {
				t.Fatalf("%s: %v (want a link to %s)", link, err, target)
			}
			files = append(files, &chart.File{Name: strings.TrimPrefix(link, ChartPath+"/"), Data: []byte(dest)})
		}
		chrt.Files = files
		_, err = renderLoaded(chrt, tc.values, monitoringAPI)
		if err == nil || !strings.Contains(err.Error(), tc.names) || !strings.Contains(err.Error(), "core.symlinks") {
			t.Errorf("values %q: error %v, want one saying %q and naming core.symlinks", tc.values, err, tc.names)
			continue
		}
		t.Logf("values %q: %v", tc.values, err)
	}
}
