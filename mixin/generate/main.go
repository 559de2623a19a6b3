// Command generate formats the mixin's jsonnet sources and writes the files
// generated from it: alerts/*.yaml and dashboards/*.json. Run it from the
// repository root: go run ./mixin/generate
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/rtsec/rtsec/mixin/render"
)

func main() {
	root := flag.String("root", ".", "repository root")
	out := flag.String("out", "", "directory to write the generated files to (default: the repository root)")
	overrides := flag.String("overrides", "", "jsonnet file with a mixin fragment to add, e.g. { _config+:: { containerStartupWindow: '0s' } }")
	format := flag.Bool("fmt", true, "format the mixin's jsonnet sources in place first")
	flag.Parse()
	if err := run(*root, *out, *overrides, *format); err != nil {
		fmt.Fprintln(os.Stderr, "generate:", err)
		os.Exit(1)
	}
}

func run(root, out, overrides string, format bool) error {
	if format {
		changed, err := render.FormatSources(root)
		if err != nil {
			return err
		}
		for _, path := range changed {
			fmt.Println("formatted", path)
		}
	}
	files, err := render.Files(root, overrides)
	if err != nil {
		return err
	}
	if out == "" {
		out = root
	}
	return render.Write(out, files)
}
