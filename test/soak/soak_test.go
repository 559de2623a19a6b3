// Package soak runs the exporter under container churn, exec, file and
// network load and scrapes for a while (RTSEC_SOAK_DURATION, default 90s;
// make soak DURATION=1h), and fails when its RSS, goroutines, open fds,
// series or BPF map entries grow monotonically.
package soak

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rtsec/rtsec/test/exporter"
	"github.com/rtsec/rtsec/test/load"
)

// Containers alive at any time; each round stops the oldest and starts one.
const alive = 20

// goneGrace is the exporter's --container.gone-grace here; retention is
// the longest a gone container's series and kernel state may stay: the
// grace and the exporter's reap interval (reapInterval in package main).
const (
	goneGrace = 10 * time.Second
	retention = goneGrace + 10*time.Second
)

// sample is one measurement of the exporter.
type sample struct {
	at                                    time.Duration
	rss, goroutines, fds, series, entries float64
	// byMetric and byMap break series and entries down, for the report.
	byMetric, byMap map[string]float64
}

func (s sample) values() map[string]float64 {
	return map[string]float64{"rss_mib": s.rss / (1 << 20), "goroutines": s.goroutines, "fds": s.fds, "series": s.series, "map_entries": s.entries}
}

func measure(t *testing.T, e *exporter.Exporter, began time.Time) sample {
	m := e.Scrape(t)
	s := sample{at: time.Since(began).Round(time.Second), byMetric: map[string]float64{}, byMap: map[string]float64{}}
	rss, err := load.RSS(e.PID())
	if err != nil {
		t.Fatal(err)
	}
	s.rss = float64(rss)
	s.goroutines, _ = m.Value(t, "go_goroutines", nil)
	fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", e.PID()))
	if err != nil {
		t.Fatal(err)
	}
	s.fds = float64(len(fds))
	for name, mf := range m {
		s.series += float64(len(mf.Metric))
		s.byMetric[name] = float64(len(mf.Metric))
	}
	s.entries = m.Sum("rtsec_bpf_map_entries", nil)
	for _, series := range m.Series("rtsec_bpf_map_entries", nil) {
		s.byMap[exporter.Labels(series)["map"]] = series.GetGauge().GetValue()
	}
	return s
}

// growing reports whether a quantity grew through the run: after the
// first warm samples, every sample of the last quarter is above every
// sample of the first quarter by more than the tolerance. A quantity that
// only fluctuates, or rose during the warm-up and stayed (a cache filled),
// is not.
func growing(values []float64, warm int, tolerance float64) bool {
	if warm >= len(values) {
		return false
	}
	measured := values[warm:]
	q := len(measured) / 4
	if q < 2 {
		return false
	}
	firstMax, lastMin := measured[0], measured[len(measured)-1]
	for _, v := range measured[:q] {
		firstMax = max(firstMax, v)
	}
	for _, v := range measured[len(measured)-q:] {
		lastMin = min(lastMin, v)
	}
	if lastMin <= firstMax*(1+tolerance) {
		return false
	}
	// Monotonic: each quarter's median is above the one before.
	quarter := func(i int) float64 {
		part := append([]float64{}, measured[i*q:(i+1)*q]...)
		slices.Sort(part)
		return part[len(part)/2]
	}
	for i := 1; i < 4; i++ {
		if quarter(i) <= quarter(i-1) {
			return false
		}
	}
	return true
}

// changes lists the metrics and maps whose counts changed from the first
// sample after the warm ones to the last.
func changes(samples []sample, warm int) string {
	first, last := samples[min(warm, len(samples)-1)], samples[len(samples)-1]
	var out []string
	for _, pair := range []struct {
		kind        string
		first, last map[string]float64
	}{{"series", first.byMetric, last.byMetric}, {"entries", first.byMap, last.byMap}} {
		for name, v := range pair.last {
			if d := v - pair.first[name]; d != 0 {
				out = append(out, fmt.Sprintf("%s %s %+.0f", pair.kind, name, d))
			}
		}
	}
	slices.Sort(out)
	return strings.Join(out, ", ")
}

func TestSoak(t *testing.T) {
	duration := 90 * time.Second
	if d := os.Getenv("RTSEC_SOAK_DURATION"); d != "" {
		var err error
		if duration, err = time.ParseDuration(d); err != nil {
			t.Fatalf("RTSEC_SOAK_DURATION=%q: %v", d, err)
		}
	}
	e := exporter.Start(t, "--container.gone-grace="+goneGrace.String())
	// The work each new container does: execs, file writes and reads, a
	// shell script's children.
	script := filepath.Join(t.TempDir(), "work.sh")
	if err := os.WriteFile(script, []byte("#!/bin/sh\necho soak > /tmp/rtsec-soak.$$\ncat /etc/passwd > /dev/null\nls /etc > /dev/null\nrm -f /tmp/rtsec-soak.$$\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	work := []string{"/bin/true", "/usr/bin/env", script}
	cs := load.StartContainers(t, "rtsec-soak", alive, work...)

	// Network load: a local listener and connections to it.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()

	began := time.Now()
	var samples []sample
	next := time.Now()
	rounds := 0
	for time.Since(began) < duration {
		cs.Stop(t)
		cs.Start(t, work...)
		rounds++
		for range 5 {
			if c, err := net.Dial("tcp", l.Addr().String()); err == nil {
				c.Close()
			}
		}
		if rounds%10 == 0 {
			// A small storm now and then, as several Prometheus would.
			if res := load.Storm(e.URL, e.PID(), 5, time.Second, 30*time.Second); res.Failed > 0 {
				t.Errorf("storm of 5 scrapers: %s (first error %s)", res, res.FirstError)
			}
		}
		if time.Now().After(next) {
			samples = append(samples, measure(t, e, began))
			next = time.Now().Add(duration / 60)
		}
	}
	samples = append(samples, measure(t, e, began))
	t.Logf("%d containers started and stopped in %v (%d alive at a time), %d samples", rounds, duration, alive, len(samples))
	var table strings.Builder
	for _, s := range samples {
		v := s.values()
		fmt.Fprintf(&table, "%6s rss %5.1f MiB  goroutines %4.0f  fds %3.0f  series %5.0f  map entries %5.0f\n",
			s.at, v["rss_mib"], v["goroutines"], v["fds"], v["series"], v["map_entries"])
	}
	t.Logf("samples:\n%s", table.String())
	// Gone containers' series and state are kept by design until the
	// reaper forgets them: the exporter's memory reaches its steady state
	// only after a few rounds of that, which a run of 90 s does not reach
	// in its first fifth.
	warmUp := max(duration/5, 3*retention)
	warm := slices.IndexFunc(samples, func(s sample) bool { return s.at >= warmUp })
	if warm < 0 {
		warm = len(samples)
	}
	if n := len(samples) - warm; n < 8 {
		t.Fatalf("%d samples after the warm-up of %v: too few to tell growth from noise (RTSEC_SOAK_DURATION=%v; at least %v)", n, warmUp, duration, 3*warmUp/2)
	}
	t.Logf("changes from the first sample after the warm-up (%v) to the last: %s", warmUp, changes(samples, warm))
	for _, name := range []string{"rss_mib", "goroutines", "fds", "series", "map_entries"} {
		var vs []float64
		for _, s := range samples {
			vs = append(vs, s.values()[name])
		}
		if growing(vs, warm, 0.05) {
			t.Errorf("%s grows through the soak after its warm-up of %v: %v; from the first sample after the warm-up to the last: %s", name, warmUp, vs, changes(samples, warm))
		}
	}
}
