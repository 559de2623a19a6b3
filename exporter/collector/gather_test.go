package collector

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"

	"github.com/rtsec/rtsec/exporter/metricdef"
)

// fakeNode emits what rtsec's collectors do, for a set of containers:
// samples of seriesDesc (two families, one with an exemplar on some of
// its samples, which so comes as another kind of metric) and a const
// metric.
type fakeNode struct {
	containers []string
	value      float64
	extra      func() []prometheus.Metric // made anew and sent after the rest
}

var (
	fakeExecs = newSeriesDesc(metricdef.ProcessExecs)
	fakeInfo  = newSeriesDesc(metricdef.ContainerInfo)
)

func (f *fakeNode) Describe(chan<- *prometheus.Desc) {}

func (f *fakeNode) Collect(ch chan<- prometheus.Metric) {
	labels := make([]string, len(metricdef.ContainerInfo.Labels))
	for i, id := range f.containers {
		for j, bin := range []string{"sh", "nginx", "curl"} {
			m := fakeExecs.metric(f.value+float64(i*3+j), id, "ns-"+id, "pod-"+id, "app", bin)
			if j == 1 && i%2 == 0 {
				m = prometheus.MustNewMetricWithExemplars(m, prometheus.Exemplar{Value: 1, Labels: prometheus.Labels{"event_id": id}, Timestamp: time.Unix(1_700_000_000, 0)})
			}
			ch <- m
		}
		for k := range labels {
			labels[k] = fmt.Sprintf("%s-%d", id, k)
		}
		ch <- fakeInfo.metric(1, labels...)
	}
	ch <- prometheus.MustNewConstMetric(scrapeSuccessDesc, prometheus.GaugeValue, f.value, "fake")
	if f.extra != nil {
		for _, m := range f.extra() {
			ch <- m
		}
	}
}

// text is families in the formats the exporter serves: OpenMetrics text,
// Prometheus text and protobuf, one after the other.
func text(t *testing.T, families []*dto.MetricFamily) string {
	t.Helper()
	var buf bytes.Buffer
	for _, format := range []expfmt.FormatType{expfmt.TypeOpenMetrics, expfmt.TypeTextPlain, expfmt.TypeProtoDelim} {
		enc := expfmt.NewEncoder(&buf, expfmt.NewFormat(format))
		for _, f := range families {
			if err := enc.Encode(f); err != nil {
				t.Fatal(err)
			}
		}
	}
	return buf.String()
}

// registryText is what a prometheus.Registry with c and others gives.
func registryText(t *testing.T, c prometheus.Collector, others ...prometheus.Collector) (string, error) {
	t.Helper()
	reg := prometheus.NewRegistry()
	reg.MustRegister(c)
	reg.MustRegister(others...)
	families, err := reg.Gather()
	return text(t, families), err
}

// The page NewGatherer gives is the registry's, scrape after scrape, while
// the containers change and the samples of the last scrape are reused.
func TestGathererMatchesRegistry(t *testing.T) {
	node := &fakeNode{}
	others := prometheus.NewRegistry()
	version := collectors.NewBuildInfoCollector()
	others.MustRegister(version)
	g := NewGatherer(node, others)
	for i, containers := range [][]string{
		{"c3", "c1", "c2", "c0"},
		{"c1", "c9", "c5"}, // fewer containers, others
		{"c7", "c1", "c9", "c5", "c4", "c8"},
		{},
	} {
		node.containers, node.value = containers, float64(i*100)
		families, done, err := g.Gather()
		if err != nil {
			t.Fatalf("scrape %d: %v", i, err)
		}
		got := text(t, families)
		done()
		want, err := registryText(t, node, version)
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("scrape %d of %v:\n%s\nwant the registry's:\n%s", i, containers, got, want)
		}
		if i == 0 && !strings.Contains(got, `# {event_id="c3"}`) {
			t.Errorf("scrape %d: the exemplar is missing:\n%s", i, got)
		}
	}
}

// Concurrent gathers do not share a sample: a page being written keeps its
// content while other gathers run and finish.
func TestGathererConcurrent(t *testing.T) {
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := range 20 {
				node := &fakeNode{containers: []string{fmt.Sprintf("w%d-%d", w, i), "shared"}, value: float64(w*1000 + i)}
				families, done, err := NewGatherer(node, nil).Gather()
				if err != nil {
					t.Error(err)
				}
				before := text(t, families)
				for range 3 { // other gathers take free samples meanwhile
					_, d, _ := NewGatherer(&fakeNode{containers: []string{"other"}, value: -1}, nil).Gather()
					d()
				}
				if after := text(t, families); after != before {
					t.Errorf("the page changed before done:\n%s\nwas:\n%s", after, before)
				}
				want, _ := registryText(t, node)
				if before != want {
					t.Errorf("got:\n%s\nwant:\n%s", before, want)
				}
				done()
			}
		})
	}
	wg.Wait()
}

// What the registry refuses, NewGatherer refuses too: a series collected
// twice, a label value that is not valid UTF-8. The rest is served.
func TestGathererRejects(t *testing.T) {
	for name, extra := range map[string]func() []prometheus.Metric{
		"duplicate": func() []prometheus.Metric {
			return []prometheus.Metric{fakeExecs.metric(7, "c1", "ns-c1", "pod-c1", "app", "sh")}
		},
		"duplicate in a family of samples only": func() []prometheus.Metric {
			return []prometheus.Metric{fakeInfo.metric(1, "c2-0", "c2-1", "c2-2", "c2-3", "c2-4", "c2-5", "c2-6")}
		},
		"duplicate with exemplar": func() []prometheus.Metric {
			return []prometheus.Metric{prometheus.MustNewMetricWithExemplars(fakeExecs.metric(7, "c1", "ns-c1", "pod-c1", "app", "sh"), prometheus.Exemplar{Value: 1, Timestamp: time.Unix(1_700_000_000, 0)})}
		},
		"invalid UTF-8": func() []prometheus.Metric {
			return []prometheus.Metric{fakeExecs.metric(7, "c1", "ns-c1", "pod-c1", "app", "b\xffd")}
		},
	} {
		node := &fakeNode{containers: []string{"c1", "c2"}, extra: extra}
		families, done, err := NewGatherer(node, nil).Gather()
		got := text(t, families)
		done()
		if err == nil {
			t.Errorf("%s: no error", name)
		}
		want, werr := registryText(t, node)
		if werr == nil {
			t.Fatalf("%s: the registry took it", name)
		}
		if got != want {
			t.Errorf("%s: got\n%s\nwant the registry's:\n%s", name, got, want)
		}
	}
}

// sortSamples orders samples as compareSamples does, whatever their
// values: sharing long prefixes, empty, with NUL bytes.
func TestSortSamples(t *testing.T) {
	parts := []string{"", "a", "ab", "abc", "b", "a\x00", "\x00", "abcdefghijklmnopqrstuvwxyz", "abcdefghijklmnopqrstuvwxy", "é", "\xff"}
	rnd := rand.New(rand.NewPCG(1, 2))
	for round := range 200 {
		withNUL := round%2 == 0
		var list []sortKey
		for range 50 {
			values := make([]string, 3)
			for i := range values {
				for range rnd.IntN(3) {
					p := parts[rnd.IntN(len(parts))]
					if !withNUL && strings.Contains(p, "\x00") {
						continue
					}
					values[i] += p
				}
			}
			m := &sample{values: values}
			list = append(list, keyOf(m))
		}
		want := slices.Clone(list)
		slices.SortStableFunc(want, func(a, b sortKey) int { return compareSamples(a.m, b.m) })
		sortSamples(list)
		for i := range list {
			if compareSamples(list[i].m, want[i].m) != 0 {
				t.Fatalf("round %d: at %d %q, want %q", round, i, list[i].m.values, want[i].m.values)
			}
		}
	}
}

// BenchmarkSortSamples sorts the samples of a family of 1 000 containers
// times 20 binaries, as rtsec_process_execs_total's, in the order the
// process collector sends them.
func BenchmarkSortSamples(b *testing.B) {
	rnd := rand.New(rand.NewPCG(1, 2))
	var list []sortKey
	for c := range 1000 {
		id := fmt.Sprintf("%016x%016x%016x%016x", rnd.Uint64(), rnd.Uint64(), rnd.Uint64(), rnd.Uint64())
		ns, pod := fmt.Sprintf("team-%02d", c%40), fmt.Sprintf("web-%d-7d9f8c6b5-x2k%04d", c%50, c)
		for bin := range 20 {
			list = append(list, fakeExecs.metric(1, id, ns, pod, "app", fmt.Sprintf("binary-%02d", bin)).(*sample).key)
		}
	}
	rnd.Shuffle(len(list), func(i, j int) { list[i], list[j] = list[j], list[i] })
	work := make([]sortKey, len(list))
	for b.Loop() {
		copy(work, list)
		sortSamples(work)
	}
}

// A steady scrape makes no sample: those of the last gather are reused,
// whatever garbage collections ran between, and the free samples are
// trimmed to what the last gathers need.
func TestGathererReusesSamples(t *testing.T) {
	samplesOf := func(families []*dto.MetricFamily) map[*dto.Metric]bool {
		out := map[*dto.Metric]bool{}
		for _, f := range families {
			for _, m := range f.Metric {
				out[m] = true
			}
		}
		return out
	}
	var containers []string
	for i := range 200 {
		containers = append(containers, fmt.Sprintf("c%d", i))
	}
	node := &fakeNode{containers: containers}
	families, done, err := NewGatherer(node, nil).Gather()
	if err != nil {
		t.Fatal(err)
	}
	first := samplesOf(families)
	done()
	runtime.GC()
	runtime.GC() // a sync.Pool would be empty after two
	families, done, err = NewGatherer(node, nil).Gather()
	if err != nil {
		t.Fatal(err)
	}
	reused := 0
	for m := range samplesOf(families) {
		if first[m] {
			reused++
		}
	}
	// The exemplar-wrapped samples are the registry's copies, made anew.
	if want := 200 * 3; reused < want {
		t.Errorf("%d samples of the first gather reused by the second, want at least %d", reused, want)
	}
	done()

	_, done, _ = NewGatherer(&fakeNode{containers: []string{"one"}}, nil).Gather()
	done()
	samples.Lock()
	free := len(samples.free)
	samples.Unlock()
	if free > 2*4 {
		t.Errorf("%d free samples after a gather of 4, want at most 8", free)
	}
}

// Gathers of one gatherer that overlap do not share buffers: a page being
// written keeps its content while later gathers run, finish and reuse what
// earlier ones gave back.
func TestGathererOverlapping(t *testing.T) {
	node := &fakeNode{containers: []string{"a1", "a2", "a3"}, value: 1}
	g := NewGatherer(node, nil)
	first, done1, err := g.Gather()
	if err != nil {
		t.Fatal(err)
	}
	want := text(t, first)
	for i, containers := range [][]string{{"b1"}, {"c1", "c2", "c3", "c4"}, {}} {
		node.containers, node.value = containers, float64(10+i)
		families, done, err := g.Gather()
		if err != nil {
			t.Fatal(err)
		}
		got := text(t, families)
		done()
		if reg, _ := registryText(t, node); got != reg {
			t.Errorf("gather %d of %v:\n%s\nwant the registry's:\n%s", i, containers, got, reg)
		}
	}
	if got := text(t, first); got != want {
		t.Errorf("the first page changed before its done:\n%s\nwas:\n%s", got, want)
	}
	done1()
}
