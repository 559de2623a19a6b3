package collector

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	expscrape "github.com/rtsec/rtsec/exporter/scrape"
)

// The exporter's handler (scrape.MetricsHandler on NewGatherer) answers as
// promhttp's does, byte for byte: families of pooled samples, one mixing
// them with exemplar-wrapped metrics, hostile label values, a series the
// gatherer refuses (a gather error, ContinueOnError), the registry's
// histograms and summaries.
func TestMetricsHandlerOnGatherer(t *testing.T) {
	others := prometheus.NewRegistry()
	hist := prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "rtsec_test_seconds", Help: "A histogram.", Buckets: []float64{0.1, 1}}, []string{"v"})
	sum := prometheus.NewSummary(prometheus.SummaryOpts{Name: "rtsec_test_summary", Help: "A summary.", Objectives: map[float64]float64{0.5: 0.05}})
	others.MustRegister(hist, sum)
	hist.WithLabelValues(`a"b`).Observe(0.5)
	sum.Observe(2)
	node := &fakeNode{
		containers: []string{"c1", `q"uote`, `back\slash`, "new\nline", "", "ünï😀", "c0"},
		value:      0.1,
		extra: func() []prometheus.Metric {
			return []prometheus.Metric{fakeExecs.metric(7, "c9", "ns", "pod", "app", "b\xffd")} // refused: not UTF-8
		},
	}
	opts := promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError, EnableOpenMetrics: true, CoalesceGather: true, DisableCompression: true}
	g := NewGatherer(node, others)
	ours, theirs := expscrape.MetricsHandler(g, opts), promhttp.HandlerForTransactional(g, opts)
	for _, accept := range []string{
		"",
		"application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1",
		"application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.5,application/openmetrics-text;version=0.0.1;q=0.4,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.3,text/plain;version=0.0.4;q=0.2,*/*;q=0.1",
		"text/plain;version=0.0.4;escaping=underscores",
		"application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited",
	} {
		for i := range 2 { // the second scrape reuses the first one's samples
			node.value = float64(i) + 0.25
			get := func(h http.Handler) *httptest.ResponseRecorder {
				req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
				req.Header.Set("Accept", accept)
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				return rec
			}
			a, b := get(ours), get(theirs)
			if a.Code != b.Code || fmt.Sprint(a.Header()) != fmt.Sprint(b.Header()) || !bytes.Equal(a.Body.Bytes(), b.Body.Bytes()) {
				t.Errorf("Accept %q, scrape %d: %d %v\n%s\npromhttp's: %d %v\n%s", accept, i, a.Code, a.Header(), a.Body, b.Code, b.Header(), b.Body)
			}
			if a.Code != http.StatusOK || !bytes.Contains(a.Body.Bytes(), []byte("rtsec_process_execs")) {
				t.Errorf("Accept %q, scrape %d: status %d, no execs on the page", accept, i, a.Code)
			}
		}
	}
}
