package collector

import (
	"errors"
	"fmt"
	"log/slog"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/rtsec/rtsec/exporter/bpfprog"
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
