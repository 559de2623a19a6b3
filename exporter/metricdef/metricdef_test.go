package metricdef

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

var validName = regexp.MustCompile(`^rtsec_[a-z][a-z0-9_]*$`)

func TestDefinitions(t *testing.T) {
	seen := map[string]bool{}
	for _, d := range All {
		if !validName.MatchString(d.Name) || seen[d.Name] {
			t.Errorf("%q: invalid or duplicate name", d.Name)
		}
		seen[d.Name] = true
		if isCounter := d.TypeName() == "counter"; isCounter != strings.HasSuffix(d.Name, "_total") {
			t.Errorf("%s: counters, and only counters, end in _total", d.Name)
		}
		if !strings.HasSuffix(d.Help, ".") || d.Collector == "" {
			t.Errorf("%s: help must be a sentence and the collector named", d.Name)
		}
		for _, l := range d.Labels {
			if len(l.Values) == 0 && (l.Example == "" || l.Bound == "") {
				t.Errorf("%s{%s}: an unconstrained label needs an example and a bound", d.Name, l.Name)
			}
		}
	}
}

func TestReferenceIsCurrent(t *testing.T) {
	doc, err := os.ReadFile("../../" + ReferencePath)
	if err != nil {
		t.Fatal(err)
	}
	want, err := ReplaceReference(string(doc))
	if err != nil {
		t.Fatal(err)
	}
	if want != string(doc) {
		t.Error(ReferencePath + "'s metric reference is stale: run make generate-docs")
	}
}

func TestReplaceReferenceNeedsMarkers(t *testing.T) {
	if _, err := ReplaceReference("no markers here"); err == nil {
		t.Error("ReplaceReference accepted a document without markers")
	}
}

// The identity labels are described once: every per-container metric is
// marked, none repeats them.
func TestReferenceDescribesIdentityOnce(t *testing.T) {
	doc := Markdown()
	for _, l := range Identity {
		if n := strings.Count(doc, "`"+l.Name+"`"); n != 1 {
			t.Errorf("%s appears %d times in the reference, want once", l.Name, n)
		}
	}
	marked := strings.Count(doc, identityMark) - 1 // the one in the explanation
	want := 0
	for _, d := range All {
		if len(d.Labels) > 0 && d.Labels[0].Name == Identity[0].Name {
			want++
		}
	}
	if want == 0 || marked != want {
		t.Errorf("%d metrics marked with the identity labels, want %d (those whose labels start with them)", marked, want)
	}
}
