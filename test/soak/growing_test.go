package soak

import "testing"

func TestGrowing(t *testing.T) {
	ramp := make([]float64, 40)
	flat := make([]float64, 40)
	step := make([]float64, 40)
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
		want bool
	}{"ramp": {ramp, true}, "flat": {flat, false}, "step": {step, false}} {
		if got := growing(c.v, 0.05); got != c.want {
			t.Errorf("growing(%s) = %v, want %v", name, got, c.want)
		}
	}
}
