// Package exporter runs the real rtsec_exporter binary for tests and reads
// its metrics back over HTTP.
package exporter

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/rtsec/rtsec/internal/testenv"
)

// startWait is how long Start waits for the exporter to serve.
const startWait = 40 * time.Second

var (
	buildOnce sync.Once
	binary    string
	buildErr  error
)

// Build compiles rtsec_exporter once per test binary and returns its path.
func Build(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		_, file, _, _ := runtime.Caller(0)
		root := filepath.Join(filepath.Dir(file), "..", "..")
		dir, err := os.MkdirTemp("", "rtsec-exporter-")
		if err != nil {
			buildErr = err
			return
		}
		binary = filepath.Join(dir, "rtsec_exporter")
		cmd := exec.Command("go", "build", "-o", binary, "./exporter")
		cmd.Dir = root
		// As make build: only a build without cgo drops capabilities.
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binary
}

// Auth is the basic-auth user a test scrapes as; zero for none.
type Auth struct {
	User, Password string
}

// Exporter is a running rtsec_exporter.
type Exporter struct {
	URL    string
	auth   Auth
	cmd    *exec.Cmd
	output *syncWriter
	done   chan error
}

// FreeAddress returns a 127.0.0.1 address with a port nobody listens on.
func FreeAddress(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// Start runs the exporter as root with args added to a private listen
// address, waits until /metrics answers, and stops it when the test ends.
func Start(t testing.TB, args ...string) *Exporter {
	t.Helper()
	return StartWith(t, Auth{}, args...)
}

// StartWith is Start for an exporter that wants credentials.
func StartWith(t testing.TB, auth Auth, args ...string) *Exporter {
	t.Helper()
	return start(t, auth, nil, args)
}

// StartUnder is Start with the exporter executed by a wrapper command
// (prefix, e.g. a setpriv command line that sets its user and
// capabilities), which must exec it so that PID is the exporter's.
func StartUnder(t testing.TB, prefix []string, args ...string) *Exporter {
	t.Helper()
	return start(t, Auth{}, prefix, args)
}

func start(t testing.TB, auth Auth, prefix, args []string) *Exporter {
	t.Helper()
	testenv.RequireRoot(t)
	addr := FreeAddress(t)
	defaults := []string{"--web.listen-address=" + addr}
	if !slices.ContainsFunc(args, func(a string) bool { return strings.HasPrefix(a, "--runtime.cri-socket") }) {
		// A test sees no host CRI runtime unless it asks for one.
		defaults = append(defaults, "--runtime.cri-socket=none")
	}
	defaults = append(defaults, StateFile(t, args)...)
	argv := append(append(slices.Clone(prefix), Build(t)), append(defaults, args...)...)
	cmd := exec.Command(argv[0], argv[1:]...)
	e := &Exporter{URL: "http://" + addr + "/metrics", auth: auth, cmd: cmd, output: &syncWriter{}, done: make(chan error, 1)}
	cmd.Stdout = e.output
	cmd.Stderr = e.output
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { e.done <- cmd.Wait() }()
	t.Cleanup(func() {
		if err := e.Stop(); err != nil {
			t.Errorf("exporter did not stop cleanly: %v\n%s", err, e.Output())
		}
	})
	// Loading and verifying every BPF object takes 5-15 s on a busy 2-core
	// machine (the verifier is CPU-bound): the wait is no performance check.
	deadline := time.Now().Add(startWait)
	for {
		resp, err := e.get("")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return e
			}
		}
		select {
		case err := <-e.done:
			e.done <- err
			t.Fatalf("exporter exited before serving: %v\n%s", err, e.Output())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("exporter did not serve %s within %s: %v\n%s", e.URL, startWait, err, e.Output())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// PID is the exporter's process id.
func (e *Exporter) PID() int {
	return e.cmd.Process.Pid
}

// Stop sends SIGTERM and waits for the exporter to exit; a non-zero exit
// is an error.
func (e *Exporter) Stop() error {
	select {
	case err := <-e.done:
		e.done <- err
		return err
	default:
	}
	e.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-e.done:
		e.done <- err
		return err
	case <-time.After(10 * time.Second):
		e.cmd.Process.Kill()
		return fmt.Errorf("no exit within 10s of SIGTERM")
	}
}

func (e *Exporter) get(accept string) (*http.Response, error) {
	req, err := http.NewRequest(http.MethodGet, e.URL, nil)
	if err != nil {
		return nil, err
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	if e.auth.User != "" {
		req.SetBasicAuth(e.auth.User, e.auth.Password)
	}
	return http.DefaultClient.Do(req)
}

// Output is what the exporter logged so far.
func (e *Exporter) Output() string {
	e.output.mu.Lock()
	defer e.output.mu.Unlock()
	return e.output.buf.String()
}

// Metrics is one scrape, by metric family name.
type Metrics map[string]*dto.MetricFamily

// Scrape fetches and parses /metrics.
func (e *Exporter) Scrape(t testing.TB) Metrics {
	t.Helper()
	body := e.fetch(t, "")
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("parse /metrics: %v", err)
	}
	return families
}

// ScrapeOpenMetrics fetches /metrics as Prometheus does when it negotiates
// OpenMetrics (the format that carries exemplars) and returns the text.
func (e *Exporter) ScrapeOpenMetrics(t testing.TB) string {
	t.Helper()
	return string(e.fetch(t, "application/openmetrics-text;version=1.0.0"))
}

func (e *Exporter) fetch(t testing.TB, accept string) []byte {
	t.Helper()
	resp, err := e.get(accept)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s\n%s", e.URL, resp.Status, body)
	}
	return body
}

// Value returns the value of the series of name whose labels include
// match, and false when there is none. More than one match is a test error.
func (m Metrics) Value(t testing.TB, name string, match map[string]string) (float64, bool) {
	t.Helper()
	series := m.Series(name, match)
	switch len(series) {
	case 0:
		return 0, false
	case 1:
		return value(series[0]), true
	}
	t.Fatalf("%d series of %s match %v, want at most one", len(series), name, match)
	return 0, false
}

// Series returns the series of name whose labels include match.
func (m Metrics) Series(name string, match map[string]string) []*dto.Metric {
	var out []*dto.Metric
	mf, ok := m[name]
	if !ok {
		return nil
	}
next:
	for _, metric := range mf.Metric {
		labels := Labels(metric)
		for k, v := range match {
			if labels[k] != v {
				continue next
			}
		}
		out = append(out, metric)
	}
	return out
}

// Sum adds up the series of name whose labels include match.
func (m Metrics) Sum(name string, match map[string]string) float64 {
	var sum float64
	for _, s := range m.Series(name, match) {
		sum += value(s)
	}
	return sum
}

// Labels returns a series' labels as a map.
func Labels(m *dto.Metric) map[string]string {
	labels := map[string]string{}
	for _, lp := range m.Label {
		labels[lp.GetName()] = lp.GetValue()
	}
	return labels
}

func value(m *dto.Metric) float64 {
	switch {
	case m.Counter != nil:
		return m.Counter.GetValue()
	case m.Gauge != nil:
		return m.Gauge.GetValue()
	}
	return m.Untyped.GetValue()
}

// syncWriter collects the exporter's output from the two pipes it writes.
type syncWriter struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.Write(p)
}

// StateFile returns the flag that gives an exporter started with args an
// integrity state file of its own, unless args name one (by either flag
// name): exporters sharing one are refused (integrity.LockState), and
// tests run several at once, beside any the host runs.
func StateFile(t testing.TB, args []string) []string {
	if slices.ContainsFunc(args, func(a string) bool { return strings.Contains(a, "integrity.state-file=") }) {
		return nil
	}
	return []string{"--collector.integrity.state-file=" + filepath.Join(t.TempDir(), "integrity.json")}
}
