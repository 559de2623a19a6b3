package collector

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"google.golang.org/protobuf/proto"

	"github.com/rtsec/rtsec/exporter/metricdef"
)

// A seriesDesc's sample writes what MustNewConstMetric's writes: labels
// sorted by name with their values, the value and the type, for counters
// and gauges whose label names are not in sorted order.
func TestSeriesDescWritesAsConstMetric(t *testing.T) {
	for _, d := range []metricdef.Def{metricdef.ProcessExecs, metricdef.NetworkConnections, metricdef.ContainerPostureInfo, metricdef.ContainerInfo, metricdef.FileUnresolvedPaths} {
		values := make([]string, len(d.Labels))
		for i := range values {
			values[i] = string(rune('z'-i)) + "-value"
		}
		s := newSeriesDesc(d)
		var got, want dto.Metric
		if err := s.metric(42, values...).Write(&got); err != nil {
			t.Fatalf("%s: %v", d.Name, err)
		}
		if err := prometheus.MustNewConstMetric(d.Desc(), d.Type, 42, values...).Write(&want); err != nil {
			t.Fatal(err)
		}
		if !proto.Equal(&got, &want) {
			t.Errorf("%s: sample writes %v, want %v", d.Name, &got, &want)
		}
		if s.metric(1, values...).Desc().String() != d.Desc().String() {
			t.Errorf("%s: sample's descriptor %v, want %v", d.Name, s.metric(1, values...).Desc(), d.Desc())
		}
	}
}
