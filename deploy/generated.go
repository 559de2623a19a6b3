// Package deploy holds rtsec's deployment manifests (Kubernetes, Helm,
// systemd, Alertmanager) and builds the ones generated from the mixin's
// outputs: the PrometheusRule and the Grafana dashboards as ConfigMaps, and
// the chart's copies of both; and the values table of the chart's README,
// from the comments of its values.yaml.
package deploy

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"sigs.k8s.io/yaml"
)

// Paths of the generated manifests, relative to the repository root.
const (
	PrometheusRulePath = BasePath + "/prometheusrule.yaml"
	DashboardsPath     = BasePath + "/dashboards.yaml"
	// ChartPath is the Helm chart.
	ChartPath = "deploy/helm/rtsec"
	// ChartFilesPath holds the chart's copies of the mixin's outputs: a chart
	// can only read files inside its own directory.
	ChartFilesPath = ChartPath + "/files"
)

// DashboardLabel is the label the Grafana dashboard sidecar looks for.
const DashboardLabel = "grafana_dashboard"

// Generated returns the generated manifests by path relative to root, the
// repository root, built from alerts/ and dashboards/ there.
func Generated(root string) (map[string][]byte, error) {
	rule, err := os.ReadFile(filepath.Join(root, "alerts", "rtsec-prometheusrule.yaml"))
	if err != nil {
		return nil, fmt.Errorf("prometheus rule: %w", err)
	}
	dashboards, err := dashboardConfigMaps(root)
	if err != nil {
		return nil, err
	}
	rule = append([]byte("# Copied from alerts/rtsec-prometheusrule.yaml by `make generate`; do not edit.\n"), rule...)
	files := map[string][]byte{
		PrometheusRulePath:                      rule,
		DashboardsPath:                          dashboards,
		ChartFilesPath + "/prometheusrule.yaml": rule,
	}
	readme, err := chartReadme(root)
	if err != nil {
		return nil, err
	}
	files[ChartReadmePath] = readme
	jsons, err := dashboardFiles(root)
	if err != nil {
		return nil, err
	}
	for _, file := range jsons {
		data, err := os.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("dashboard: %w", err)
		}
		files[ChartFilesPath+"/dashboards/"+filepath.Base(file)] = data
	}
	return files, nil
}

// dashboardFiles lists dashboards/*.json under root.
func dashboardFiles(root string) ([]string, error) {
	files, err := filepath.Glob(filepath.Join(root, "dashboards", "*.json"))
	if err != nil {
		return nil, fmt.Errorf("dashboards: %w", err)
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("no dashboards under %s", filepath.Join(root, "dashboards"))
	}
	return files, nil
}

// dashboardConfigMaps wraps each dashboards/*.json in a ConfigMap labelled
// for the Grafana sidecar, one YAML document each.
func dashboardConfigMaps(root string) ([]byte, error) {
	files, err := dashboardFiles(root)
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	out.WriteString("# Generated from dashboards/*.json by `make generate`; do not edit.\n")
	for i, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("dashboard: %w", err)
		}
		base := filepath.Base(file)
		cm := map[string]any{
			"apiVersion": "v1",
			"kind":       "ConfigMap",
			"metadata": map[string]any{
				"name": "rtsec-dashboard-" + strings.TrimPrefix(strings.TrimSuffix(base, ".json"), "rtsec-"),
				"labels": map[string]string{
					DashboardLabel:           "1",
					"app.kubernetes.io/name": "rtsec",
				},
			},
			"data": map[string]string{base: string(data)},
		}
		doc, err := yaml.Marshal(cm)
		if err != nil {
			return nil, fmt.Errorf("dashboard %s: %w", base, err)
		}
		if i > 0 {
			out.WriteString("---\n")
		}
		out.Write(doc)
	}
	return out.Bytes(), nil
}
