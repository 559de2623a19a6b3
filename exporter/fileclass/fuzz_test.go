package fileclass

import (
	"testing"

	"gopkg.in/yaml.v3"
)

// Any class table either fails with an error or gives a table that names
// its classes.
func FuzzParse(f *testing.F) {
	defaults, err := yaml.Marshal(map[string][]Class{"classes": Defaults()})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(defaults)
	f.Add([]byte("# only a comment\n"))
	f.Add([]byte("classes:\n- name: x\n  kind: modify\n  prefixes: [/etc/x]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		table, err := Parse(data, "fuzz")
		if err != nil {
			return
		}
		if len(table.Names(Modify))+len(table.Names(Read)) == 0 {
			t.Fatal("a table without classes parsed")
		}
	})
}
