package docgen

import "testing"

func TestSplice(t *testing.T) {
	const begin, end = "<!-- b -->", "<!-- e -->"
	got, err := Splice("intro\n<!-- b -->\nold\ntext\n<!-- e -->\noutro\n", begin, end, "new\n")
	if want := "intro\n<!-- b -->\nnew\n<!-- e -->\noutro\n"; err != nil || got != want {
		t.Errorf("Splice = %q, %v; want %q", got, err, want)
	}
	for _, doc := range []string{
		"no markers",
		"<!-- b --> only the begin",
		"<!-- e --> <!-- b --> out of order",
		"<!-- b --> <!-- e --> <!-- b --> <!-- e --> twice",
	} {
		if _, err := Splice(doc, begin, end, "x"); err == nil {
			t.Errorf("Splice(%q) accepted a document without one begin and one end marker in order", doc)
		}
	}
}
