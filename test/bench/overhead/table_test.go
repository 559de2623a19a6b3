package main

import (
	"strings"
	"testing"

	"github.com/rtsec/rtsec/test/bench/interleave"
)

// nine repeats v for nine rounds.
func nine(v float64) interleave.Sample {
	s := make(interleave.Sample, 9)
	for k := range s {
		s[k] = v
	}
	return s
}

func TestTable(t *testing.T) {
	columns := []column{{name: "nothing"}, {name: "floor"}, {name: "rtsec"}, {name: "ring"}}
	rs := []row{{name: "open"}, {name: "getpid"}}
	m := newMeasurement(len(rs), len(columns))
	m.ns[0] = []interleave.Sample{nine(1000), nine(1050), nine(1200), nine(2400)}
	m.prog[0] = []interleave.Sample{nine(0), nine(50), nine(180), nine(900)}
	m.ns[1] = []interleave.Sample{nine(100), nine(130), nine(130), nine(140)}
	m.prog[1] = []interleave.Sample{nine(0), nine(0), nine(0), nine(1)}
	m.control = []interleave.Sample{nine(1000), nine(1010), nine(990), nine(1000)}
	got := m.table(rs, columns)
	want := []string{
		"| row | nothing, ns/op | floor | rtsec | ring | rtsec − floor, ns/op | program ns/op: floor / rtsec / ring |",
		"|---|---:|---:|---:|---:|---:|---:|",
		"| open | 1000 | 1.05× [1.05–1.05] | 1.20× [1.20–1.20] | 2.40× [2.40–2.40] | +150 [+150, +150] | 50 / 180 / 900 |",
		"| getpid | 100 | 1.30× [1.30–1.30] | 1.30× [1.30–1.30] | 1.40× [1.40–1.40] | +0 [+0, +0] | 0 / 0 / 1 |",
		"| A/A control: row 1, nothing attached in each column's turn | 1000 | 1.01× [1.01–1.01] | 0.99× [0.99–0.99] | 1.00× [1.00–1.00] | -20 [-20, -20] | — |",
	}
	if lines := strings.Split(strings.TrimSuffix(got, "\n"), "\n"); strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Errorf("table =\n%s\nwant\n%s", got, strings.Join(want, "\n"))
	}
}

func TestRatiosPerRound(t *testing.T) {
	// Each round's ratio is taken against the same round's base: a
	// machine twice as slow in round 2 leaves the ratio alone.
	a := interleave.Sample{110, 220, 330}
	b := interleave.Sample{100, 200, 300}
	for k, r := range ratios(a, b) {
		if r < 1.0999 || r > 1.1001 {
			t.Errorf("ratio of round %d = %v, want 1.1", k, r)
		}
	}
	if d := differences(a, b); d[0] != 10 || d[1] != 20 || d[2] != 30 {
		t.Errorf("differences = %v, want [10 20 30]", d)
	}
}
