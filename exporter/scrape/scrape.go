// Package scrape bounds what concurrent scrapes cost: a scrape that
// arrives while another one of the same kind is being answered gets the
// same page, so N scrapers arriving together cost one collection and one
// encoding; past a number of requests in flight a scrape gets 503; the
// page is encoded by MetricsHandler, promhttp's page at a fraction of its
// cost; and the exporter's Go memory limit follows its cgroup's.
package scrape

import (
	"bytes"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"time"
)

// handler shares next's responses between concurrent requests.
type handler struct {
	next     http.Handler
	inFlight chan struct{}
	window   time.Duration

	mu    sync.Mutex
	pages map[string]*page
	// sizes are the last page's size of each kind (at most maxSizes
	// kinds): a page's buffer is made that large at once instead of
	// doubling up to it, which allocated twice the page.
	sizes map[string]int
	// free are the bodies of pages no request holds any more, for the
	// next pages (at most maxFree): a page of thousands of containers is
	// megabytes.
	free [][]byte
}

const (
	maxSizes = 16
	maxFree  = 2
)

// page is one response of next, being written until done is closed.
type page struct {
	done     chan struct{}
	header   http.Header
	status   int
	body     bytes.Buffer
	finished time.Time
	// enc gzips the body if the request asks for it; started once the
	// first byte is written.
	enc     compressor
	started bool
	// refs counts the requests given the page and not done writing it;
	// retired is set once h.pages no longer holds it. Both under h.mu: the
	// last of them recycles the body.
	refs    int
	retired bool
}

// Handler serves next (the metrics handler) single-flight and gzips its
// page when the request asks for it (next must not compress): a request that
// arrives while a response to the same kind of request (same Accept,
// Accept-Encoding and query) is being made waits for it and gets a copy,
// which is so at most one collection older than the request; a response
// that finished less than window ago is served again without collecting
// (0: only while in progress). Past maxRequests requests in flight (0: no
// limit), a request gets 503 at once, as node_exporter's --web.max-requests.
//
// Requests reach it authenticated: exporter-toolkit checks credentials
// before, so sharing a page never crosses an authorisation boundary.
func Handler(next http.Handler, maxRequests int, window time.Duration) http.Handler {
	h := &handler{next: next, window: window, pages: map[string]*page{}, sizes: map[string]int{}}
	if maxRequests > 0 {
		h.inFlight = make(chan struct{}, maxRequests)
	}
	return h
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if h.inFlight != nil {
		select {
		case h.inFlight <- struct{}{}:
			defer func() { <-h.inFlight }()
		default:
			http.Error(w, fmt.Sprintf("Limit of concurrent requests reached (%d), try again later.", cap(h.inFlight)), http.StatusServiceUnavailable)
			return
		}
	}
	p := h.page(r)
	defer h.release(p)
	for k, v := range p.header {
		w.Header()[k] = v
	}
	w.WriteHeader(p.status)
	w.Write(p.body.Bytes())
}

// release is called by each request given p once it has written it.
func (h *handler) release(p *page) {
	h.mu.Lock()
	defer h.mu.Unlock()
	p.refs--
	h.recycle(p)
}

// retire marks p as no longer in h.pages; under h.mu.
func (h *handler) retire(p *page) {
	p.retired = true
	h.recycle(p)
}

// recycle keeps the body of p, once retired and released by every request,
// for a next page; under h.mu.
func (h *handler) recycle(p *page) {
	if p.refs > 0 || !p.retired || len(h.free) >= maxFree {
		return
	}
	h.free = append(h.free, p.body.Bytes()[:0])
	p.body = bytes.Buffer{}
}

// page returns the finished response for r: a recent one, the one in
// progress, or a new one made now.
func (h *handler) page(r *http.Request) *page {
	key := r.Header.Get("Accept") + "\x00" + r.Header.Get("Accept-Encoding") + "\x00" + r.URL.RawQuery
	h.mu.Lock()
	if p, ok := h.pages[key]; ok {
		select {
		case <-p.done:
			if time.Since(p.finished) < h.window {
				p.refs++
				h.mu.Unlock()
				return p
			}
			h.retire(p)
		default:
			p.refs++
			h.mu.Unlock()
			<-p.done
			return p
		}
	}
	p := &page{done: make(chan struct{}), header: http.Header{}, status: http.StatusOK, enc: compressor{want: acceptsGzip(r)}, refs: 1}
	h.pages[key] = p
	size := h.sizes[key] + h.sizes[key]/8
	if n := len(h.free); n > 0 {
		// One too small for this page is dropped: Grow makes one of the
		// right size at once.
		if buf := h.free[n-1]; cap(buf) >= size {
			p.body = *bytes.NewBuffer(buf)
		}
		h.free[n-1] = nil
		h.free = h.free[:n-1]
	}
	h.mu.Unlock()
	p.body.Grow(size)

	// Whatever next does, even panic, the requests waiting for this page
	// must be released and the page forgotten unless it is to be shared.
	defer func() {
		p.enc.finish()
		if !slices.Contains(p.header.Values("Vary"), "Accept-Encoding") {
			p.header.Add("Vary", "Accept-Encoding")
		}
		p.finished = time.Now()
		size := p.body.Len()
		close(p.done)
		h.mu.Lock()
		if _, ok := h.sizes[key]; ok || len(h.sizes) < maxSizes {
			h.sizes[key] = size
		}
		if h.window == 0 && h.pages[key] == p {
			delete(h.pages, key)
			h.retire(p)
		}
		h.mu.Unlock()
	}()
	h.next.ServeHTTP((*recorder)(p), r)
	return p
}

// recorder is the http.ResponseWriter a page is written through.
type recorder page

func (r *recorder) Header() http.Header    { return r.header }
func (r *recorder) WriteHeader(status int) { r.status = status }
func (r *recorder) Write(b []byte) (int, error) {
	if !r.started {
		r.started = true
		r.enc.start((*page)(r))
	}
	if r.enc.gz != nil {
		return r.enc.gz.Write(b)
	}
	return r.body.Write(b)
}
