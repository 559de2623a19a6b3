package collector

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/rtsec/rtsec/bpf/enums"
	"github.com/rtsec/rtsec/exporter/aggregate"
	"github.com/rtsec/rtsec/exporter/container"
)

func labelsOf(t *testing.T, m prometheus.Metric) map[string]string {
	t.Helper()
	var out dto.Metric
	if err := m.Write(&out); err != nil {
		t.Fatal(err)
	}
	labels := map[string]string{}
	for _, lp := range out.Label {
		labels[lp.GetName()] = lp.GetValue()
	}
	return labels
}

func TestNetworkCounterLabels(t *testing.T) {
	c := newNetwork(networkMaps{}, nil)
	id := container.Identity{ID: "c1", Namespace: "ns", Pod: "p", Container: "app"}
	cases := []struct {
		ids  []byte
		want map[string]string // nil: no series
	}{
		{[]byte{enums.KindConn, 0, 4, 5, 0, 1}, map[string]string{"direction": "out", "scope": "metadata", "port_class": "https", "protocol": "tcp", "result": "refused"}},
		{[]byte{enums.KindConn, 1, 1, 14, 1, 0}, map[string]string{"direction": "in", "scope": "loopback", "port_class": "mining", "protocol": "udp", "result": "ok"}},
		{[]byte{enums.KindListen, 0, 8, 2, 0, 0}, map[string]string{"port_class": "ssh", "scope": "any"}},
		{[]byte{enums.KindRaw, 1, 0, 0, 0, 0}, map[string]string{"type": "raw"}},
		{[]byte{enums.KindRuntime, 4, 0, 0, 0, 0}, map[string]string{"socket": "kubelet_pod_resources"}},
		{[]byte{enums.KindDNS, 0, 0, 0, 0, 0}, map[string]string{}},
		{[]byte{enums.KindConn, 2, 0, 0, 0, 0}, nil},    // unknown direction
		{[]byte{enums.KindListen, 0, 99, 0, 0, 0}, nil}, // unknown scope
		{[]byte{42, 0, 0, 0, 0, 0}, nil}, // unknown kind
	}
	var scratch []string // shared as Update shares it
	for _, tc := range cases {
		var m prometheus.Metric
		m, scratch = c.counter(aggregate.Series{Identity: &id, Value: string(tc.ids), Count: 3}, scratch)
		if tc.want == nil {
			if m != nil {
				t.Errorf("%v: got a series, want none", tc.ids)
			}
			continue
		}
		if m == nil {
			t.Errorf("%v: no series", tc.ids)
			continue
		}
		got := labelsOf(t, m)
		want := map[string]string{"container_id": "c1", "namespace": "ns", "pod": "p", "container": "app"}
		for k, v := range tc.want {
			want[k] = v
		}
		if len(got) != len(want) {
			t.Errorf("%v: labels %v, want %v", tc.ids, got, want)
		}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("%v: %s=%q, want %q", tc.ids, k, got[k], v)
			}
		}
	}
}

func TestNetworkConfigFlags(t *testing.T) {
	defer func(c, a, p []string, w time.Duration, b uint32) {
		*clusterCIDRs, *apiServers, *portClasses, *noveltyWin, *noveltyCap = c, a, p, w, b
	}(*clusterCIDRs, *apiServers, *portClasses, *noveltyWin, *noveltyCap)
	valid := func() {
		*clusterCIDRs, *apiServers, *portClasses, *noveltyWin, *noveltyCap = []string{"10.244.0.0/16"}, []string{"10.96.0.1"}, []string{"mining=3333"}, time.Minute, 1024
	}
	valid()
	if _, err := networkConfig(); err != nil {
		t.Fatalf("valid flags rejected: %v", err)
	}
	bad := []func(){
		func() { *clusterCIDRs = []string{"10.244.0.0"} },
		func() { *apiServers = []string{"api.example"} },
		func() { *portClasses = []string{"mining=ssh"} },
		func() { *portClasses = []string{"ssh=3333"} }, // 3333 stays mining too
		func() { *noveltyWin = 100 * time.Millisecond },
		func() { *noveltyCap = 0 },
	}
	for i, f := range bad {
		valid()
		f()
		if _, err := networkConfig(); err == nil {
			t.Errorf("bad flag set %d accepted", i)
		}
	}
}
