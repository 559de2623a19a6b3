// Package deploy holds rtsec's deployment manifests (Kubernetes, Helm,
// systemd, Alertmanager) and builds the one file generated among them: the
// values table of the chart's README, from the comments of its values.yaml.
// The PrometheusRule and the Grafana dashboards exist once, in alerts/ and
// dashboards/ (make generate-mixin): the kustomize base lists both
// directories, whose kustomizations the mixin writes, and the chart's files/
// links to them.
package deploy

// ChartPath is the Helm chart, relative to the repository root.
const ChartPath = "deploy/helm/rtsec"

// ChartLinks are the symlinks of the chart's files/ (a chart reads only
// files inside its directory) and their targets, relative to the
// repository root. Helm follows them when it loads the chart from its
// directory, and helm package stores what they point to.
var ChartLinks = map[string]string{
	ChartPath + "/files/prometheusrule.yaml": "alerts/rtsec-prometheusrule.yaml",
	ChartPath + "/files/dashboards":          "dashboards",
}

// Generated returns the generated files by path relative to root, the
// repository root.
func Generated(root string) (map[string][]byte, error) {
	readme, err := chartReadme(root)
	if err != nil {
		return nil, err
	}
	return map[string][]byte{ChartReadmePath: readme}, nil
}
