// Package interleave times a benchmark loop with nothing attached and under
// each of a list of attachments, round after round, so that a shared
// machine's drift in speed falls on all of them alike, and summarises each
// by its median over the rounds.
package interleave

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"time"
)

// MinRounds is the fewest rounds a median is taken over.
const MinRounds = 5

// Loop runs the measured workload once and returns how long it took.
type Loop func() (time.Duration, error)

// Attachment runs loop with something attached (BPF programs) and returns
// loop's duration and a figure read while attached, such as the programs'
// run time from the kernel's BPF statistics.
type Attachment func(loop Loop) (time.Duration, float64, error)

// Sample holds one figure per round.
type Sample []float64

// Median returns the middle figure (the upper one of an even count).
func (s Sample) Median() float64 {
	c := slices.Clone(s)
	slices.Sort(c)
	return c[len(c)/2]
}

// Min returns the smallest figure.
func (s Sample) Min() float64 { return slices.Min(s) }

// Max returns the largest figure.
func (s Sample) Max() float64 { return slices.Max(s) }

// Results are the timings of interleaved rounds.
type Results struct {
	base    []time.Duration   // per round, nothing attached
	with    [][]time.Duration // per attachment, per round
	figures []Sample          // per attachment, per round
}

// Run runs rounds rounds, each timing loop with nothing attached and then
// under each attachment in order.
func Run(rounds int, loop Loop, attachments ...Attachment) (*Results, error) {
	if rounds < MinRounds {
		return nil, fmt.Errorf("-rounds=%d: need at least %d for a median", rounds, MinRounds)
	}
	r := &Results{with: make([][]time.Duration, len(attachments)), figures: make([]Sample, len(attachments))}
	for range rounds {
		d, err := loop()
		if err != nil {
			return nil, err
		}
		r.base = append(r.base, d)
		for i, attach := range attachments {
			d, figure, err := attach(loop)
			if err != nil {
				return nil, err
			}
			r.with[i] = append(r.with[i], d)
			r.figures[i] = append(r.figures[i], figure)
		}
	}
	return r, nil
}

// BaseNs returns each round's time per operation in ns with nothing
// attached, for a loop of n operations.
func (r *Results) BaseNs(n int) Sample {
	return perOp(r.base, n)
}

// AttachedNs returns each round's time per operation in ns under
// attachment i.
func (r *Results) AttachedNs(i, n int) Sample {
	return perOp(r.with[i], n)
}

// AddedNs returns what attachment i added per operation in ns: its time
// minus the same round's time with nothing attached.
func (r *Results) AddedNs(i, n int) Sample {
	s := make(Sample, len(r.base))
	for k, b := range r.base {
		s[k] = float64((r.with[i][k] - b).Nanoseconds()) / float64(n)
	}
	return s
}

// Ratio returns each round's time under attachment i over the same round's
// time with nothing attached.
func (r *Results) Ratio(i int) Sample {
	s := make(Sample, len(r.base))
	for k, b := range r.base {
		s[k] = float64(r.with[i][k]) / float64(b)
	}
	return s
}

// Figure returns the figures attachment i returned, one per round.
func (r *Results) Figure(i int) Sample {
	return r.figures[i]
}

func perOp(ds []time.Duration, n int) Sample {
	s := make(Sample, len(ds))
	for k, d := range ds {
		s[k] = float64(d.Nanoseconds()) / float64(n)
	}
	return s
}

// bootstrapResamples is how many resamples an interval is drawn from.
const bootstrapResamples = 2000

// MedianInterval returns a 95 % bootstrap interval of the median: the
// 2.5th and 97.5th percentiles of the medians of resamples of s (rounds
// drawn with replacement). The generator has a fixed seed, so the same
// figures give the same interval.
func (s Sample) MedianInterval() (lo, hi float64) {
	rng := rand.New(rand.NewPCG(1, 2))
	medians := make(Sample, bootstrapResamples)
	resample := make(Sample, len(s))
	for i := range medians {
		for k := range resample {
			resample[k] = s[rng.IntN(len(s))]
		}
		medians[i] = resample.Median()
	}
	slices.Sort(medians)
	return medians[bootstrapResamples*25/1000], medians[bootstrapResamples*975/1000]
}
