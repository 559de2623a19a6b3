package collector

import (
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/rtsec/rtsec/exporter/aggregate"
	"github.com/rtsec/rtsec/exporter/bpfprog"
	"github.com/rtsec/rtsec/exporter/bpfprog/bpfprogtest"
	"github.com/rtsec/rtsec/exporter/metricdef"
)

// A default collector whose programs this kernel cannot run is left out
// and reported failing; asked for by name, or failing for another reason,
// it stops the exporter.
func TestUnsupportedCollector(t *testing.T) {
	enabled := true
	factories := map[string]Factory{
		"test_unsupported": func(Env) (Collector, error) { return nil, fmt.Errorf("load: %w", bpfprog.ErrUnsupported) },
		"test_broken":      func(Env) (Collector, error) { return nil, errors.New("bad classes file") },
	}
	for name, f := range factories {
		registrations[name] = &registration{factory: f, enabled: &enabled}
	}
	t.Cleanup(func() {
		for name := range factories {
			delete(registrations, name)
			delete(explicitlySet, name)
		}
	})
	env := Env{Logger: slog.New(slog.DiscardHandler)}

	r, err := New(env, []string{"test_unsupported"})
	if err != nil {
		t.Fatalf("a default collector unsupported by the kernel stopped the exporter: %v", err)
	}
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(r)
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var success []string
	for _, f := range families {
		if f.GetName() == metricdef.ScrapeCollectorSuccess.Name {
			for _, m := range f.GetMetric() {
				success = append(success, fmt.Sprintf("%s=%v", m.GetLabel()[0].GetValue(), m.GetGauge().GetValue()))
			}
		}
	}
	if fmt.Sprint(success) != "[test_unsupported=0]" {
		t.Errorf("rtsec_scrape_collector_success: %v, want [test_unsupported=0]", success)
	}

	if _, err := New(env, []string{"test_broken"}); err == nil {
		t.Error("a collector failing for a reason other than the kernel did not stop the exporter")
	}
	explicitlySet["test_unsupported"] = true
	if _, err := New(env, []string{"test_unsupported"}); !errors.Is(err, bpfprog.ErrUnsupported) {
		t.Errorf("--collector.test_unsupported given explicitly: New = %v, want the unsupported error", err)
	}
}

// TestCgroupKeys checks that a counts map's container keys are listed once
// each and sorted, and that a list kept from the last one follows the map.
func TestCgroupKeys(t *testing.T) {
	type key struct{ Cgroup, Class uint64 }
	m := bpfprogtest.Hash(64, map[key]uint64{{7, 1}: 1, {3, 1}: 1, {7, 2}: 4, {5, 3}: 1, {3, 9}: 2})
	var keys cgroupKeys[key]
	cgroupOf := func(k key) uint64 { return k.Cgroup }
	ids, err := keys.list(m, cgroupOf)
	if err != nil || !slices.Equal(ids, []uint64{3, 5, 7}) {
		t.Fatalf("list = %v, %v; want [3 5 7]", ids, err)
	}
	for _, k := range []key{{3, 1}, {3, 9}, {7, 1}} {
		if err := m.Delete(k); err != nil {
			t.Fatal(err)
		}
	}
	if err := m.Put(key{1, 1}, uint64(1)); err != nil {
		t.Fatal(err)
	}
	ids, err = keys.list(m, cgroupOf)
	if err != nil || !slices.Equal(ids, []uint64{1, 5, 7}) {
		t.Fatalf("second list = %v, %v; want [1 5 7]", ids, err)
	}
}

// TestLiveMaps checks that a map given back is the next one taken, empty,
// and that at most maxFree are kept.
func TestLiveMaps(t *testing.T) {
	var l liveMaps
	m := l.get()
	m[aggregate.Key{CgroupID: 1, Value: "sh"}] = 3
	l.put(m)
	again := l.get()
	if fmt.Sprintf("%p", again) != fmt.Sprintf("%p", m) || len(again) != 0 {
		t.Errorf("get after put = %p with %d entries, want the map given back (%p), empty", again, len(again), m)
	}
	l.put(again, l.get(), l.get(), nil)
	if len(l.free) != maxFree {
		t.Errorf("%d maps kept, want %d", len(l.free), maxFree)
	}
}
