package scrape

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/prometheus/client_golang/prometheus/promhttp"
	dto "github.com/prometheus/client_model/go"
)

// rtsecPage is a page of the exporter's shape for a node of n containers:
// about 40 series a container (identity labels: container, container_id,
// namespace, pod), in families whose label names each series shares, as
// the collector's samples do.
func rtsecPage(n int) []*dto.MetricFamily {
	type family struct {
		name  string
		kind  dto.MetricType
		extra []string   // label names after the identity ones, sorted with them
		each  [][]string // their values, one series each
	}
	binaries := [][]string{}
	for _, b := range []string{"sh", "bash", "nginx", "node", "python3", "java", "ls", "cat", "grep", "sed", "awk", "curl", "wget", "ps", "sleep", "env", "date", "find", "tar", "gzip"} {
		binaries = append(binaries, []string{b})
	}
	none := [][]string{{}}
	families := []family{
		{"rtsec_container_cpu_seconds_total", dto.MetricType_COUNTER, nil, none},
		{"rtsec_container_forks_total", dto.MetricType_COUNTER, []string{"kind"}, [][]string{{"process"}, {"thread"}}},
		{"rtsec_container_info", dto.MetricType_GAUGE, []string{"image", "pod_uid", "runtime"}, [][]string{{"docker.io/library/nginx:1.27", "0f1c2d3e-4b5a-6978-8a9b-0c1d2e3f4a5b", "docker"}}},
		{"rtsec_container_memory_bytes", dto.MetricType_GAUGE, nil, none},
		{"rtsec_container_memory_limit_bytes", dto.MetricType_GAUGE, nil, none},
		{"rtsec_container_pids", dto.MetricType_GAUGE, nil, none},
		{"rtsec_container_posture_info", dto.MetricType_GAUGE, []string{"no_new_privs", "privileged", "readonly_rootfs", "run_as_root", "seccomp"}, [][]string{{"false", "false", "true", "true", "false"}}},
		{"rtsec_file_modifications_total", dto.MetricType_COUNTER, []string{"op", "path_class"}, [][]string{{"write", "etc_passwd"}, {"create", "bin_dir"}, {"write", "cron"}}},
		{"rtsec_file_sensitive_reads_total", dto.MetricType_COUNTER, []string{"file_class"}, [][]string{{"shadow"}, {"ssh_key"}}},
		{"rtsec_network_connections_total", dto.MetricType_COUNTER, []string{"direction", "port_class", "protocol", "result", "scope"}, [][]string{
			{"out", "https", "tcp", "ok", "public"}, {"out", "http", "tcp", "ok", "public"}, {"out", "dns", "udp", "ok", "private"},
			{"out", "database", "tcp", "refused", "cluster_service"}, {"in", "http", "tcp", "ok", "private"},
		}},
		{"rtsec_process_execs_total", dto.MetricType_COUNTER, []string{"binary"}, binaries},
	}
	var mfs []*dto.MetricFamily
	for fi, f := range families {
		names := append([]string{"container", "container_id"}, f.extra...)
		names = append(names, "namespace", "pod")
		// The identity labels sort around the extra ones as the
		// registry sorts label names; close enough for the encoders.
		mf := &dto.MetricFamily{Name: &f.name, Help: new(string), Type: &f.kind}
		*mf.Help = "Help of " + f.name + "."
		for c := range n {
			id := fmt.Sprintf("%064x", c*7919+1)
			for si, values := range f.each {
				all := append([]string{"app", id}, values...)
				all = append(all, fmt.Sprintf("ns-%d", c%17), fmt.Sprintf("pod-%d-7d9f8b6c5-x2k4q", c))
				m := &dto.Metric{}
				for i := range names {
					m.Label = append(m.Label, &dto.LabelPair{Name: &names[i], Value: &all[i]})
				}
				v := float64(c*31 + si*7 + fi)
				if f.name == "rtsec_container_cpu_seconds_total" {
					v = float64(c) * 1.234567
				} else if f.name == "rtsec_container_memory_bytes" {
					v = float64(c+1) * 104857600
				}
				if f.kind == dto.MetricType_COUNTER {
					m.Counter = &dto.Counter{Value: &v}
				} else {
					m.Gauge = &dto.Gauge{Value: &v}
				}
				mf.Metric = append(mf.Metric, m)
			}
		}
		mfs = append(mfs, mf)
	}
	return mfs
}

// discardWriter is a ResponseWriter that keeps nothing.
type discardWriter struct{ header http.Header }

func (d *discardWriter) Header() http.Header         { return d.header }
func (d *discardWriter) WriteHeader(int)             {}
func (d *discardWriter) Write(b []byte) (int, error) { return len(b), nil }

// BenchmarkEncode encodes a page of 1 000 containers (38 000 series) in
// OpenMetrics, as Prometheus asks for it, with MetricsHandler and with
// promhttp's handler, in three interleaved rounds.
func BenchmarkEncode(b *testing.B) {
	page := static{mfs: rtsecPage(1000)}
	series := 0
	for _, mf := range page.mfs {
		series += len(mf.Metric)
	}
	handlers := []struct {
		name    string
		handler http.Handler
	}{
		{"rtsec", MetricsHandler(page, rtsecOpts(nil, nil))},
		{"expfmt", promhttp.HandlerForTransactional(page, rtsecOpts(nil, nil))},
	}
	for i := range 3 * len(handlers) {
		h := handlers[i%len(handlers)]
		b.Run(h.name, func(b *testing.B) {
			req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
			req.Header.Set("Accept", "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1")
			w := &discardWriter{header: http.Header{}}
			b.ReportAllocs()
			for b.Loop() {
				clear(w.header)
				h.handler.ServeHTTP(w, req)
			}
			b.ReportMetric(float64(series), "series")
		})
	}
}
