package collector

import (
	"fmt"
	"slices"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/rtsec/rtsec/exporter/metricdef"
)

// seriesDesc makes the per-container samples of one metric, the bulk of a
// scrape: what prometheus.MustNewConstMetric makes, with the label names
// shared by every sample. A sample comes from the free samples; the Gatherer gives it
// back once the page is written, so that a steady scrape allocates none.
type seriesDesc struct {
	desc *prometheus.Desc
	typ  prometheus.ValueType
	// name, help and kind make the sample's family in Gatherer.
	name, help string
	kind       dto.MetricType
	// names are the label names in the order the exposition sorts them;
	// order[i] is the position in the Def's label order of names[i].
	names []*string
	order []int
}

func newSeriesDesc(d metricdef.Def) *seriesDesc {
	labels := d.LabelNames()
	s := &seriesDesc{desc: d.Desc(), typ: d.Type, name: d.Name, help: d.Help, order: make([]int, len(labels))}
	switch d.Type {
	case prometheus.CounterValue:
		s.kind = dto.MetricType_COUNTER
	case prometheus.GaugeValue:
		s.kind = dto.MetricType_GAUGE
	default:
		panic(fmt.Sprintf("%s: value type %v is neither a counter nor a gauge", d.Name, d.Type))
	}
	for i := range s.order {
		s.order[i] = i
	}
	slices.SortFunc(s.order, func(a, b int) int {
		if labels[a] < labels[b] {
			return -1
		}
		return 1
	})
	for _, i := range s.order {
		s.names = append(s.names, &labels[i])
	}
	return s
}

// samples holds the samples Gatherers are done with, with their slices,
// for the next scrape's. Not a sync.Pool: that drops what it holds at each
// garbage collection, which a scrape of thousands of containers runs at
// least once, so most of a scrape's samples were made anew. It keeps at
// most twice the samples of the last gather that gave its own back.
var samples struct {
	sync.Mutex
	free []*sample
}

// getSample returns a free sample, or a new one.
func getSample() *sample {
	samples.Lock()
	defer samples.Unlock()
	n := len(samples.free)
	if n == 0 {
		return new(sample)
	}
	m := samples.free[n-1]
	samples.free[n-1] = nil
	samples.free = samples.free[:n-1]
	return m
}

// releaseSamples gives back the samples of a gather, once its page is
// written; nothing may read them after. They are not cleared, which would
// touch each once more: a free sample keeps its last label values alive,
// strings a live container's series share, until metric overwrites them.
func releaseSamples(list []*sample) {
	samples.Lock()
	defer samples.Unlock()
	samples.free = append(samples.free, list...)
	if keep := 2 * len(list); len(samples.free) > keep {
		clear(samples.free[keep:])
		samples.free = samples.free[:keep]
	}
}

// metric returns the sample of value with labelValues, in the Def's label
// order; it copies them. A count of values that does not match is a
// programming error, as for MustNewConstMetric.
func (s *seriesDesc) metric(value float64, labelValues ...string) prometheus.Metric {
	n := len(s.names)
	if len(labelValues) != n {
		panic(fmt.Sprintf("%s: %d label values for %d labels", s.desc, len(labelValues), n))
	}
	m := getSample()
	m.s, m.value = s, value
	if cap(m.values) < n {
		m.values = make([]string, n)
		m.pairs = make([]dto.LabelPair, n)
		m.labels = make([]*dto.LabelPair, n)
	}
	m.values, m.pairs, m.labels = m.values[:n], m.pairs[:n], m.labels[:n]
	for i, at := range s.order {
		m.values[i] = labelValues[at]
		m.pairs[i].Name, m.pairs[i].Value = s.names[i], &m.values[i]
		m.labels[i] = &m.pairs[i]
	}
	m.key = keyOf(m)
	return m
}

// sample is one counter or gauge sample made by a seriesDesc.
type sample struct {
	s *seriesDesc
	// key is what sortSamples sorts by, made with the label values while
	// they are in cache, beside s, which a gather reads anyway.
	key    sortKey
	value  float64
	values []string // label values, in the order of s.names
	pairs  []dto.LabelPair
	labels []*dto.LabelPair
	// metric is the sample as Gatherer exposes it.
	metric  dto.Metric
	counter dto.Counter
	gauge   dto.Gauge
}

func (m *sample) Desc() *prometheus.Desc { return m.s.desc }

// Write implements prometheus.Metric, as a const metric does. The labels
// it writes stay the sample's.
func (m *sample) Write(out *dto.Metric) error {
	out.Label = m.labels
	switch m.s.kind {
	case dto.MetricType_COUNTER:
		m.counter.Value = &m.value
		out.Counter = &m.counter
	default:
		m.gauge.Value = &m.value
		out.Gauge = &m.gauge
	}
	return nil
}
