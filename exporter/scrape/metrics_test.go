package scrape

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// accepts are Accept headers scrapers send, and some they could.
var accepts = []string{
	"",
	"*/*",
	// Prometheus 2
	"application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1",
	// Prometheus 3, its default scrape protocols, then with PrometheusProto first
	"application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.5,application/openmetrics-text;version=0.0.1;q=0.4,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.3,text/plain;version=0.0.4;q=0.2,*/*;q=0.1",
	"application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;escaping=allow-utf-8;q=0.6,application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.5,text/plain;version=0.0.4;q=0.2,*/*;q=0.1",
	"text/plain",
	"text/plain;version=0.0.4",
	"text/plain;version=0.0.4;escaping=underscores",
	"text/plain;version=0.0.4;escaping=dots",
	"text/plain;version=0.0.4;escaping=values",
	"text/plain;version=1.0.0;escaping=allow-utf-8",
	"application/openmetrics-text",
	"application/openmetrics-text;version=0.0.1",
	"application/openmetrics-text;version=1.0.0",
	"application/openmetrics-text;version=1.0.0;escaping=allow-utf-8",
	"application/openmetrics-text;version=1.0.0;escaping=underscores",
	"application/openmetrics-text;version=0.0.1;escaping=values",
	"application/openmetrics-text;version=2.0.0",
	"application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited",
	"application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=text",
	"application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=compact-text",
	"application/json",
}

// lines is an ErrorLog that keeps what is logged.
type lines struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lines) Println(v ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	fmt.Fprintln(&l.b, v...)
}

// rtsecOpts are the options the exporter serves with.
func rtsecOpts(log promhttp.Logger, reg prometheus.Registerer) promhttp.HandlerOpts {
	return promhttp.HandlerOpts{ErrorLog: log, Registry: reg, ErrorHandling: promhttp.ContinueOnError, EnableOpenMetrics: true, CoalesceGather: true, DisableCompression: true}
}

// compare scrapes MetricsHandler and promhttp's handler on g with every
// Accept header (and query) and reports any difference in the status, the
// headers, the body and what they logged.
func compare(t *testing.T, g prometheus.TransactionalGatherer, opts promhttp.HandlerOpts, queries ...string) {
	t.Helper()
	var ourLog, theirLog lines
	opts.ErrorLog = &ourLog
	ours := MetricsHandler(g, opts)
	opts.ErrorLog = &theirLog
	theirs := promhttp.HandlerForTransactional(g, opts)
	if len(queries) == 0 {
		queries = []string{""}
	}
	for _, q := range queries {
		for _, accept := range accepts {
			get := func(h http.Handler) *httptest.ResponseRecorder {
				req := httptest.NewRequest(http.MethodGet, "/metrics"+q, nil)
				if accept != "" {
					req.Header.Set("Accept", accept)
				}
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				return rec
			}
			got, want := get(ours), get(theirs)
			if got.Code != want.Code {
				t.Errorf("Accept %q%s: status %d, promhttp's %d", accept, q, got.Code, want.Code)
			}
			if g, w := fmt.Sprint(got.Header()), fmt.Sprint(want.Header()); g != w {
				t.Errorf("Accept %q%s: headers %s, promhttp's %s", accept, q, g, w)
			}
			if !bytes.Equal(got.Body.Bytes(), want.Body.Bytes()) {
				t.Errorf("Accept %q%s: %s", accept, q, diff(got.Body.Bytes(), want.Body.Bytes()))
			}
		}
	}
	if ourLog.b.String() != theirLog.b.String() {
		t.Errorf("logged\n%s\npromhttp logged\n%s", ourLog.b.String(), theirLog.b.String())
	}
}

// diff shows where page a differs from promhttp's b.
func diff(a, b []byte) string {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	from := max(0, i-200)
	return fmt.Sprintf("pages of %d and %d bytes differ at byte %d:\n%q\npromhttp's:\n%q", len(a), len(b), i, a[from:min(len(a), i+200)], b[from:min(len(b), i+200)])
}

// gatherText is reg's page in the text format.
func gatherText(t *testing.T, reg prometheus.Gatherer) string {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, mf := range mfs {
		if _, err := expfmt.MetricFamilyToText(&b, mf); err != nil {
			t.Fatal(err)
		}
	}
	return b.String()
}

// hostile are label values and help texts that need escaping or look odd.
var hostile = []string{
	"", `"`, `\`, "\n", `a"b\c` + "\nd", `\n`, `\\"`, "ünï😀 漢字", "tab\there", "{x=\"y\"}", "\r\n", " ", "#", "\x00",
}

// floats are values with every formatting case of expfmt's writers.
var floats = []float64{
	0, math.Copysign(0, -1), 1, -1, 2, -2, 0.5, 1.5, 100, 999999, -999999, 1e6, 1e6 + 1, 123456.789, 1e15, 1e21, 1e22,
	0.0001, 0.00001, 1e-7, 5e-324, math.MaxFloat64, -math.MaxFloat64, float64(math.MaxUint64), 1 << 53, 1<<53 + 2,
	math.NaN(), math.Inf(1), math.Inf(-1), 0.1, 1.0 / 3, -4.25e-10, 42,
}

// registryPage is a registry holding every kind of family the exporter
// and its libraries make, hostile values in all of them.
func registryPage(t testing.TB) *prometheus.Registry {
	reg := prometheus.NewRegistry()
	counters := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "rtsec_test_events_total", Help: `Events, "quoted", back\slash` + "\nnewline."}, []string{"container_id", "value"})
	gauges := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "rtsec_test_level", Help: ""}, []string{"i"})
	noTotal := prometheus.NewCounter(prometheus.CounterOpts{Name: "rtsec_test_no_suffix", Help: "A counter without _total."})
	hist := prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "rtsec_test_seconds", Help: "A histogram.", Buckets: []float64{0.001, 0.5, 1, 10}}, []string{"value"})
	sum := prometheus.NewSummaryVec(prometheus.SummaryOpts{Name: "rtsec_test_summary_seconds", Help: "A summary.", Objectives: map[float64]float64{0.5: 0.05, 0.99: 0.001}}, []string{"value"})
	reg.MustRegister(counters, gauges, noTotal, hist, sum)
	for i, v := range hostile {
		counters.WithLabelValues(fmt.Sprintf("%064x", i), v).Add(float64(i) * 1.5)
		hist.WithLabelValues(v).Observe(float64(i) / 3)
		sum.WithLabelValues(v).Observe(float64(i) / 7)
	}
	for i, f := range floats {
		gauges.WithLabelValues(fmt.Sprint(i)).Set(f)
	}
	noTotal.Add(3)
	// Const metrics: untyped, with a timestamp, with an exemplar, a
	// UTF-8 metric and label name, a series collected twice, an error.
	untyped := prometheus.NewDesc("rtsec_test_untyped", "Untyped.", []string{"v"}, nil)
	stamped := prometheus.NewDesc("rtsec_test_stamped", "With a timestamp.", nil, nil)
	exemplary := prometheus.NewDesc("rtsec_test_exemplary_total", "With an exemplar.", []string{"id"}, nil)
	dotted := prometheus.NewDesc("rtsec.test.dotted_total", "A UTF-8 name.", []string{"a.b", "ok"}, nil)
	invalid := prometheus.NewDesc("rtsec_test_twice", "Refused once.", []string{"v"}, nil)
	failing := prometheus.NewDesc("rtsec_test_failing", "A collector error.", nil, nil)
	reg.MustRegister(collectorFunc(func(ch chan<- prometheus.Metric) {
		for i, f := range floats {
			ch <- prometheus.MustNewConstMetric(untyped, prometheus.UntypedValue, f, fmt.Sprint(i))
		}
		ch <- prometheus.NewMetricWithTimestamp(time.UnixMilli(1_700_000_000_123), prometheus.MustNewConstMetric(stamped, prometheus.GaugeValue, 7))
		ch <- prometheus.NewMetricWithTimestamp(time.UnixMilli(-5), prometheus.MustNewConstMetric(stamped, prometheus.GaugeValue, 8))
		ch <- prometheus.MustNewMetricWithExemplars(prometheus.MustNewConstMetric(exemplary, prometheus.CounterValue, 3, "a"),
			prometheus.Exemplar{Value: 1.5, Labels: prometheus.Labels{"trace": `"x"`}, Timestamp: time.Unix(1_700_000_000, 0)})
		ch <- prometheus.MustNewConstMetric(exemplary, prometheus.CounterValue, 4, "b")
		ch <- prometheus.MustNewConstMetric(dotted, prometheus.CounterValue, 5, "x", `y"`)
		ch <- prometheus.MustNewConstMetric(invalid, prometheus.GaugeValue, 1, "good")
		ch <- prometheus.MustNewConstMetric(invalid, prometheus.GaugeValue, 2, "good") // collected twice
		ch <- prometheus.NewInvalidMetric(failing, errors.New("the collector failed"))
	}))
	return reg
}

type collectorFunc func(chan<- prometheus.Metric)

func (collectorFunc) Describe(chan<- *prometheus.Desc)      {}
func (f collectorFunc) Collect(ch chan<- prometheus.Metric) { f(ch) }

// The handler's responses are promhttp's, byte for byte, for every
// Accept header, on a page with every kind of family and hostile values,
// a gather error (ContinueOnError) and the error counter registered.
func TestMetricsHandlerMatchesPromhttp(t *testing.T) {
	reg := registryPage(t)
	if _, err := reg.Gather(); err == nil {
		t.Fatal("the page's registry gathered without error, want the series collected twice and the collector's error")
	}
	// Each handler registers its own error counter, whose created
	// timestamps differ: they are compared apart, in the text format.
	ourErrs, theirErrs := prometheus.NewRegistry(), prometheus.NewRegistry()
	h := MetricsHandler(prometheus.ToTransactionalGatherer(reg), rtsecOpts(nil, ourErrs))
	p := promhttp.HandlerForTransactional(prometheus.ToTransactionalGatherer(reg), rtsecOpts(nil, theirErrs))
	for _, accept := range accepts {
		req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
		req.Header.Set("Accept", accept)
		a, b := httptest.NewRecorder(), httptest.NewRecorder()
		h.ServeHTTP(a, req)
		p.ServeHTTP(b, req)
		if a.Code != b.Code || fmt.Sprint(a.Header()) != fmt.Sprint(b.Header()) || !bytes.Equal(a.Body.Bytes(), b.Body.Bytes()) {
			t.Errorf("Accept %q: %d %v, promhttp's %d %v; %s", accept, a.Code, a.Header(), b.Code, b.Header(), diff(a.Body.Bytes(), b.Body.Bytes()))
		}
	}
	ours, theirs := gatherText(t, ourErrs), gatherText(t, theirErrs)
	if !strings.Contains(ours, fmt.Sprintf(`promhttp_metric_handler_errors_total{cause="gathering"} %d`, len(accepts))) || ours != theirs {
		t.Errorf("error counter:\n%s\npromhttp's:\n%s", ours, theirs)
	}
	compare(t, prometheus.ToTransactionalGatherer(reg), rtsecOpts(nil, nil), "", "?name[]=rtsec_test_level&name[]=rtsec_test_seconds", "?name[]=none")
}

// static is a gatherer of families made by hand: what a registry would
// not let through.
type static struct {
	mfs []*dto.MetricFamily
	err error
}

func (s static) Gather() ([]*dto.MetricFamily, func(), error) { return s.mfs, func() {}, s.err }

func label(name, value string) *dto.LabelPair { return &dto.LabelPair{Name: &name, Value: &value} }

// Families the registry never makes take the same path as in promhttp,
// fast or not: a unit, no help, no metrics, a metric without its value,
// names the escaping schemes change, a __name__ label, an invalid label
// name, a gauge histogram.
func TestMetricsHandlerOddFamilies(t *testing.T) {
	counter, gauge, untyped := dto.MetricType_COUNTER, dto.MetricType_GAUGE, dto.MetricType_UNTYPED
	gh := dto.MetricType_GAUGE_HISTOGRAM
	bogus := dto.MetricType(42)
	c := func(v float64, labels ...*dto.LabelPair) *dto.Metric {
		return &dto.Metric{Label: labels, Counter: &dto.Counter{Value: &v}}
	}
	gm := func(v float64, labels ...*dto.LabelPair) *dto.Metric {
		return &dto.Metric{Label: labels, Gauge: &dto.Gauge{Value: &v}}
	}
	mfs := []*dto.MetricFamily{
		{Name: proto.String("a_unit_seconds"), Help: proto.String("h"), Unit: proto.String(`sec"onds`), Type: &gauge, Metric: []*dto.Metric{gm(1)}},
		{Name: proto.String("b_no_help_total"), Type: &counter, Metric: []*dto.Metric{c(2, label("x", "y"))}},
		{Name: proto.String("c_empty"), Help: proto.String("none"), Type: &gauge},
		{Name: proto.String("d_no_value_total"), Help: proto.String("h"), Type: &counter, Metric: []*dto.Metric{c(1), {Gauge: &dto.Gauge{}}}},
		{Name: proto.String("e.dotted"), Help: proto.String("h"), Type: &gauge, Metric: []*dto.Metric{gm(1, label("x", "y"))}},
		{Name: proto.String("f_label"), Help: proto.String("h"), Type: &gauge, Metric: []*dto.Metric{gm(1, label("a-b", "y"))}},
		{Name: proto.String("g_name"), Help: proto.String("h"), Type: &gauge, Metric: []*dto.Metric{gm(1, label("__name__", "x.y"))}},
		{Name: proto.String("h_colon"), Help: proto.String("h"), Type: &gauge, Metric: []*dto.Metric{gm(1, label("a:b", "y"), label("", "z"))}},
		{Name: proto.String("i_untyped"), Help: proto.String("h"), Type: &untyped, Metric: []*dto.Metric{{Untyped: &dto.Untyped{Value: proto.Float64(3)}, TimestampMs: proto.Int64(1500)}}},
		{Name: proto.String("j_gh"), Help: proto.String("h"), Type: &gh, Metric: []*dto.Metric{{Histogram: &dto.Histogram{SampleCount: proto.Uint64(1), SampleSum: proto.Float64(2)}}}},
		{Name: proto.String("k_bogus"), Help: proto.String("h"), Type: &bogus, Metric: []*dto.Metric{gm(1)}},
		{Name: proto.String("l_invalid_utf8"), Help: proto.String("h\xff"), Type: &gauge, Metric: []*dto.Metric{gm(1, label("x", "\xff\xfe\""))}},
		{Name: proto.String("m_exemplar_total"), Help: proto.String("h"), Type: &counter, Metric: []*dto.Metric{{Counter: &dto.Counter{Value: proto.Float64(1), Exemplar: &dto.Exemplar{Value: proto.Float64(1)}}}}},
		{Name: proto.String(""), Help: proto.String("h"), Type: &gauge, Metric: []*dto.Metric{gm(1)}},
		{Name: proto.String("n_z"), Type: &gauge, Metric: []*dto.Metric{gm(1)}},
	}
	compare(t, static{mfs: mfs}, rtsecOpts(nil, nil))
	compare(t, static{mfs: mfs, err: errors.New("a gather error")}, rtsecOpts(nil, nil))
	// A gather error without metrics is promhttp's error page.
	compare(t, static{err: errors.New("nothing gathered")}, rtsecOpts(nil, nil))
	opts := rtsecOpts(nil, nil)
	opts.ErrorHandling = promhttp.HTTPErrorOnError
	compare(t, static{mfs: mfs, err: errors.New("a gather error")}, opts)
	compare(t, static{mfs: mfs}, opts)
	// Created timestamps, written when asked for.
	created := []*dto.MetricFamily{{Name: proto.String("o_created_total"), Help: proto.String("h"), Type: &counter, Metric: []*dto.Metric{
		{Counter: &dto.Counter{Value: proto.Float64(1), CreatedTimestamp: &timestamppb.Timestamp{Seconds: 1_700_000_000}}},
	}}}
	opts = rtsecOpts(nil, nil)
	compare(t, static{mfs: created}, opts)
	opts.EnableOpenMetricsTextCreatedSamples = true
	compare(t, static{mfs: created}, opts)
}

// A family larger than a chunk is written in several, the page unchanged,
// also when expfmt writes its end: metrics after the first chunk that the
// fast path does not write (an exemplar, a UTF-8 label name).
func TestMetricsHandlerLargePage(t *testing.T) {
	mfs := rtsecPage(300)
	compare(t, static{mfs: mfs}, rtsecOpts(nil, nil))
	execs := mfs[len(mfs)-1]
	if execs.GetName() != "rtsec_process_execs_total" || len(execs.Metric) < 1000 {
		t.Fatalf("the last family is %s of %d metrics, want rtsec_process_execs_total", execs.GetName(), len(execs.Metric))
	}
	v := 3.0
	execs.Metric = append(execs.Metric[:len(execs.Metric)-1:len(execs.Metric)-1],
		&dto.Metric{Label: []*dto.LabelPair{label("binary", "x")}, Counter: &dto.Counter{Value: &v, Exemplar: &dto.Exemplar{Label: []*dto.LabelPair{label("id", "1")}, Value: &v}}},
		&dto.Metric{Label: []*dto.LabelPair{label("bin.ary", "y")}, Counter: &dto.Counter{Value: &v}},
		execs.Metric[len(execs.Metric)-1])
	compare(t, static{mfs: mfs}, rtsecOpts(nil, nil))
}

// Random label values, help texts and values are written as expfmt writes
// them.
func FuzzMetricsHandler(f *testing.F) {
	for i, v := range hostile {
		f.Add(v, hostile[len(hostile)-1-i], floats[i%len(floats)])
	}
	f.Fuzz(func(t *testing.T, value, help string, v float64) {
		counter, gauge := dto.MetricType_COUNTER, dto.MetricType_GAUGE
		mfs := []*dto.MetricFamily{
			{Name: proto.String("a_total"), Help: &help, Type: &counter, Metric: []*dto.Metric{{Label: []*dto.LabelPair{label("v", value)}, Counter: &dto.Counter{Value: &v}}}},
			{Name: proto.String("b"), Help: &help, Type: &gauge, Metric: []*dto.Metric{{Label: []*dto.LabelPair{label("a", value), label("b", help)}, Gauge: &dto.Gauge{Value: &v}}}},
		}
		for _, accept := range []string{"text/plain", "application/openmetrics-text;version=1.0.0", "application/openmetrics-text;version=0.0.1"} {
			req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
			req.Header.Set("Accept", accept)
			a, b := httptest.NewRecorder(), httptest.NewRecorder()
			MetricsHandler(static{mfs: mfs}, rtsecOpts(nil, nil)).ServeHTTP(a, req)
			promhttp.HandlerForTransactional(static{mfs: mfs}, rtsecOpts(nil, nil)).ServeHTTP(b, req)
			if !bytes.Equal(a.Body.Bytes(), b.Body.Bytes()) {
				t.Errorf("Accept %q: body\n%q\npromhttp's\n%q", accept, a.Body, b.Body)
			}
		}
	})
}

// The exporter's families take the fast path, in both text formats; the
// others do not.
func TestAppendFamilyFastPath(t *testing.T) {
	mfs, err := registryPage(t).Gather()
	if err == nil {
		t.Fatal("want the registry page's errors")
	}
	fast := map[string]bool{"rtsec_test_events_total": true, "rtsec_test_level": true, "rtsec_test_no_suffix": true, "rtsec_test_untyped": true, "rtsec_test_stamped": true, "rtsec_test_twice": true}
	for _, mf := range append(mfs, rtsecPage(2)...) {
		want := fast[mf.GetName()] || !strings.HasPrefix(mf.GetName(), "rtsec_test") && !strings.HasPrefix(mf.GetName(), "rtsec.")
		for _, f := range []textFormat{fastText, fastOpenMetrics} {
			p := &pageWriter{}
			// Text ignores exemplars.
			w := want || (f == fastText && mf.GetName() == "rtsec_test_exemplary_total")
			enc := &countEncoder{}
			if done, _ := p.appendFamily(mf, f, false, enc); (done && enc.calls == 0) != w {
				t.Errorf("format %d, family %s: fast %v, want %v", f, mf.GetName(), !w, w)
			}
		}
	}
}

// countEncoder is an encoder that counts its calls and writes nothing.
type countEncoder struct{ calls int }

func (e *countEncoder) Encode(*dto.MetricFamily) error {
	e.calls++
	return nil
}

// slowGatherer counts its gathers and its dones; a gather waits for
// release.
type slowGatherer struct {
	gathers, dones atomic.Int32
	release        chan struct{}
}

func (g *slowGatherer) Gather() ([]*dto.MetricFamily, func(), error) {
	g.gathers.Add(1)
	<-g.release
	gauge := dto.MetricType_GAUGE
	return []*dto.MetricFamily{{Name: proto.String("x"), Help: proto.String("h"), Type: &gauge, Metric: []*dto.Metric{{Gauge: &dto.Gauge{Value: proto.Float64(1)}}}}},
		func() { g.dones.Add(1) }, nil
}

// With CoalesceGather, scrapes arriving during a gather share it, of
// whatever format, and its done runs once, after the last of them.
func TestMetricsHandlerCoalesces(t *testing.T) {
	g := &slowGatherer{release: make(chan struct{})}
	h := MetricsHandler(g, rtsecOpts(nil, nil))
	var wg sync.WaitGroup
	bodies := make([]string, 6)
	for i := range bodies {
		wg.Go(func() {
			req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
			req.Header.Set("Accept", accepts[i%3])
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			bodies[i] = rec.Body.String()
		})
	}
	for g.gathers.Load() < 1 {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond)
	close(g.release)
	wg.Wait()
	if n, d := g.gathers.Load(), g.dones.Load(); n != 1 || d != 1 {
		t.Errorf("6 concurrent scrapes: %d gathers, %d dones, want 1 and 1", n, d)
	}
	for i, b := range bodies {
		if !strings.Contains(b, "x 1") {
			t.Errorf("scrape %d: page %q", i, b)
		}
	}
	// The next scrape gathers anew.
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if n, d := g.gathers.Load(), g.dones.Load(); n != 2 || d != 2 {
		t.Errorf("a later scrape: %d gathers, %d dones in all, want 2 and 2", n, d)
	}
}
