package events

import (
	"slices"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Exemplars remembers the last event counted in each counter series, so a
// scrape that negotiates OpenMetrics links the series to its event log
// line: `# {event_id="…"} 1 <time>`. The memory is bounded: past max series
// the oldest is forgotten.
type Exemplars struct {
	mu   sync.Mutex
	max  int
	last map[string]exemplar
}

type exemplar struct {
	eventID string
	time    time.Time
}

// NewExemplars remembers events for at most max series.
func NewExemplars(max int) *Exemplars {
	return &Exemplars{max: max, last: map[string]exemplar{}}
}

// seriesKey joins a metric and its label values; label values never hold
// NUL, which the exporter's identity labels replace.
func seriesKey(metric string, labels []string) string {
	return string(appendSeriesKey(nil, metric, labels))
}

// appendSeriesKey appends seriesKey(metric, labels) to dst.
func appendSeriesKey(dst []byte, metric string, labels []string) []byte {
	dst = append(append(dst, metric...), 0)
	for i, l := range labels {
		if i > 0 {
			dst = append(dst, 0)
		}
		dst = append(dst, l...)
	}
	return dst
}

// Add remembers l as the last event of each series it was counted in. A nil
// Exemplars remembers nothing.
func (x *Exemplars) Add(l Line) {
	t, ok := typeNamed[l.Type]
	if x == nil || !ok || t.Counters == nil {
		return
	}
	identity := []string{l.ContainerID, l.Namespace, l.Pod, l.Container}
	x.mu.Lock()
	defer x.mu.Unlock()
	for _, c := range t.Counters(l) {
		key := seriesKey(c.Metric, slices.Concat(identity, c.Values))
		if _, ok := x.last[key]; !ok && len(x.last) >= x.max {
			x.forgetOldest()
		}
		x.last[key] = exemplar{eventID: l.EventID, time: l.Time}
	}
}

func (x *Exemplars) forgetOldest() {
	var oldest string
	var at time.Time
	for k, e := range x.last {
		if oldest == "" || e.time.Before(at) {
			oldest, at = k, e.time
		}
	}
	delete(x.last, oldest)
}

// Attach returns m with the exemplar of the series (metric, labels) when an
// event was counted in it, else m. A nil Exemplars attaches nothing.
func (x *Exemplars) Attach(m prometheus.Metric, metric string, labels []string) prometheus.Metric {
	if x == nil {
		return m
	}
	// The key is built in a buffer: looking it up allocates nothing.
	var buf [256]byte
	key := appendSeriesKey(buf[:0], metric, labels)
	x.mu.Lock()
	e, ok := x.last[string(key)]
	x.mu.Unlock()
	if !ok {
		return m
	}
	with, err := prometheus.NewMetricWithExemplars(m, prometheus.Exemplar{
		Value: 1, Labels: prometheus.Labels{"event_id": e.eventID}, Timestamp: e.time,
	})
	if err != nil {
		return m
	}
	return with
}
