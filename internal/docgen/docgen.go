// Package docgen splices generated text into hand-written documents: the
// text between a begin and an end marker is replaced, the rest is kept.
package docgen

import (
	"fmt"
	"strings"
)

// Splice returns doc with the text between the begin and end markers
// replaced by content. Both markers must be there, once each, begin first.
func Splice(doc, begin, end, content string) (string, error) {
	b := strings.Index(doc, begin)
	e := strings.Index(doc, end)
	switch {
	case b < 0 || e < 0:
		return "", fmt.Errorf("the markers %q and %q are missing", begin, end)
	case e < b:
		return "", fmt.Errorf("the marker %q comes before %q", end, begin)
	case strings.Count(doc, begin) > 1 || strings.Count(doc, end) > 1:
		return "", fmt.Errorf("the markers %q and %q must appear once each", begin, end)
	}
	return doc[:b+len(begin)] + "\n" + content + doc[e:], nil
}
