package classes

import (
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	l, err := Parse(strings.NewReader("# comment\nshell: sh bash # trailing\n\nminer: xmrig\n"), "f")
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(l.Classes, ","); got != "shell,miner" {
		t.Errorf("classes %q, want shell,miner", got)
	}
	for name, want := range map[string]uint8{"sh": 1, "bash": 1, "xmrig": 2} {
		if got := l.Binaries[name]; got != want {
			t.Errorf("class id of %s = %d, want %d", name, got, want)
		}
	}
	if l.ID("miner") != 2 || l.ID("none") != 0 {
		t.Errorf("ID(miner)=%d ID(none)=%d, want 2 and 0", l.ID("miner"), l.ID("none"))
	}
}

func TestParseErrorsNameTheLine(t *testing.T) {
	cases := []struct{ in, want string }{
		{"shell sh bash", "f:1: want \"class: binary…\""},
		{"shell: sh\n\nShell: bash", "f:3: class name \"Shell\""},
		{"shell: sh\nshell: bash", "f:2: class \"shell\" listed twice"},
		{"shell: sh\nother: sh", "f:2: binary \"sh\" is already in class \"shell\""},
		{"shell: /bin/sh", "f:1: binary \"/bin/sh\""},
		{"shell: " + strings.Repeat("x", 32), "f:1: binary"},
	}
	for _, c := range cases {
		_, err := Parse(strings.NewReader(c.in), "f")
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Parse(%q) error %v, want one containing %q", c.in, err, c.want)
		}
	}
}

func TestDefault(t *testing.T) {
	l := Default()
	if l.ID(Shell) == 0 || l.Binaries["bash"] != l.ID(Shell) {
		t.Errorf("built-in list lacks shells: %v", l.Classes)
	}
	if len(l.Classes) != 11 {
		t.Errorf("built-in list has %d classes, want the 11 metricdef documents", len(l.Classes))
	}
}
