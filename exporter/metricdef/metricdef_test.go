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

func TestREADMEReferenceIsCurrent(t *testing.T) {
	doc, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	want, err := ReplaceReference(string(doc))
	if err != nil {
		t.Fatal(err)
	}
	if want != string(doc) {
		t.Error("README.md's metric reference is stale: run make generate")
	}
}

func TestReplaceReferenceNeedsMarkers(t *testing.T) {
	if _, err := ReplaceReference("no markers here"); err == nil {
		t.Error("ReplaceReference accepted a document without markers")
	}
}
