package deploy

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"
)

// root is the repository root, seen from this package's directory.
const root = ".."

// kustomization is the part of kustomize's Kustomization the manifests use;
// decoding strictly into it rejects anything else.
type kustomization struct {
	metav1.TypeMeta `json:",inline"`
	Namespace       string   `json:"namespace,omitempty"`
	Resources       []string `json:"resources,omitempty"`
	Patches         []struct {
		Path string `json:"path"`
	} `json:"patches,omitempty"`
	Images []kustomizeImage `json:"images,omitempty"`
}

// kustomizeImage sets the name and tag of the images called Name.
type kustomizeImage struct {
	Name    string `json:"name"`
	NewName string `json:"newName,omitempty"`
	NewTag  string `json:"newTag,omitempty"`
}

// deletePatch is a strategic-merge patch that deletes one object.
type deletePatch struct {
	Patch           string `json:"$patch"`
	metav1.TypeMeta `json:",inline"`
	Metadata        struct {
		Name      string `json:"name"`
		Namespace string `json:"namespace"`
	} `json:"metadata"`
}

// object is one decoded manifest document.
type object struct {
	file string
	obj  any
}

// newObject returns an empty value of the upstream type for apiVersion and
// kind, or nil for a kind the manifests should not hold.
func newObject(apiVersion, kind string, patch bool) any {
	if patch {
		return &deletePatch{}
	}
	switch apiVersion + " " + kind {
	case "v1 Namespace":
		return &corev1.Namespace{}
	case "v1 ServiceAccount":
		return &corev1.ServiceAccount{}
	case "v1 Service":
		return &corev1.Service{}
	case "v1 ConfigMap":
		return &corev1.ConfigMap{}
	case "apps/v1 DaemonSet":
		return &appsv1.DaemonSet{}
	case "monitoring.coreos.com/v1 ServiceMonitor":
		return &monitoringv1.ServiceMonitor{}
	case "monitoring.coreos.com/v1 PodMonitor":
		return &monitoringv1.PodMonitor{}
	case "monitoring.coreos.com/v1 PrometheusRule":
		return &monitoringv1.PrometheusRule{}
	case "kustomize.config.k8s.io/v1beta1 Kustomization":
		return &kustomization{}
	}
	return nil
}

var documentSeparator = regexp.MustCompile(`(?m)^---\s*$`)

// decodeAll decodes every document of every YAML file under
// deploy/kubernetes strictly into its upstream type: an unknown or
// misspelt field, a duplicate key or an unknown kind is an error.
func decodeAll(t *testing.T) []object {
	t.Helper()
	var files []string
	err := filepath.WalkDir(filepath.Join(root, "deploy", "kubernetes"), func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && filepath.Ext(path) == ".yaml" {
			files = append(files, path)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	var objects []object
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for i, doc := range documentSeparator.Split(string(data), -1) {
			if len(bytes.TrimSpace([]byte(doc))) == 0 {
				continue
			}
			obj, err := decode([]byte(doc))
			if err != nil {
				t.Errorf("%s, document %d: %v", file, i+1, err)
				continue
			}
			objects = append(objects, object{file: file, obj: obj})
		}
	}
	return objects
}

// decode decodes one YAML document strictly by its apiVersion and kind.
func decode(doc []byte) (any, error) {
	var head struct {
		metav1.TypeMeta `json:",inline"`
		Patch           string `json:"$patch"`
	}
	if err := yaml.Unmarshal(doc, &head); err != nil {
		return nil, fmt.Errorf("read apiVersion and kind: %w", err)
	}
	obj := newObject(head.APIVersion, head.Kind, head.Patch == "delete")
	if obj == nil {
		return nil, fmt.Errorf("unexpected kind %q of %q", head.Kind, head.APIVersion)
	}
	if err := yaml.UnmarshalStrict(doc, obj); err != nil {
		return nil, fmt.Errorf("%s %s: %w", head.APIVersion, head.Kind, err)
	}
	return obj, nil
}

// find returns the one decoded object of type T in file (a path relative
// to deploy/kubernetes), failing the test unless there is exactly one.
func find[T any](t *testing.T, objects []object, file string) T {
	t.Helper()
	var found []T
	for _, o := range objects {
		if v, ok := o.obj.(T); ok && o.file == filepath.Join(root, "deploy", "kubernetes", file) {
			found = append(found, v)
		}
	}
	if len(found) != 1 {
		var zero T
		t.Fatalf("%d objects of type %T in %s, want 1", len(found), zero, file)
	}
	return found[0]
}

func TestDecodeRejectsUnknownFields(t *testing.T) {
	cases := map[string]string{
		"misspelt field":  "apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: x}\nspec: {selectr: {}}\n",
		"misplaced field": "apiVersion: v1\nkind: Service\nmetadata: {name: x}\nspec: {ports: [{name: a, port: 1, readOnly: true}]}\n",
		"duplicate key":   "apiVersion: v1\nkind: Namespace\nmetadata: {name: x, name: y}\n",
		"unknown kind":    "apiVersion: v1\nkind: Pod2\nmetadata: {name: x}\n",
		"operator typo":   "apiVersion: monitoring.coreos.com/v1\nkind: ServiceMonitor\nmetadata: {name: x}\nspec: {endpoints: [{prot: http}]}\n",
	}
	for name, doc := range cases {
		if _, err := decode([]byte(doc)); err == nil {
			t.Errorf("%s: decoded without error", name)
		}
	}
	if _, err := decode([]byte("apiVersion: v1\nkind: Namespace\nmetadata: {name: x}\n")); err != nil {
		t.Errorf("a valid Namespace: %v", err)
	}
}

func TestManifestsDecodeStrictly(t *testing.T) {
	if objects := decodeAll(t); len(objects) == 0 {
		t.Fatal("no manifests under deploy/kubernetes")
	}
}
