package scrape

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
)

// pages are pageWriters' buffers between scrapes.
var pages = sync.Pool{New: func() any { return &pageWriter{buf: make([]byte, 0, flushAt+flushAt/4)} }}

// MetricsHandler serves g's metrics as promhttp.HandlerForTransactional(g,
// opts) does, with the same response (status, headers, body bytes) for
// every Accept header, at a fraction of its encoding cost.
//
// It never compresses (as with opts.DisableCompression: Handler gzips the
// page); the other options are promhttp's: ErrorLog, ErrorHandling,
// Registry (promhttp_metric_handler_errors_total), MaxRequestsInFlight,
// Timeout, CoalesceGather, EnableOpenMetrics, AcceptedFormats,
// EnableOpenMetricsTextCreatedSamples, ProcessStartTime, and the name[]
// query parameter.
//
// Format negotiation (expfmt.NegotiateAccept, so the Content-Type and its
// escaping parameter), the error handling and pages, and the protobuf and
// OpenMetrics 2.0 formats are promhttp's and expfmt's own. In the text
// format (0.0.4) and OpenMetrics 0.0.1 and 1.0.0 the bulk of a page is
// written here, into a reused buffer: counter, gauge and untyped families'
// HELP, TYPE and UNIT lines and their series whose metric and label names
// are legacy names (which no escaping scheme changes and which are written
// unquoted), which hold their type's value, no exemplar where OpenMetrics
// writes one and no created timestamp where it is asked for; label values
// and help are escaped as expfmt does (backslash, newline, double quote
// but in text's help), only where they hold one, and values and
// timestamps formatted as expfmt does. Everything else goes to expfmt's
// encoder, writing into the same buffer: histograms, summaries, gauge
// histograms, families without metrics or with another name, and, from the
// first series the fast path does not write, the rest of its family (with
// expfmt's header taken out). The page is written to the response in
// chunks of 64 kB or more. One difference: an error writing to the
// response is logged and counted once, not once a family.
func MetricsHandler(g prometheus.TransactionalGatherer, opts promhttp.HandlerOpts) http.Handler {
	if opts.CoalesceGather {
		g = &coalescing{g: g}
	}
	errCnt := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "promhttp_metric_handler_errors_total",
		Help: "Total number of internal errors encountered by the promhttp metric handler.",
	}, []string{"cause"})
	if opts.Registry != nil {
		errCnt.WithLabelValues("gathering")
		errCnt.WithLabelValues("encoding")
		if err := opts.Registry.Register(errCnt); err != nil {
			are := &prometheus.AlreadyRegisteredError{}
			if !errors.As(err, are) {
				panic(err) // as promhttp: a programming error
			}
			errCnt = are.ExistingCollector.(*prometheus.CounterVec)
		}
	}
	var inFlight chan struct{}
	if opts.MaxRequestsInFlight > 0 {
		inFlight = make(chan struct{}, opts.MaxRequestsInFlight)
	}
	accepted := opts.AcceptedFormats
	if len(accepted) == 0 {
		accepted = expfmt.DefaultAcceptedFormats()
		if opts.EnableOpenMetrics {
			accepted = expfmt.DefaultOpenMetricsAcceptedFormats()
		}
	}
	var encOpts []expfmt.EncoderOption
	if opts.EnableOpenMetricsTextCreatedSamples {
		encOpts = append(encOpts, expfmt.WithCreatedLines())
	}
	logf := func(v ...any) {
		if opts.ErrorLog != nil {
			opts.ErrorLog.Println(v...)
		}
	}

	h := http.HandlerFunc(func(rsp http.ResponseWriter, req *http.Request) {
		if !opts.ProcessStartTime.IsZero() {
			rsp.Header().Set("Process-Start-Time-Unix", strconv.FormatInt(opts.ProcessStartTime.Unix(), 10))
		}
		if inFlight != nil {
			select {
			case inFlight <- struct{}{}:
				defer func() { <-inFlight }()
			default:
				http.Error(rsp, fmt.Sprintf("Limit of concurrent requests reached (%d), try again later.", opts.MaxRequestsInFlight), http.StatusServiceUnavailable)
				return
			}
		}
		mfs, done, err := g.Gather()
		defer done()
		if err != nil {
			logf("error gathering metrics:", err)
			errCnt.WithLabelValues("gathering").Inc()
			switch opts.ErrorHandling {
			case promhttp.PanicOnError:
				panic(err)
			case promhttp.ContinueOnError:
				if len(mfs) == 0 {
					httpError(rsp, err)
					return
				}
			case promhttp.HTTPErrorOnError:
				httpError(rsp, err)
				return
			}
		}

		format := expfmt.NegotiateAccept(req.Header, accepted...)
		rsp.Header().Add("Vary", "Accept")
		rsp.Header().Set("Content-Type", string(format))

		p := pages.Get().(*pageWriter)
		p.out = rsp
		defer func() {
			p.out, p.err, p.buf = nil, nil, p.buf[:0]
			clear(p.names[:])
			pages.Put(p)
		}()
		fast := fastFormat(format)
		enc := expfmt.NewEncoder(p, format, encOpts...)
		// failed handles an encoding error as promhttp does and tells
		// whether to stop.
		failed := func(err error) bool {
			if err == nil {
				return false
			}
			logf("error encoding and sending metric family:", err)
			errCnt.WithLabelValues("encoding").Inc()
			switch opts.ErrorHandling {
			case promhttp.PanicOnError:
				panic(err)
			case promhttp.HTTPErrorOnError:
				return true
			}
			return false
		}
		// flush writes the page so far and tells whether to stop: an
		// error writing the response is handled once, as an encoding
		// error; nothing is written after it.
		reported := false
		flush := func() bool {
			p.flush()
			if p.err == nil || reported {
				return false
			}
			reported = true
			return failed(p.err)
		}
		var filter map[string]struct{}
		if req.URL != nil {
			if names := req.URL.Query()["name[]"]; len(names) > 0 {
				filter = make(map[string]struct{}, len(names))
				for _, n := range names {
					filter[n] = struct{}{}
				}
			}
		}
		for _, mf := range mfs {
			if filter != nil {
				if _, ok := filter[mf.GetName()]; !ok {
					continue
				}
			}
			done, err := p.appendFamily(mf, fast, opts.EnableOpenMetricsTextCreatedSamples, enc)
			if !done {
				err = enc.Encode(mf)
			}
			if failed(err) {
				flush()
				return
			}
			if len(p.buf) >= flushAt && flush() {
				return
			}
		}
		if c, ok := enc.(expfmt.Closer); ok && failed(c.Close()) {
			flush()
			return
		}
		flush()
	})
	if opts.Timeout <= 0 {
		return h
	}
	return http.TimeoutHandler(h, opts.Timeout, fmt.Sprintf("Exceeded configured timeout of %v.\n", opts.Timeout))
}

// fastFormat is the format appendFamily writes for a negotiated one.
func fastFormat(f expfmt.Format) textFormat {
	switch f.FormatType() {
	case expfmt.TypeTextPlain:
		return fastText
	case expfmt.TypeOpenMetrics:
		if v := f.Version(); v == expfmt.OpenMetricsVersion_1_0_0 || v == expfmt.OpenMetricsVersion_0_0_1 {
			return fastOpenMetrics
		}
	}
	return fastNone
}

// httpError is promhttp's error page.
func httpError(rsp http.ResponseWriter, err error) {
	rsp.Header().Del("Content-Encoding")
	http.Error(rsp, "An error has occurred while serving metrics:\n\n"+err.Error(), http.StatusInternalServerError)
}

// coalescing is promhttp's CoalesceGather: a Gather that starts while
// another is in progress waits for it and shares its result (each caller
// gets its own copy of the slice, the families are shared and only read);
// the gather's done runs once its last caller is done.
type coalescing struct {
	g   prometheus.TransactionalGatherer
	mu  sync.Mutex
	cur *gather
}

type gather struct {
	ready chan struct{} // closed once the fields below are set
	mfs   []*dto.MetricFamily
	err   error
	done  func()
	refs  int // callers not done yet, under coalescing.mu
}

var errGatherPanicked = errors.New("coalesced gather panicked")

func (c *coalescing) Gather() ([]*dto.MetricFamily, func(), error) {
	c.mu.Lock()
	if cur := c.cur; cur != nil {
		cur.refs++
		c.mu.Unlock()
		<-cur.ready
		return slices.Clone(cur.mfs), c.release(cur), cur.err
	}
	cur := &gather{ready: make(chan struct{}), done: func() {}, refs: 1}
	c.cur = cur
	c.mu.Unlock()
	// If g panics, the panic goes on to net/http as without coalescing;
	// the callers waiting get an error, the next Gather starts afresh.
	panicked := true
	defer func() {
		if panicked {
			c.mu.Lock()
			if c.cur == cur {
				c.cur = nil
			}
			c.mu.Unlock()
			cur.err = errGatherPanicked
			close(cur.ready)
		}
	}()
	cur.mfs, cur.done, cur.err = c.g.Gather()
	panicked = false
	close(cur.ready)
	return slices.Clone(cur.mfs), c.release(cur), cur.err
}

func (c *coalescing) release(cur *gather) func() {
	return func() {
		c.mu.Lock()
		cur.refs--
		last := cur.refs == 0
		if last && c.cur == cur {
			c.cur = nil
		}
		c.mu.Unlock()
		if last {
			cur.done()
		}
	}
}
