// Command gendoc rewrites the metric reference in docs/metrics.md from the
// metric table. Run from the repository's root (make generate-docs).
package main

import (
	"fmt"
	"os"

	"github.com/rtsec/rtsec/exporter/metricdef"
)

func main() {
	path := metricdef.ReferencePath
	doc, err := os.ReadFile(path)
	if err == nil {
		var out string
		if out, err = metricdef.ReplaceReference(string(doc)); err == nil {
			err = os.WriteFile(path, []byte(out), 0o644)
		}
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "gendoc: %s: %v\n", path, err)
		os.Exit(1)
	}
}
