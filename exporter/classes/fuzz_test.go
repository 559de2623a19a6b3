package classes

import (
	"strings"
	"testing"
)

// Any classes file either fails with an error or gives a list within the
// kernel's bounds: ids in range, short base names only.
func FuzzParse(f *testing.F) {
	f.Add("shell: sh bash\nnetwork_tool: curl wget # fetchers\n")
	f.Add("# only a comment\n")
	f.Add("a:\nb: x\nb: y\n")
	f.Fuzz(func(t *testing.T, content string) {
		l, err := Parse(strings.NewReader(content), "fuzz")
		if err != nil {
			return
		}
		if len(l.Classes) == 0 || len(l.Classes) > MaxClasses || len(l.Binaries) > MaxBinaries {
			t.Fatalf("%d classes, %d binaries", len(l.Classes), len(l.Binaries))
		}
		for b, id := range l.Binaries {
			if id == 0 || int(id) > len(l.Classes) || len(b) > MaxNameLen || strings.Contains(b, "/") {
				t.Fatalf("binary %q in class %d of %d", b, id, len(l.Classes))
			}
		}
	})
}
