package deploy

import (
	"fmt"
	"path/filepath"

	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
)

// Kustomize layouts, relative to the repository root. deploy/kubernetes
// applies the base; overlays refer to the base, never to a directory that
// contains them, which kustomize refuses as a cycle.
const (
	KubernetesPath        = "deploy/kubernetes"
	BasePath              = KubernetesPath + "/base"
	PodMonitorOverlayPath = KubernetesPath + "/overlays/podmonitor"
)

// Kustomize builds the kustomization in dir (relative to root) as
// `kubectl kustomize` does, with kustomize's default options (the load
// restrictor included), and returns the YAML documents it would apply.
func Kustomize(root, dir string) ([]byte, error) {
	k := krusty.MakeKustomizer(krusty.MakeDefaultOptions())
	m, err := k.Run(filesys.MakeFsOnDisk(), filepath.Join(root, dir))
	if err != nil {
		return nil, fmt.Errorf("kustomize %s: %w", dir, err)
	}
	out, err := m.AsYaml()
	if err != nil {
		return nil, fmt.Errorf("kustomize %s: %w", dir, err)
	}
	return out, nil
}
