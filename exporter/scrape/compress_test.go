package scrape

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

func scrapeWith(h http.Handler, acceptEncoding []string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
	req.Header.Set("Accept", "application/openmetrics-text;version=1.0.0")
	for _, v := range acceptEncoding {
		req.Header.Add("Accept-Encoding", v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// body is rec's body, gunzipped if it says it is gzipped.
func body(t *testing.T, rec *httptest.ResponseRecorder) string {
	t.Helper()
	if rec.Header().Get("Content-Encoding") != "gzip" {
		return rec.Body.String()
	}
	r, err := gzip.NewReader(rec.Body)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// The handler picks the encoding promhttp would for every Accept-Encoding,
// and its gzipped page is the page.
func TestHandlerGzip(t *testing.T) {
	reg := prometheus.NewRegistry()
	c := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "rtsec_test_total", Help: "A test counter."}, []string{"id"})
	reg.MustRegister(c)
	for _, id := range []string{"a", "b", "c"} {
		c.WithLabelValues(strings.Repeat(id, 64)).Add(3)
	}
	opts := promhttp.HandlerOpts{EnableOpenMetrics: true, OfferedCompressions: []promhttp.Compression{promhttp.Identity, promhttp.Gzip}}
	theirs := promhttp.HandlerFor(reg, opts)
	opts.DisableCompression = true
	ours := Handler(promhttp.HandlerFor(reg, opts), 0, 0)
	want := body(t, scrapeWith(theirs, nil))
	for _, ae := range [][]string{
		nil, {"gzip"}, {"gzip, deflate, br"}, {"gzip;q=0"}, {"identity;q=1, gzip;q=0.5"}, {"gzip;q=0.5, identity;q=0.1"},
		{"*"}, {"*;q=0"}, {"br"}, {"identity;q=0, gzip;q=0"}, {"deflate", "gzip"}, {"x-gzip, gzip;q=0.9"},
	} {
		got, ref := scrapeWith(ours, ae), scrapeWith(theirs, ae)
		if got.Code != http.StatusOK {
			t.Fatalf("Accept-Encoding %q: status %d", ae, got.Code)
		}
		if g, w := got.Header().Get("Content-Encoding"), ref.Header().Get("Content-Encoding"); g != w {
			t.Errorf("Accept-Encoding %q: Content-Encoding %q, promhttp's %q", ae, g, w)
		}
		if g, w := got.Header().Values("Vary"), ref.Header().Values("Vary"); !slices.Equal(g, w) {
			t.Errorf("Accept-Encoding %q: Vary %q, promhttp's %q", ae, g, w)
		}
		if b := body(t, got); b != want {
			t.Errorf("Accept-Encoding %q: page\n%s\nwant\n%s", ae, b, want)
		}
	}
}

// An error page is not compressed.
func TestHandlerGzipError(t *testing.T) {
	h := Handler(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "no metrics", http.StatusInternalServerError)
	}), 0, 0)
	rec := scrapeWith(h, []string{"gzip"})
	if rec.Code != http.StatusInternalServerError || rec.Header().Get("Content-Encoding") != "" || rec.Body.String() != "no metrics\n" {
		t.Errorf("error page: status %d, Content-Encoding %q, body %q", rec.Code, rec.Header().Get("Content-Encoding"), rec.Body.String())
	}
}

// Concurrent gzip scrapes share one page, compressed once.
func TestHandlerGzipShared(t *testing.T) {
	next := &blocking{release: make(chan struct{})}
	h := Handler(next, 0, 0)
	var wg sync.WaitGroup
	pages := make([]*httptest.ResponseRecorder, 5)
	for i := range pages {
		wg.Go(func() { pages[i] = scrapeWith(h, []string{"gzip"}) })
	}
	for next.calls.Load() < 1 {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond)
	close(next.release)
	wg.Wait()
	if got := next.calls.Load(); got != 1 {
		t.Errorf("5 concurrent gzip scrapes called the handler %d times, want 1", got)
	}
	first := bytes.Clone(pages[0].Body.Bytes())
	for i, p := range pages {
		if p.Header().Get("Content-Encoding") != "gzip" || !bytes.Equal(p.Body.Bytes(), first) || body(t, p) != "1" {
			t.Errorf("scrape %d: Content-Encoding %q, page %q", i, p.Header().Get("Content-Encoding"), body(t, p))
		}
	}
}
