package deploy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"gopkg.in/yaml.v3"
)

// ChartReadmePath is the chart's README, whose values table is generated
// from the comments of values.yaml.
const ChartReadmePath = ChartPath + "/README.md"

// The markers around the generated values table in the chart's README.
const (
	valuesBegin = "<!-- values table: generated from values.yaml by `make generate`; do not edit -->\n"
	valuesEnd   = "<!-- end of values table -->\n"
)

// chartReadme returns the chart's README with its values table rebuilt from
// values.yaml under root.
func chartReadme(root string) ([]byte, error) {
	readme, err := os.ReadFile(filepath.Join(root, ChartReadmePath))
	if err != nil {
		return nil, fmt.Errorf("chart readme: %w", err)
	}
	values, err := os.ReadFile(filepath.Join(root, ChartPath, "values.yaml"))
	if err != nil {
		return nil, fmt.Errorf("chart values: %w", err)
	}
	table, err := ValuesTable(values)
	if err != nil {
		return nil, err
	}
	before, rest, ok := bytes.Cut(readme, []byte(valuesBegin))
	_, after, ok2 := bytes.Cut(rest, []byte(valuesEnd))
	if !ok || !ok2 {
		return nil, fmt.Errorf("%s: no %q ... %q markers for the values table", ChartReadmePath, strings.TrimSpace(valuesBegin), strings.TrimSpace(valuesEnd))
	}
	var out bytes.Buffer
	out.Write(before)
	out.WriteString(valuesBegin)
	out.Write(table)
	out.WriteString(valuesEnd)
	out.Write(after)
	return out.Bytes(), nil
}

// ValuesTable returns the Markdown table of a chart's values.yaml: one row
// for each key whose comment has a paragraph starting "# -- " (the
// description, up to the key), with the key's dotted path and its default.
// A key without one is a row only through its children: a value nobody
// documented, a mapping key whose children are not documented either, is
// an error naming it.
func ValuesTable(values []byte) ([]byte, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(values, &doc); err != nil {
		return nil, fmt.Errorf("values.yaml: %w", err)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, fmt.Errorf("values.yaml: not a mapping")
	}
	var out bytes.Buffer
	out.WriteString("| value | default | description |\n|---|---|---|\n")
	if err := valuesRows(&out, "", doc.Content[0]); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

func valuesRows(out *bytes.Buffer, prefix string, m *yaml.Node) error {
	for i := 0; i+1 < len(m.Content); i += 2 {
		key, value := m.Content[i], m.Content[i+1]
		path := prefix + key.Value
		if description, ok := describe(key.HeadComment); ok {
			def, err := defaultText(value)
			if err != nil {
				return fmt.Errorf("values.yaml: %s: %w", path, err)
			}
			fmt.Fprintf(out, "| `%s` | %s | %s |\n", path, def, strings.ReplaceAll(description, "|", `\|`))
			continue
		}
		if value.Kind != yaml.MappingNode || len(value.Content) == 0 {
			return fmt.Errorf("values.yaml: %s has no description (a comment paragraph starting \"# -- \")", path)
		}
		if err := valuesRows(out, path+".", value); err != nil {
			return err
		}
	}
	return nil
}

// describe returns the text of the last comment paragraph that starts with
// "# -- ", joined into one line.
func describe(comment string) (string, bool) {
	paragraphs := strings.Split(comment, "\n\n")
	last := strings.TrimSpace(paragraphs[len(paragraphs)-1])
	text, ok := strings.CutPrefix(last, "# -- ")
	if !ok {
		return "", false
	}
	var words []string
	for line := range strings.Lines(text) {
		words = append(words, strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(line), "#")))
	}
	return strings.Join(words, " "), true
}

// defaultText is a value's default as compact JSON in a code span.
func defaultText(value *yaml.Node) (string, error) {
	var v any
	if err := value.Decode(&v); err != nil {
		return "", err
	}
	data, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	return "`" + strings.ReplaceAll(string(data), "|", `\|`) + "`", nil
}
