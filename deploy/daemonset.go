package deploy

import (
	"fmt"
	"os"
	"path/filepath"

	appsv1 "k8s.io/api/apps/v1"
	"sigs.k8s.io/yaml"
)

// DaemonSetPath is the exporter's DaemonSet, relative to the repository root.
const DaemonSetPath = BasePath + "/daemonset.yaml"

// DaemonSet decodes the exporter's DaemonSet under root strictly, so that
// tests can run the exporter as it specifies.
func DaemonSet(root string) (*appsv1.DaemonSet, error) {
	data, err := os.ReadFile(filepath.Join(root, DaemonSetPath))
	if err != nil {
		return nil, fmt.Errorf("daemonset: %w", err)
	}
	var ds appsv1.DaemonSet
	if err := yaml.UnmarshalStrict(data, &ds); err != nil {
		return nil, fmt.Errorf("daemonset: %w", err)
	}
	return &ds, nil
}
