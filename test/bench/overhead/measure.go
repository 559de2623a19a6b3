package main

import (
	"errors"
	"time"

	"github.com/cilium/ebpf"

	"github.com/rtsec/rtsec/test/bench/interleave"
)

// measurement holds every round's figures, per operation: rows' times and
// programs' run time under each column, and the A/A control's times.
type measurement struct {
	ns, prog [][]interleave.Sample // [row][column], one figure a round
	control  []interleave.Sample   // [column]
}

func newMeasurement(rows, columns int) *measurement {
	m := &measurement{control: make([]interleave.Sample, columns)}
	for range rows {
		m.ns = append(m.ns, make([]interleave.Sample, columns))
		m.prog = append(m.prog, make([]interleave.Sample, columns))
	}
	return m
}

// column attaches col, times every row under it reading its programs' run
// time around each, detaches it, and times the control loop (the first
// row's) with nothing attached.
func (m *measurement) column(round, c int, col column, rs []row, hooks map[string]*ebpf.ProgramSpec) error {
	a, err := col.attach()
	if err != nil {
		return err
	}
	for r, row := range rs {
		before, err := runNs(a.programs, hooks, row.hooks)
		if err != nil {
			return errors.Join(err, a.close())
		}
		begin := time.Now()
		if err := row.loop(row.ops); err != nil {
			return errors.Join(err, a.close())
		}
		d := time.Since(begin)
		after, err := runNs(a.programs, hooks, row.hooks)
		if err != nil {
			return errors.Join(err, a.close())
		}
		m.ns[r][c] = append(m.ns[r][c], float64(d.Nanoseconds())/float64(row.ops))
		m.prog[r][c] = append(m.prog[r][c], (after-before)/float64(row.ops))
	}
	if err := a.close(); err != nil {
		return err
	}
	begin := time.Now()
	if err := rs[0].loop(rs[0].ops); err != nil {
		return err
	}
	m.control[c] = append(m.control[c], float64(time.Since(begin).Nanoseconds())/float64(rs[0].ops))
	return nil
}
