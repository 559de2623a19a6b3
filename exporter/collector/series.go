package collector

import (
	"fmt"
	"slices"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/rtsec/rtsec/exporter/metricdef"
)

// seriesDesc makes the per-container samples of one metric, the bulk of a
// scrape: what prometheus.MustNewConstMetric makes, with the label names
// shared by every sample and a sample's label pairs, values and value in
// four allocations instead of three per label and four more.
type seriesDesc struct {
	desc *prometheus.Desc
	typ  prometheus.ValueType
	// names are the label names in the order the exposition sorts them;
	// order[i] is the position in the Def's label order of names[i].
	names []*string
	order []int
}

func newSeriesDesc(d metricdef.Def) *seriesDesc {
	labels := d.LabelNames()
	s := &seriesDesc{desc: d.Desc(), typ: d.Type, order: make([]int, len(labels))}
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

// metric returns the sample of value with labelValues, in the Def's label
// order; it copies them. A count of values that does not match is a
// programming error, as for MustNewConstMetric.
func (s *seriesDesc) metric(value float64, labelValues ...string) prometheus.Metric {
	if len(labelValues) != len(s.names) {
		panic(fmt.Sprintf("%s: %d label values for %d labels", s.desc, len(labelValues), len(s.names)))
	}
	m := &sample{desc: s.desc, typ: s.typ, value: value}
	n := len(s.names)
	values := make([]string, n)
	pairs := make([]dto.LabelPair, n)
	m.labels = make([]*dto.LabelPair, n)
	for i, at := range s.order {
		values[i] = labelValues[at]
		pairs[i].Name, pairs[i].Value = s.names[i], &values[i]
		m.labels[i] = &pairs[i]
	}
	return m
}

// sample is one counter or gauge sample made by a seriesDesc.
type sample struct {
	desc    *prometheus.Desc
	typ     prometheus.ValueType
	value   float64
	labels  []*dto.LabelPair
	counter dto.Counter
	gauge   dto.Gauge
}

func (m *sample) Desc() *prometheus.Desc { return m.desc }

// Write implements prometheus.Metric, as a const metric does.
func (m *sample) Write(out *dto.Metric) error {
	out.Label = m.labels
	switch m.typ {
	case prometheus.CounterValue:
		m.counter.Value = &m.value
		out.Counter = &m.counter
	case prometheus.GaugeValue:
		m.gauge.Value = &m.value
		out.Gauge = &m.gauge
	default:
		return fmt.Errorf("%s: value type %v is neither a counter nor a gauge", m.desc, m.typ)
	}
	return nil
}
