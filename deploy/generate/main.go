// Command generate writes the deployment manifests built from the mixin's
// outputs (see package deploy). Run it from the repository root after the
// mixin's: go run ./deploy/generate
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/rtsec/rtsec/deploy"
)

func main() {
	root := flag.String("root", ".", "repository root")
	flag.Parse()
	if err := run(*root); err != nil {
		fmt.Fprintln(os.Stderr, "generate:", err)
		os.Exit(1)
	}
}

func run(root string) error {
	files, err := deploy.Generated(root)
	if err != nil {
		return err
	}
	// A dashboard removed from dashboards/ leaves no stale copy in the chart.
	if err := os.RemoveAll(filepath.Join(root, deploy.ChartFilesPath, "dashboards")); err != nil {
		return fmt.Errorf("clean: %w", err)
	}
	for path, data := range files {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(root, path)), 0o755); err != nil {
			return fmt.Errorf("write: %w", err)
		}
		if err := os.WriteFile(filepath.Join(root, path), data, 0o644); err != nil {
			return fmt.Errorf("write: %w", err)
		}
	}
	return nil
}
