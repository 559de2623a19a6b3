// Command generate writes the files generated in the deployment manifests
// (see package deploy). Run it from the repository root:
// go run ./deploy/generate
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
	for path, data := range files {
		if err := os.WriteFile(filepath.Join(root, path), data, 0o644); err != nil {
			return fmt.Errorf("write: %w", err)
		}
	}
	return nil
}
