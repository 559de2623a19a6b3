package flagdoc

import (
	"strings"
	"testing"

	"github.com/alecthomas/kingpin/v2"
)

func TestMarkdown(t *testing.T) {
	app := kingpin.New("test", "")
	app.Version("1")
	app.Flag("x.on", "Switch.").Default("true").Bool()
	app.Flag("web.path", "Path of | the\n metrics.").Default("/metrics").String()
	app.Flag("x.list", "Paths.").Default("/a", "/b|c").Strings()
	app.Flag("x.more", "Names (repeatable).").Strings()
	app.Flag("x.file", "A file.").Default("").String()
	app.Flag("x.old", "Old name.").Hidden().String()
	want := "| flag | default | meaning |\n|---|---|---|\n" +
		"| `--web.path` | `/metrics` | Path of \\| the metrics. |\n" +
		"| `--x.file` |  | A file. |\n" +
		"| `--x.list` (repeatable) | `/a`, `/b\\|c` | Paths. |\n" +
		"| `--x.more` |  | Names (repeatable). |\n" +
		"| `--[no-]x.on` | `true` | Switch. |\n"
	if got := Markdown(app.Model()); got != want {
		t.Errorf("Markdown:\n%s\nwant:\n%s", got, want)
	}
	doc, err := Replace("# Flags\n"+BeginMarker+"\nstale\n"+EndMarker+"\n", app.Model())
	if err != nil || !strings.Contains(doc, want) || strings.Contains(doc, "stale") {
		t.Errorf("Replace: %v\n%s", err, doc)
	}
	if _, err := Replace("no markers", app.Model()); err == nil {
		t.Error("Replace accepted a document without markers")
	}
}
