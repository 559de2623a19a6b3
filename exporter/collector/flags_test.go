package collector

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/alecthomas/kingpin/v2"
)

// A fresh application with one flag of each kind the renamed flags have.
func oldNamesApp(t *testing.T) (app *kingpin.Application, list *[]string, n *uint32, d *time.Duration, on *bool, used *[]string) {
	t.Helper()
	app = kingpin.New("test", "")
	app.Terminate(nil)
	list = app.Flag("collector.x.list", "").Default("a", "b").Strings()
	n = app.Flag("collector.x.n", "").Default("64").Uint32()
	d = app.Flag("collector.x.d", "").Default("1m").Duration()
	on = app.Flag("collector.x.on", "").Default("true").Bool()
	used = new([]string)
	if err := addOldNames(app, []string{"x.list", "x.n", "x.d", "x.on"}, func(old string) { *used = append(*used, old) }); err != nil {
		t.Fatal(err)
	}
	return
}

func TestOldFlagNames(t *testing.T) {
	cases := []struct {
		args     []string
		list     []string
		n        uint32
		d        time.Duration
		on       bool
		usedOld  []string
		errNames string
	}{
		{args: nil, list: []string{"a", "b"}, n: 64, d: time.Minute, on: true},
		{args: []string{"--collector.x.list=c", "--collector.x.n=5", "--collector.x.d=2s", "--no-collector.x.on"}, list: []string{"c"}, n: 5, d: 2 * time.Second},
		// Old names set the same values; a repeatable flag's values
		// replace its defaults, not add to them.
		{args: []string{"--x.list=c", "--x.list=d", "--x.n=5", "--x.d=2s", "--no-x.on"}, list: []string{"c", "d"}, n: 5, d: 2 * time.Second, usedOld: []string{"x.list", "x.list", "x.n", "x.d", "x.on"}},
		{args: []string{"--x.on"}, list: []string{"a", "b"}, n: 64, d: time.Minute, on: true, usedOld: []string{"x.on"}},
		// Both names of one flag: refused, naming both.
		{args: []string{"--collector.x.list=c", "--x.list=d"}, errNames: "--x.list is the old name of --collector.x.list"},
		{args: []string{"--x.n=1", "--collector.x.n=2"}, errNames: "--x.n is the old name of --collector.x.n"},
		{args: []string{"--x.n=many"}, errNames: "many"},
	}
	for _, c := range cases {
		app, list, n, d, on, used := oldNamesApp(t)
		_, err := app.Parse(c.args)
		if c.errNames != "" {
			if err == nil || !strings.Contains(err.Error(), c.errNames) {
				t.Errorf("%v: error %v, want one containing %q", c.args, err, c.errNames)
			}
			continue
		}
		if err != nil {
			t.Errorf("%v: %v", c.args, err)
			continue
		}
		if !slices.Equal(*list, c.list) || *n != c.n || *d != c.d || *on != c.on {
			t.Errorf("%v: list %q n %d d %s on %v; want %q %d %s %v", c.args, *list, *n, *d, *on, c.list, c.n, c.d, c.on)
		}
		if !slices.Equal(*used, c.usedOld) {
			t.Errorf("%v: old names reported used %q, want %q", c.args, *used, c.usedOld)
		}
	}
}

// The old names are hidden from --help, the new ones shown.
func TestOldFlagNamesHidden(t *testing.T) {
	app, _, _, _, _, _ := oldNamesApp(t)
	var help strings.Builder
	app.UsageWriter(&help)
	app.Usage(nil)
	for _, name := range []string{"x.list", "x.n", "x.d", "x.on"} {
		if !strings.Contains(help.String(), "collector."+name) {
			t.Errorf("--help does not show --collector.%s:\n%s", name, help.String())
		}
		if strings.Contains(help.String(), "--"+name) || strings.Contains(help.String(), "--[no-]"+name) {
			t.Errorf("--help shows the old name --%s:\n%s", name, help.String())
		}
	}
}

// Every renamed flag of the exporter has its new name and its old one.
func TestRenamedFlagsExist(t *testing.T) {
	for _, old := range renamedFlags {
		f, current := kingpin.CommandLine.GetFlag(old), kingpin.CommandLine.GetFlag("collector."+old)
		if f == nil || current == nil || !f.Model().Hidden || current.Model().Hidden {
			t.Errorf("--%s: want a hidden old name and a shown --collector.%s", old, old)
		}
	}
}

func TestAddOldNamesNeedsTheNewFlag(t *testing.T) {
	if err := addOldNames(kingpin.New("test", ""), []string{"no.such"}, func(string) {}); err == nil || !strings.Contains(err.Error(), "--collector.no.such") {
		t.Errorf("addOldNames of a flag that does not exist: %v, want an error naming --collector.no.such", err)
	}
}
