package interleave

import (
	"errors"
	"slices"
	"testing"
	"time"
)

func TestRunInterleaves(t *testing.T) {
	var order []string
	base := []time.Duration{100, 200, 100, 300, 100}
	round := 0
	loop := func() (time.Duration, error) {
		order = append(order, "loop")
		return base[round], nil
	}
	double := func(l Loop) (time.Duration, float64, error) {
		order = append(order, "double")
		d, err := l()
		round++
		return 2 * d, float64(round), err
	}
	r, err := Run(len(base), loop, double)
	if err != nil {
		t.Fatal(err)
	}
	if want := slices.Repeat([]string{"loop", "double", "loop"}, len(base)); !slices.Equal(order, want) {
		t.Errorf("order = %v, want %v", order, want)
	}
	cases := []struct {
		name string
		got  Sample
		want Sample
	}{
		{"BaseNs", r.BaseNs(10), Sample{10, 20, 10, 30, 10}},
		{"AttachedNs", r.AttachedNs(0, 10), Sample{20, 40, 20, 60, 20}},
		{"AddedNs", r.AddedNs(0, 10), Sample{10, 20, 10, 30, 10}},
		{"Ratio", r.Ratio(0), Sample{2, 2, 2, 2, 2}},
		{"Figure", r.Figure(0), Sample{1, 2, 3, 4, 5}},
	}
	for _, c := range cases {
		if !slices.Equal(c.got, c.want) {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
}

func TestRunNeedsRounds(t *testing.T) {
	loop := func() (time.Duration, error) { return 1, nil }
	if _, err := Run(MinRounds-1, loop); err == nil {
		t.Errorf("Run(%d rounds) = nil error, want one", MinRounds-1)
	}
}

func TestRunStopsOnError(t *testing.T) {
	boom := errors.New("boom")
	loop := func() (time.Duration, error) { return 1, nil }
	fail := func(Loop) (time.Duration, float64, error) { return 0, 0, boom }
	if _, err := Run(MinRounds, loop, fail); !errors.Is(err, boom) {
		t.Errorf("err = %v, want %v", err, boom)
	}
}

func TestSample(t *testing.T) {
	cases := []struct {
		s                Sample
		median, min, max float64
	}{
		{Sample{3, 1, 2}, 2, 1, 3},
		{Sample{4, 1, 3, 2}, 3, 1, 4},
		{Sample{5, 5, 1, 9, 7}, 5, 1, 9},
	}
	for _, c := range cases {
		if got := c.s.Median(); got != c.median {
			t.Errorf("%v.Median() = %v, want %v", c.s, got, c.median)
		}
		if got := c.s.Min(); got != c.min {
			t.Errorf("%v.Min() = %v, want %v", c.s, got, c.min)
		}
		if got := c.s.Max(); got != c.max {
			t.Errorf("%v.Max() = %v, want %v", c.s, got, c.max)
		}
	}
}

func TestMedianInterval(t *testing.T) {
	cases := []struct {
		name string
		s    Sample
		// The interval must lie within [lo, hi] and hold the median;
		// wide says it must not be a single point.
		lo, hi float64
		wide   bool
	}{
		{"constant", Sample{2, 2, 2, 2, 2, 2, 2, 2, 2}, 2, 2, false},
		{"spread", Sample{1, 2, 3, 4, 5, 6, 7, 8, 9}, 2, 8, true},
		// One outlier moves the median's interval by one rank at most.
		{"outlier", Sample{10, 10, 10, 10, 11, 11, 11, 11, 100}, 10, 11, false},
	}
	for _, c := range cases {
		lo, hi := c.s.MedianInterval()
		m := c.s.Median()
		if lo > m || hi < m || lo < c.lo || hi > c.hi {
			t.Errorf("%s: MedianInterval = [%v, %v], want within [%v, %v] around the median %v", c.name, lo, hi, c.lo, c.hi, m)
		}
		if c.wide && lo == hi {
			t.Errorf("%s: MedianInterval = [%v, %v], want a spread", c.name, lo, hi)
		}
	}
}
