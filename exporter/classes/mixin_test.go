package classes

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/google/go-jsonnet"
)

// The built-in classes and the mixin's binary lists answer the same
// questions for different alerts: they must not drift apart.
func TestDefaultMatchesMixinLists(t *testing.T) {
	vm := jsonnet.MakeVM()
	vm.Importer(&jsonnet.FileImporter{JPaths: []string{"../../mixin"}})
	out, err := vm.EvaluateAnonymousSnippet("lists.jsonnet", `(import "config-process-exec.libsonnet")._config`)
	if err != nil {
		t.Fatal(err)
	}
	var config map[string]any
	if err := json.Unmarshal([]byte(out), &config); err != nil {
		t.Fatal(err)
	}
	l := Default()
	members := func(classes ...string) []string {
		var names []string
		for name, id := range l.Binaries {
			if slices.Contains(classes, l.Classes[id-1]) {
				names = append(names, name)
			}
		}
		slices.Sort(names)
		return names
	}
	for list, classes := range map[string][]string{
		"shellBinaries":          {"shell"},
		"packageManagerBinaries": {"package_manager"},
		"minerBinaries":          {"miner"},
		"networkToolBinaries":    {"network_tool", "remote_copy"},
	} {
		var want []string
		for _, v := range config[list].([]any) {
			want = append(want, v.(string))
		}
		slices.Sort(want)
		if got := members(classes...); !slices.Equal(got, want) {
			t.Errorf("classes %v = %v, but the mixin's %s = %v", classes, got, list, want)
		}
	}
}
