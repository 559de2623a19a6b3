package soak

import "testing"

func TestGrowing(t *testing.T) {
	ramp := make([]float64, 40)
	flat := make([]float64, 40)
	step := make([]float64, 40)
	fill := make([]float64, 60) // filled slowly until 50, then flat
	late := make([]float64, 60) // flat until 36, then a leak
	for i := range fill {
		fill[i] = float64(100 + 5*min(i, 50))
		late[i] = float64(100 + 5*max(i-36, 0))
	}
	for i := range ramp {
		ramp[i] = float64(100 + 10*i)
		flat[i] = float64(100 + i%3)
		step[i] = 100
		if i > 5 {
			step[i] = 200 // a cache filled during warm-up, then stays
		}
	}
	for name, c := range map[string]struct {
		v    []float64
		warm int
		want bool
	}{
		"ramp": {ramp, 8, true}, "flat": {flat, 8, false}, "step": {step, 8, false},
		"fill": {fill, 50, false}, "fill, warm-up too short": {fill, 12, true},
		"late": {late, 36, true}, "all warm-up": {ramp, 40, false},
	} {
		if got := growing(c.v, c.warm, 0.05); got != c.want {
			t.Errorf("growing(%s) = %v, want %v", name, got, c.want)
		}
	}
}
