package scrape

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/alecthomas/kingpin/v2"
	"github.com/cilium/ebpf"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	versioncollector "github.com/prometheus/client_golang/prometheus/collectors/version"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"golang.org/x/sys/unix"

	"github.com/rtsec/rtsec/bpf"
	"github.com/rtsec/rtsec/exporter/bpfprog"
	"github.com/rtsec/rtsec/exporter/cgrouppaths"
	"github.com/rtsec/rtsec/exporter/collector"
	"github.com/rtsec/rtsec/exporter/container"
	"github.com/rtsec/rtsec/exporter/netclass"
	"github.com/rtsec/rtsec/exporter/scrape"
	"github.com/rtsec/rtsec/internal/testenv"
	"github.com/rtsec/rtsec/test/load"
)

// sizes are the node sizes, in containers, a scrape is measured at.
var sizes = []int{100, 1000, 5000}

// binaries are the 20 binary names each container has executed.
var binaries = []string{
	"sh", "bash", "nginx", "node", "python3", "java", "ls", "cat", "grep", "sed",
	"awk", "curl", "wget", "ps", "sleep", "env", "date", "find", "tar", "gzip",
}

// Five file classes each container touched: three modified, two read.
var (
	fileMods  = []struct{ class, op uint8 }{{1, 1}, {2, 2}, {3, 1}} // ids of the table's modify classes and metricdef.FileOps (1-based)
	fileReads = []uint8{1, 2}                                       // ids of the table's read classes (1-based)
)

// connections are the five connection classes each container made:
// direction, scope, port class, protocol and result, as net_counts keys them.
var connections = [][5]uint8{
	{0, 0, portClass("https"), 0, 0},
	{0, 0, portClass("http"), 0, 0},
	{0, 2, portClass("dns"), 1, 0},
	{0, 5, portClass("database"), 0, 1},
	{1, 2, portClass("http"), 0, 0},
}

func portClass(name string) uint8 {
	for i, c := range netclass.PortClasses {
		if c == name {
			return uint8(i)
		}
	}
	panic("no port class " + name)
}

// acceptPrometheus is what Prometheus 2.x asks for.
const acceptPrometheus = "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"

// BenchmarkScrape measures one scrape of /metrics, served as the exporter
// serves it (every default collector, the version, Go and process
// collectors, the shared-page handler, OpenMetrics with gzip as Prometheus
// asks), on a node of 100, 1 000 and 5 000 containers: real cgroups shaped
// as docker's, each with a sleeping process (posture, resources), with
// Kubernetes identity labels, and in the real BPF maps the counts of 20
// binaries, 5 file classes, 5 connection classes, a class exec and a fork
// count per container, written from userspace (the programs stay attached
// and count the host's own activity too). Reported per scrape: wall and
// CPU time (ms/scrape, cpu-ms/scrape: the process's user+system time,
// BPF map syscalls included), bytes and allocations (B/op, allocs/op),
// series, and the exposition's size uncompressed and gzipped.
func BenchmarkScrape(b *testing.B) {
	testenv.RequireRoot(b)
	testenv.RequireTracefs(b)
	// The integrity baseline in a temporary file; the flag is named
	// either way, with or without node_exporter's collector. prefix.
	stateFlag := "collector.integrity.state-file"
	if kingpin.CommandLine.GetFlag(stateFlag) == nil {
		stateFlag = "integrity.state-file"
	}
	if _, err := kingpin.CommandLine.Parse([]string{"--" + stateFlag + "=" + filepath.Join(b.TempDir(), "integrity.json")}); err != nil {
		b.Fatal(err)
	}
	logger := slog.New(slog.DiscardHandler)
	set := bpfprog.NewSet()
	b.Cleanup(func() { set.Close() })
	recorder, err := cgrouppaths.Load(set)
	if err != nil {
		b.Fatal(err)
	}
	md := metadata{}
	resolver, err := container.NewResolver(container.ResolverOptions{Recorded: recorder.Lookup, Metadata: md, GoneGrace: 2 * time.Minute, Logger: logger})
	if err != nil {
		b.Fatal(err)
	}
	signals, err := collector.New(collector.Env{Logger: logger, BPF: set, Resolver: resolver}, collector.Enabled())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { signals.Close() })
	registry := prometheus.NewRegistry()
	registry.MustRegister(versioncollector.NewCollector("rtsec"),
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	handler := scrape.Handler(scrape.MetricsHandler(collector.NewGatherer(signals, registry), promhttp.HandlerOpts{
		ErrorHandling: promhttp.ContinueOnError, EnableOpenMetrics: true, CoalesceGather: true, DisableCompression: true,
	}), 40, 0)

	cs := load.StartContainers(b, fmt.Sprintf("rtsec-bench-scrape-%d", os.Getpid()), 0)
	cs.Unprivileged = true
	maps := set.Maps()
	for _, n := range sizes {
		b.Run(fmt.Sprintf("containers=%d", n), func(b *testing.B) {
			// Grown here, so that a -bench filter makes only what it measures.
			for len(cs.IDs) < n {
				id := cs.Start(b)
				fill(b, maps, cgroupID(b, cs.Dir(id)), len(cs.IDs))
				md[id] = container.Metadata{
					Namespace: fmt.Sprintf("team-%02d", len(cs.IDs)%40), Pod: fmt.Sprintf("web-%d-7d9f8c6b5-x2k%04d", len(cs.IDs)%50, len(cs.IDs)),
					Container: "app", Image: "registry.example/team/web:1.2.3",
				}
			}
			page := check(b, handler, cs.IDs)
			req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
			req.Header.Set("Accept", acceptPrometheus)
			req.Header.Set("Accept-Encoding", "gzip")
			var gzipped int
			b.ReportAllocs()
			cpu0 := cpuTime(b)
			b.ResetTimer()
			for b.Loop() {
				w := &discard{header: http.Header{}}
				handler.ServeHTTP(w, req)
				if w.code != http.StatusOK {
					b.Fatalf("scrape: status %d", w.code)
				}
				gzipped = w.n
			}
			// CPU time says more than wall time on a loaded machine.
			b.ReportMetric(float64((cpuTime(b)-cpu0).Nanoseconds())/float64(b.N)/1e6, "cpu-ms/scrape")
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1e6, "ms/scrape")
			b.ReportMetric(float64(page.series), "series")
			b.ReportMetric(float64(page.bytes), "exposition-bytes")
			b.ReportMetric(float64(gzipped), "gzip-bytes")
		})
	}
}

// discard is the response a scrape in the loop is written to: counted,
// not kept, as a server writes it to its connection. An
// httptest.ResponseRecorder would add the page's copy to each scrape's
// allocations.
type discard struct {
	header http.Header
	code   int
	n      int
}

func (d *discard) Header() http.Header { return d.header }
func (d *discard) WriteHeader(code int) {
	if d.code == 0 {
		d.code = code
	}
}
func (d *discard) Write(b []byte) (int, error) {
	if d.code == 0 {
		d.code = http.StatusOK
	}
	d.n += len(b)
	return len(b), nil
}

// cpuTime is the user and system CPU this process has used.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// metadata is the CRI runtime's view of the benchmark's containers.
type metadata map[string]container.Metadata

func (m metadata) Lookup(id string) (container.Metadata, bool) {
	md, ok := m[id]
	return md, ok
}

// cgroupID is the cgroup id of the cgroup directory dir: its inode.
func cgroupID(b *testing.B, dir string) uint64 {
	var st syscall.Stat_t
	if err := syscall.Stat(dir, &st); err != nil {
		b.Fatal(err)
	}
	return st.Ino
}

// fill writes one container's counts into the collectors' maps; i varies
// the values.
func fill(b *testing.B, maps map[string]*ebpf.Map, cgroup uint64, i int) {
	count := uint64(i%97 + 1)
	put := func(name string, key any) {
		if err := maps[name].Put(key, count); err != nil {
			b.Fatalf("fill %s (capacity %d) for container %d: %v", name, maps[name].MaxEntries(), i, err)
		}
	}
	// Past exec_counts' capacity (65 536 names: 3 000 containers of 20),
	// the kernel counts a container's execs in its budget entry, exported
	// as "_other": so does the benchmark.
	budget := bpf.ProcessExecBudget{Used: uint32(len(binaries))}
	for _, name := range binaries {
		key := bpf.ProcessExecKey{CgroupId: cgroup}
		for j, c := range []byte(name) {
			key.Binary[j] = int8(c)
		}
		err := maps["exec_counts"].Put(key, count)
		if errors.Is(err, unix.E2BIG) {
			budget.Dropped += count
		} else if err != nil {
			b.Fatalf("fill exec_counts for container %d: %v", i, err)
		}
	}
	if err := maps["exec_budgets"].Put(cgroup, budget); err != nil {
		b.Fatalf("fill exec_budgets for container %d: %v", i, err)
	}
	put("signal_counts", bpf.ProcessSignalKey{CgroupId: cgroup, Signal: 2, Value: 1}) // a shell class exec
	for _, m := range fileMods {
		put("file_counts", bpf.FilesFileKey{CgroupId: cgroup, Class: m.class, Op: m.op})
	}
	for _, class := range fileReads {
		put("file_counts", bpf.FilesFileKey{CgroupId: cgroup, Read: 1, Class: class})
	}
	for _, l := range connections {
		put("net_counts", bpf.NetworkNetKey{CgroupId: cgroup, Kind: 1, L: l})
	}
	put("resource_counts", bpf.ResourcesResourceKey{CgroupId: cgroup, Signal: 1, Value: 0}) // process forks
}

// page is what one scrape exposed.
type page struct {
	series, bytes int
}

// check scrapes once in the text format, checks that every container has
// its series, and returns the page's size.
func check(b *testing.B, h http.Handler, ids []string) page {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if w.Code != http.StatusOK {
		b.Fatalf("scrape: status %d\n%s", w.Code, w.Body)
	}
	body := w.Body.Bytes()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(bytes.NewReader(body))
	if err != nil {
		b.Fatalf("parse the page: %v", err)
	}
	want := map[string]bool{}
	for _, id := range ids {
		want[id] = true
	}
	perContainer := map[string]map[string]int{}
	series := 0
	for name, mf := range families {
		series += len(mf.Metric)
		for _, m := range mf.Metric {
			for _, l := range m.Label {
				if l.GetName() == "container_id" && want[l.GetValue()] {
					if perContainer[name] == nil {
						perContainer[name] = map[string]int{}
					}
					perContainer[name][l.GetValue()]++
				}
			}
		}
	}
	for name, per := range map[string]int{
		"rtsec_container_info": 1, "rtsec_process_class_execs_total": 1,
		"rtsec_file_modifications_total": len(fileMods), "rtsec_file_sensitive_reads_total": len(fileReads),
		"rtsec_network_connections_total": len(connections), "rtsec_container_forks_total": 1,
		"rtsec_container_posture_info": 1, "rtsec_container_cpu_seconds_total": 1,
	} {
		if got := perContainer[name]; len(got) != len(ids) {
			b.Fatalf("%s lists %d of the %d containers", name, len(got), len(ids))
		}
		for id, n := range perContainer[name] {
			if n != per {
				b.Fatalf("%s has %d series for container %s, want %d", name, n, id, per)
			}
		}
	}
	// Past exec_counts' capacity a container has the names that found
	// room and "_other".
	for id, n := range perContainer["rtsec_process_execs_total"] {
		if n < 1 || n > len(binaries) {
			b.Fatalf("rtsec_process_execs_total has %d series for container %s, want 1 to %d", n, id, len(binaries))
		}
	}
	if got := len(perContainer["rtsec_process_execs_total"]); got != len(ids) {
		b.Fatalf("rtsec_process_execs_total lists %d of the %d containers", got, len(ids))
	}
	var took []string
	for _, m := range families["rtsec_scrape_collector_duration_seconds"].GetMetric() {
		took = append(took, fmt.Sprintf("%s %.1f ms", m.Label[0].GetValue(), m.GetGauge().GetValue()*1000))
	}
	slices.Sort(took)
	b.Logf("%d containers, %d series; collector durations: %s", len(ids), series, strings.Join(took, ", "))
	return page{series: series, bytes: len(body)}
}
