// Command gendoc rewrites the metric reference in README.md from the
// metric table.
package main

import (
	"fmt"
	"os"

	"github.com/rtsec/rtsec/exporter/metricdef"
)

func main() {
	const path = "README.md"
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
