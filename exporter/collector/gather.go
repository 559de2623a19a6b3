package collector

import (
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// NewGatherer gathers c's metrics and others' for scrape.MetricsHandler
// (or promhttp.HandlerForTransactional). The samples a seriesDesc makes, the
// bulk of a scrape, are exposed as they are: they skip the registry's copy
// into a new dto.Metric, its hashing and its checks of label names, which
// their seriesDesc fixes; what could still go wrong is checked (a label
// value that is not valid UTF-8, a series collected twice), and such a
// sample is left out with an error, as the registry does. The rest of what
// c collects goes through a prometheus.Registry, as others do; a family
// may hold both (a sample wrapped with an exemplar). The page is the
// registry's, sorted the same way. done gives the samples back to their
// free samples: until then nothing else touches them, so concurrent gathers share
// no mutable dto.
func NewGatherer(c prometheus.Collector, others prometheus.Gatherer) prometheus.TransactionalGatherer {
	return &gatherer{c: c, others: others}
}

type gatherer struct {
	c      prometheus.Collector
	others prometheus.Gatherer

	// free holds the buffers of gathers whose pages are written, for the
	// next gathers.
	free freeList[*buffers]
}

// buffers are a gather's slices, which its families point into until done.
type buffers struct {
	bulk     map[*seriesDesc][]sortKey
	gathered []*sample
	// metrics are the families' metric lists, by family.
	metrics map[*seriesDesc][]*dto.Metric
}

func (g *gatherer) buffers() *buffers {
	if b, ok := g.free.get(); ok {
		return b
	}
	return &buffers{bulk: map[*seriesDesc][]sortKey{}, metrics: map[*seriesDesc][]*dto.Metric{}}
}

// release empties b (what it points to may go) and keeps it.
func (g *gatherer) release(b *buffers) {
	for s, list := range b.bulk {
		clear(list)
		b.bulk[s] = list[:0]
	}
	for s, list := range b.metrics {
		clear(list)
		b.metrics[s] = list[:0]
	}
	clear(b.gathered)
	b.gathered = b.gathered[:0]
	g.free.put(b)
}

// replay is a collector of metrics already collected.
type replay []prometheus.Metric

func (replay) Describe(chan<- *prometheus.Desc) {}

func (r replay) Collect(ch chan<- prometheus.Metric) {
	for _, m := range r {
		ch <- m
	}
}

func (g *gatherer) Gather() ([]*dto.MetricFamily, func(), error) {
	buf := g.buffers()
	bulk := buf.bulk
	var rest replay
	var panicked error
	ch := make(chan prometheus.Metric, 1024)
	go func() {
		defer close(ch)
		// As the registry does: a collector's panic is an error of this gather.
		defer func() {
			if r := recover(); r != nil {
				panicked = fmt.Errorf("collector panic recovered: %v", r)
			}
		}()
		g.c.Collect(ch)
	}()
	n := 0
	for m := range ch {
		if s, ok := m.(*sample); ok {
			bulk[s.s] = append(bulk[s.s], s.key)
			n++
			continue
		}
		rest = append(rest, m)
	}
	gathered := slices.Grow(buf.gathered, n)
	// Those left out are given back with the gathered ones: the trimming of
	// the free samples counts them all.
	var dropped []*sample
	done := func() {
		releaseSamples(append(gathered, dropped...))
		buf.gathered = gathered
		g.release(buf)
	}
	errs := []error{panicked}

	reg := prometheus.NewRegistry()
	reg.MustRegister(rest)
	gatherers := prometheus.Gatherers{reg}
	if g.others != nil {
		gatherers = append(gatherers, g.others)
	}
	mfs, err := gatherers.Gather()
	errs = append(errs, err)
	byName := make(map[string]*dto.MetricFamily, len(mfs))
	for _, mf := range mfs {
		byName[mf.GetName()] = mf
	}
	for s, list := range bulk {
		if len(list) == 0 {
			continue // a family of an earlier gather's buffers
		}
		mf := byName[s.name]
		if mf == nil {
			mf = &dto.MetricFamily{Name: &s.name, Help: &s.help, Type: &s.kind}
			byName[s.name] = mf
			mfs = append(mfs, mf)
		} else if mf.GetType() != s.kind || mf.GetHelp() != s.help {
			errs = append(errs, fmt.Errorf("collected metric %s has help %q and type %v, but the family has help %q and type %v", s.name, s.help, s.kind, mf.GetHelp(), mf.GetType()))
			for _, k := range list {
				dropped = append(dropped, k.m)
			}
			continue
		}
		sortSamples(list)
		metrics := slices.Grow(buf.metrics[s], len(list)+len(mf.Metric))
		var prev *sample // the last one kept
		for _, k := range list {
			m := k.m
			if err := m.check(); err != nil {
				errs = append(errs, err)
				dropped = append(dropped, m)
				continue
			}
			if prev != nil && compareSamples(prev, m) == 0 {
				errs = append(errs, fmt.Errorf("collected metric %s %v was collected before with the same name and label values", s.name, m.values))
				dropped = append(dropped, m)
				continue
			}
			m.metric.Label = m.labels
			// Both set: a free sample is not cleared, and may have been
			// the other kind.
			if s.kind == dto.MetricType_COUNTER {
				m.counter.Value = &m.value
				m.metric.Counter, m.metric.Gauge = &m.counter, nil
			} else {
				m.gauge.Value = &m.value
				m.metric.Counter, m.metric.Gauge = nil, &m.gauge
			}
			metrics = append(metrics, &m.metric)
			gathered = append(gathered, m)
			prev = m
		}
		if len(mf.Metric) > 0 {
			metrics = append(metrics, mf.Metric...)
			slices.SortStableFunc(metrics, compareMetrics)
			metrics = slices.CompactFunc(metrics, func(a, b *dto.Metric) bool {
				if compareMetrics(a, b) != 0 {
					return false
				}
				errs = append(errs, fmt.Errorf("collected metric %s %v was collected before with the same name and label values", s.name, b.GetLabel()))
				return true
			})
		}
		mf.Metric = metrics
		buf.metrics[s] = metrics
		if len(metrics) == 0 {
			mfs = slices.DeleteFunc(mfs, func(f *dto.MetricFamily) bool { return f == mf })
		}
	}
	slices.SortFunc(mfs, func(a, b *dto.MetricFamily) int { return strings.Compare(a.GetName(), b.GetName()) })
	return mfs, done, errors.Join(errs...)
}

// check reports what the registry would refuse in m: a label value that is
// not valid UTF-8 (which keyOf found, while the values were in cache).
func (m *sample) check() error {
	if !m.key.invalid {
		return nil
	}
	for i, v := range m.values {
		if !utf8.ValidString(v) {
			return fmt.Errorf("collected metric %s has a label %s whose value %q is not valid UTF-8", m.s.name, *m.s.names[i], v)
		}
	}
	return nil
}

// sortKey is a sample and the start of its label values' bytes, joined by
// NUL bytes, as 8-byte words. The samples are scattered in memory: following
// a pointer to one is a cache miss, which made sorting half of a gather's
// time. So the keys, side by side, are sorted, and only equal keys compare
// the samples.
type sortKey struct {
	k [3]uint64
	m *sample
	// nul says a label value holds a NUL byte, which the key cannot tell
	// from the separator; invalid that one is not valid UTF-8.
	nul, invalid bool
}

// keyOf returns m's sortKey.
func keyOf(m *sample) sortKey {
	k := sortKey{m: m}
	var b [len(k.k) * 8]byte
	n := 0
	for i, v := range m.values {
		if strings.IndexByte(v, 0) >= 0 {
			k.nul = true
		}
		if !utf8.ValidString(v) {
			k.invalid = true
		}
		if i > 0 && n < len(b) {
			n++ // the NUL between two values
		}
		n += copy(b[n:], v)
	}
	for i := range k.k {
		k.k[i] = binary.BigEndian.Uint64(b[i*8:])
	}
	return k
}

// sortSamples sorts the keys of samples of one seriesDesc as
// compareSamples sorts the samples; a family with a NUL in a label value
// is sorted by compareSamples alone.
func sortSamples(keys []sortKey) {
	if slices.ContainsFunc(keys, func(k sortKey) bool { return k.nul }) {
		slices.SortFunc(keys, func(a, b sortKey) int { return compareSamples(a.m, b.m) })
		return
	}
	slices.SortFunc(keys, func(a, b sortKey) int {
		for i, k := range a.k {
			if k != b.k[i] {
				return cmp.Compare(k, b.k[i])
			}
		}
		return compareSamples(a.m, b.m)
	})
}

// compareSamples orders two samples of one seriesDesc by their label
// values, as the registry orders a family's metrics.
func compareSamples(a, b *sample) int {
	for i, v := range a.values {
		if c := strings.Compare(v, b.values[i]); c != 0 {
			return c
		}
	}
	return 0
}

// compareMetrics orders metrics as the registry does: by their number of
// labels, their label values, then their timestamp.
func compareMetrics(a, b *dto.Metric) int {
	if c := cmp.Compare(len(a.Label), len(b.Label)); c != 0 {
		return c
	}
	for i, l := range a.Label {
		if c := strings.Compare(l.GetValue(), b.Label[i].GetValue()); c != 0 {
			return c
		}
	}
	return cmp.Compare(a.GetTimestampMs(), b.GetTimestampMs())
}
