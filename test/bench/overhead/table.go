package main

import (
	"fmt"
	"strings"

	"github.com/rtsec/rtsec/test/bench/interleave"
)

// The columns' places: table reads the floor and rtsec from them.
const (
	colNothing = iota
	colFloor
	colRtsec
)

// table formats m as a Markdown table: per row, the time per operation
// with nothing attached, each column's ratio to it, what rtsec adds over
// the floor, and the programs' own run time per operation; last, the A/A
// control row.
func (m *measurement) table(rs []row, columns []column) string {
	var b strings.Builder
	b.WriteString("| row | nothing, ns/op |")
	for _, c := range columns[1:] {
		fmt.Fprintf(&b, " %s |", c.name)
	}
	b.WriteString(" rtsec − floor, ns/op | program ns/op: ")
	for i, c := range columns[1:] {
		if i > 0 {
			b.WriteString(" / ")
		}
		b.WriteString(c.name)
	}
	b.WriteString(" |\n|---|---:|")
	b.WriteString(strings.Repeat("---:|", len(columns)+1))
	b.WriteString("\n")
	for r, row := range rs {
		fmt.Fprintf(&b, "| %s | %.0f |", row.name, m.ns[r][colNothing].Median())
		for c := 1; c < len(columns); c++ {
			fmt.Fprintf(&b, " %s |", ratioCell(ratios(m.ns[r][c], m.ns[r][colNothing])))
		}
		fmt.Fprintf(&b, " %s |", addedCell(differences(m.ns[r][colRtsec], m.ns[r][colFloor])))
		for c := 1; c < len(columns); c++ {
			if c > 1 {
				b.WriteString(" /")
			}
			fmt.Fprintf(&b, " %.0f", m.prog[r][c].Median())
		}
		b.WriteString(" |\n")
	}
	fmt.Fprintf(&b, "| A/A control: row 1, nothing attached in each column's turn | %.0f |", m.control[colNothing].Median())
	for c := 1; c < len(columns); c++ {
		fmt.Fprintf(&b, " %s |", ratioCell(ratios(m.control[c], m.control[colNothing])))
	}
	fmt.Fprintf(&b, " %s | — |\n", addedCell(differences(m.control[colRtsec], m.control[colFloor])))
	return b.String()
}

// ratios returns a[k]/b[k] for each round k.
func ratios(a, b interleave.Sample) interleave.Sample {
	s := make(interleave.Sample, len(a))
	for k := range a {
		s[k] = a[k] / b[k]
	}
	return s
}

// differences returns a[k]-b[k] for each round k.
func differences(a, b interleave.Sample) interleave.Sample {
	s := make(interleave.Sample, len(a))
	for k := range a {
		s[k] = a[k] - b[k]
	}
	return s
}

// ratioCell is a median ratio and its interval: "1.07× [1.05–1.09]".
func ratioCell(s interleave.Sample) string {
	lo, hi := s.MedianInterval()
	return fmt.Sprintf("%.2f× [%.2f–%.2f]", s.Median(), lo, hi)
}

// addedCell is a median difference in ns and its interval: "+130 [90, 170]".
func addedCell(s interleave.Sample) string {
	lo, hi := s.MedianInterval()
	return fmt.Sprintf("%+.0f [%+.0f, %+.0f]", s.Median(), lo, hi)
}
