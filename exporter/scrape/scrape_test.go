package scrape

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// blocking is a metrics handler that counts its calls and answers once
// release is closed.
type blocking struct {
	calls   atomic.Int32
	release chan struct{}
}

func (b *blocking) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n := b.calls.Add(1)
	<-b.release
	w.Header().Set("Content-Type", "text/plain")
	w.WriteHeader(http.StatusOK)
	w.Write([]byte{byte('0' + n)})
}

func get(t *testing.T, h http.Handler, accept string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
	req.Header.Set("Accept", accept)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// Ten concurrent scrapes of one kind cost one call of the metrics handler
// and get the same page; another kind gets its own; a scrape after they
// finished calls it again.
func TestHandlerSharesPageInProgress(t *testing.T) {
	next := &blocking{release: make(chan struct{})}
	h := Handler(next, 0, 0)
	var wg sync.WaitGroup
	bodies := make([]string, 10)
	for i := range bodies {
		wg.Go(func() { bodies[i] = get(t, h, "text/plain").Body.String() })
	}
	var other string
	wg.Go(func() { other = get(t, h, "application/openmetrics-text").Body.String() })
	for next.calls.Load() < 2 {
		time.Sleep(time.Millisecond)
	}
	// Let the stragglers join the page in progress.
	time.Sleep(50 * time.Millisecond)
	close(next.release)
	wg.Wait()
	if got := next.calls.Load(); got != 2 {
		t.Errorf("11 concurrent scrapes of 2 kinds called the handler %d times, want 2", got)
	}
	for i, b := range bodies {
		if b != bodies[0] || b == other {
			t.Errorf("scrape %d got page %q, the others %q, the other kind %q", i, b, bodies[0], other)
		}
	}
	get(t, h, "text/plain")
	if got := next.calls.Load(); got != 3 {
		t.Errorf("a scrape after the storm called the handler %d times in all, want 3", got)
	}
}

// Past maxRequests in flight a scrape gets 503 at once.
func TestHandlerMaxRequests(t *testing.T) {
	next := &blocking{release: make(chan struct{})}
	h := Handler(next, 2, 0)
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			if rec := get(t, h, ""); rec.Code != http.StatusOK {
				t.Errorf("a scrape within the limit got %d", rec.Code)
			}
		})
	}
	for next.calls.Load() < 1 {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond)
	if rec := get(t, h, ""); rec.Code != http.StatusServiceUnavailable {
		t.Errorf("the third scrape with --web.max-requests=2 got %d, want 503", rec.Code)
	}
	close(next.release)
	wg.Wait()
}

// Within the window a finished page is served again.
func TestHandlerWindow(t *testing.T) {
	next := &blocking{release: make(chan struct{})}
	close(next.release)
	h := Handler(next, 0, time.Hour)
	a, b := get(t, h, "").Body.String(), get(t, h, "").Body.String()
	if next.calls.Load() != 1 || a != b {
		t.Errorf("two scrapes within the window: %d calls, pages %q and %q, want 1 call and one page", next.calls.Load(), a, b)
	}
}

func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for name, content := range files {
		path := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func TestCgroupMemoryLimit(t *testing.T) {
	const v2mount = "30 20 0:26 / %s/unified rw - cgroup2 cgroup2 rw\n"
	const v1mount = "31 20 0:27 / %s/memory rw - cgroup cgroup rw,memory\n"
	cases := []struct {
		name   string
		cgroup string
		limits map[string]string // file under the fake cgroup root
		want   int64
		wantOK bool
	}{
		{"v2 limit", "0::/kubepods/pod1/c1\n", map[string]string{"unified/kubepods/pod1/c1/memory.max": "201326592\n"}, 201326592, true},
		{"v2 max", "0::/c1\n", map[string]string{"unified/c1/memory.max": "max\n"}, 0, false},
		{"hybrid: v1 memory controller", "4:memory:/c1\n0::/c1\n", map[string]string{"memory/c1/memory.limit_in_bytes": "104857600\n"}, 104857600, true},
		{"v1 unlimited", "4:memory:/c1\n", map[string]string{"memory/c1/memory.limit_in_bytes": "9223372036854771712\n"}, 0, false},
		{"no controller files", "0::/c1\n", nil, 0, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			root := writeFiles(t, c.limits)
			proc := writeFiles(t, map[string]string{
				"self/cgroup":    c.cgroup,
				"self/mountinfo": fmt.Sprintf(v2mount, root) + fmt.Sprintf(v1mount, root),
			})
			got, ok, err := CgroupMemoryLimit(proc)
			if err != nil || got != c.want || ok != c.wantOK {
				t.Errorf("CgroupMemoryLimit = %d, %v, %v; want %d, %v, nil", got, ok, err, c.want, c.wantOK)
			}
		})
	}
}

// discard is a ResponseWriter that keeps nothing.
type discard struct{ header http.Header }

func (d *discard) Header() http.Header         { return d.header }
func (d *discard) WriteHeader(int)             {}
func (d *discard) Write(b []byte) (int, error) { return len(b), nil }

// A page's buffer is made the size of the last page of its kind at once (a
// scrape allocates about one page, not about twice, growing up to it), or
// is the body of a page no request holds any more, large enough: then a
// scrape allocates no page at all.
func TestHandlerReusesPage(t *testing.T) {
	chunk := make([]byte, 4096)
	h := Handler(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		for range 256 { // 1 MiB
			w.Write(chunk)
		}
	}), 0, 0)
	req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
	alloc := func() uint64 {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		h.ServeHTTP(&discard{header: http.Header{}}, req)
		runtime.ReadMemStats(&after)
		return after.TotalAlloc - before.TotalAlloc
	}
	first, second, third := alloc(), alloc(), alloc()
	if first < 1<<20 || second > first*3/4 || third > 64<<10 {
		t.Errorf("scrapes of a 1 MiB page allocated %d, %d, %d bytes; want the second at most 3/4 of the first, the third none", first, second, third)
	}
}

// Requests that overlap, some sharing a page in progress, each get a whole
// page of their own call or of the call they joined, however the bodies of
// pages that are done are handed on.
func TestHandlerRecycledPagesIntact(t *testing.T) {
	var calls atomic.Int32
	h := Handler(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		c := byte('a' + calls.Add(1)%26)
		w.WriteHeader(http.StatusOK)
		for range 64 {
			w.Write(bytes.Repeat([]byte{c}, 1024))
		}
	}), 0, 0)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 50 {
				body := get(t, h, "text/plain").Body.Bytes()
				if len(body) != 64<<10 || bytes.Count(body, body[:1]) != len(body) {
					t.Errorf("a page of %d bytes, not 64 KiB of one byte", len(body))
					return
				}
			}
		})
	}
	wg.Wait()
}
