// Package render evaluates the rtsec monitoring mixin and renders the files
// generated from it: rule files, the PrometheusRule manifest and dashboards.
package render

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/google/go-jsonnet"
	"github.com/google/go-jsonnet/formatter"
)

// Dir is the mixin's directory relative to the repository root.
const Dir = "mixin"

// Files evaluates mixin/files.jsonnet under root and returns the generated
// files keyed by their path relative to the repository root. overrides, when
// not empty, names a jsonnet file whose object is added to the mixin.
func Files(root, overrides string) (map[string][]byte, error) {
	vm := jsonnet.MakeVM()
	vm.Importer(&jsonnet.FileImporter{JPaths: []string{filepath.Join(root, Dir)}})
	if overrides != "" {
		abs, err := filepath.Abs(overrides)
		if err != nil {
			return nil, fmt.Errorf("overrides: %w", err)
		}
		vm.TLACode("overrides", fmt.Sprintf("import %q", abs))
	}
	main := filepath.Join(root, Dir, "files.jsonnet")
	src, err := os.ReadFile(main)
	if err != nil {
		return nil, fmt.Errorf("read mixin: %w", err)
	}
	out, err := vm.EvaluateAnonymousSnippet(main, string(src))
	if err != nil {
		return nil, fmt.Errorf("evaluate mixin: %w", err)
	}
	var texts map[string]string
	if err := json.Unmarshal([]byte(out), &texts); err != nil {
		return nil, fmt.Errorf("decode mixin output: %w", err)
	}
	files := make(map[string][]byte, len(texts))
	for name, text := range texts {
		files[name] = []byte(text + "\n")
	}
	return files, nil
}

// Write stores files under dir, creating directories as needed.
func Write(dir string, files map[string][]byte) error {
	for _, name := range SortedNames(files) {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return fmt.Errorf("write %s: %w", name, err)
		}
		if err := os.WriteFile(path, files[name], 0o644); err != nil {
			return fmt.Errorf("write %s: %w", name, err)
		}
	}
	return nil
}

// SortedNames lists the keys of files in order.
func SortedNames(files map[string][]byte) []string {
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// Sources lists the jsonnet sources of the mixin under root.
func Sources(root string) ([]string, error) {
	var paths []string
	err := filepath.WalkDir(filepath.Join(root, Dir), func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && (strings.HasSuffix(path, ".libsonnet") || strings.HasSuffix(path, ".jsonnet")) {
			paths = append(paths, path)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list mixin sources: %w", err)
	}
	return paths, nil
}

// Format returns a jsonnet source formatted the way jsonnetfmt does.
func Format(path string, src []byte) ([]byte, error) {
	out, err := formatter.Format(path, string(src), formatter.DefaultOptions())
	if err != nil {
		return nil, fmt.Errorf("format %s: %w", path, err)
	}
	return []byte(out), nil
}

// FormatSources rewrites every mixin source under root that is not formatted
// and returns the paths it changed.
func FormatSources(root string) ([]string, error) {
	paths, err := Sources(root)
	if err != nil {
		return nil, err
	}
	var changed []string
	for _, path := range paths {
		src, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("format: %w", err)
		}
		out, err := Format(path, src)
		if err != nil {
			return nil, err
		}
		if !bytes.Equal(src, out) {
			if err := os.WriteFile(path, out, 0o644); err != nil {
				return nil, fmt.Errorf("format: %w", err)
			}
			changed = append(changed, path)
		}
	}
	return changed, nil
}
