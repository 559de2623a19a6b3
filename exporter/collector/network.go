package collector

import (
	"errors"
	"fmt"
	"sync"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/rtsec/rtsec/bpf"
	"github.com/rtsec/rtsec/exporter/aggregate"
	"github.com/rtsec/rtsec/exporter/bpfprog"
	"github.com/rtsec/rtsec/exporter/container"
	"github.com/rtsec/rtsec/exporter/metricdef"
	"github.com/rtsec/rtsec/exporter/netclass"
)

// net_counts kinds, as network.bpf.c defines them.
const (
	kindConn    = 1
	kindListen  = 2
	kindRaw     = 3
	kindRuntime = 4
	kindDNS     = 5
)

// Indexes of net_stats, as network.bpf.c defines them.
const (
	statNetCountsFull       = 0
	statNoveltyBudgetsFull  = 1
	statNoveltyOverBudget   = 2
	statNetConnectsFull     = 3
	statNetListenersFull    = 4
	statDNSNamesOverBudget  = 5
	networkCountsPerKeyKind = 1 << 16 // every label is a small fixed set: no budget needed
)

var (
	directions = []string{"out", "in"}
	protocols  = []string{"tcp", "udp"}
	results    = []string{"ok", "refused", "failed"}
)

func init() {
	register("network", true, newNetworkCollector)
	validates("network", func() error { _, err := networkConfig(); return err })
}

// networkCollector exports the network signals of network.bpf.c.
type networkCollector struct {
	objs     bpf.NetworkObjects
	resolver *container.Resolver
	counts   *aggregate.Table

	connections, listens, raw, runtime, dns *seriesDesc
	listening, dnsNames, destinations       *prometheus.Desc
	overflows, insertFailures               *prometheus.Desc

	// readMu guards what readCounts keeps between scrapes: the batch
	// buffers and the aggregate values of the label ids last seen.
	readMu sync.Mutex
	batch  bpfprog.Batch[bpf.NetworkNetKey, uint64]
	values map[[6]byte]string
}

func newNetworkCollector(env Env) (Collector, error) {
	cfg, err := networkConfig()
	if err != nil {
		return nil, err
	}
	spec, err := bpf.LoadNetwork()
	if err != nil {
		return nil, err
	}
	if err := bpf.SetNetworkTables(spec, cfg); err != nil {
		return nil, err
	}
	for name, v := range map[string]uint64{"novelty_window_ns": uint64(noveltyWin.Nanoseconds()), "novelty_budget": uint64(*noveltyCap)} {
		if err := spec.Variables[name].Set(v); err != nil {
			return nil, fmt.Errorf("set %s: %w", name, err)
		}
	}
	c := &networkCollector{
		resolver:       env.Resolver,
		counts:         aggregate.NewTable(func(container.Identity) int { return networkCountsPerKeyKind }),
		connections:    newSeriesDesc(metricdef.NetworkConnections),
		listens:        newSeriesDesc(metricdef.NetworkListens),
		listening:      metricdef.NetworkListeningSockets.Desc(),
		raw:            newSeriesDesc(metricdef.NetworkRawSockets),
		runtime:        newSeriesDesc(metricdef.NetworkRuntimeSocketConnections),
		dns:            newSeriesDesc(metricdef.NetworkDNSQueries),
		dnsNames:       metricdef.NetworkDNSDistinctNames.Desc(),
		destinations:   metricdef.NetworkDistinctDestinations.Desc(),
		overflows:      metricdef.LabelOverflows.Desc(),
		insertFailures: metricdef.BPFMapInsertFailures.Desc(),
	}
	if err := env.BPF.Load(spec, &c.objs); err != nil {
		return nil, err
	}
	return c, nil
}

// readCounts reads net_counts; a key's label ids travel as the value string.
func (c *networkCollector) readCounts() (map[aggregate.Key]uint64, error) {
	c.readMu.Lock()
	defer c.readMu.Unlock()
	keys, counts, err := c.batch.Read(c.objs.NetCounts)
	if err != nil {
		return nil, err
	}
	// The label ids of this scrape's keys, their strings kept from the last.
	values := make(map[[6]byte]string, len(c.values))
	live := make(map[aggregate.Key]uint64, len(keys))
	for i, k := range keys {
		ids := [6]byte{k.Kind, k.L[0], k.L[1], k.L[2], k.L[3], k.L[4]}
		v, ok := values[ids]
		if !ok {
			if v, ok = c.values[ids]; !ok {
				v = string(ids[:])
			}
			values[ids] = v
		}
		live[aggregate.Key{CgroupID: k.CgroupId, Value: v}] += counts[i]
	}
	c.values = values
	return live, nil
}

// listName returns list[id], or false for an id the exporter does not know.
func listName(list []string, id byte) (string, bool) {
	if int(id) >= len(list) {
		return "", false
	}
	return list[id], true
}

// counter turns one summed count into its series, or nil for a key with
// an id the exporter does not know.
// netLabel is one label of a net_counts kind: the key position of its id
// and the names the id indexes.
type netLabel struct {
	pos   int
	names []string
}

// netLabels are the labels after the identity of each kind, in the
// metric's label order.
var netLabels = map[byte][]netLabel{
	kindConn:    {{0, directions}, {1, netclass.Scopes}, {2, netclass.PortClasses}, {3, protocols}, {4, results}},
	kindListen:  {{2, netclass.PortClasses}, {1, netclass.Scopes}},
	kindRaw:     {{0, netclass.RawSocketTypes}},
	kindRuntime: {{0, netclass.RuntimeSockets}},
	kindDNS:     {},
}

// counter turns one summed count into its series, or nil for a key with
// an id the exporter does not know. values is a scratch slice, returned
// for the next call (the metric copies the label values).
func (c *networkCollector) counter(s aggregate.Series, values []string) (prometheus.Metric, []string) {
	id, ids := s.Identity, s.Value
	if len(ids) != 6 {
		return nil, values
	}
	var desc *seriesDesc
	switch ids[0] {
	case kindConn:
		desc = c.connections
	case kindListen:
		desc = c.listens
	case kindRaw:
		desc = c.raw
	case kindRuntime:
		desc = c.runtime
	case kindDNS:
		desc = c.dns
	default:
		return nil, values
	}
	values = append(values[:0], id.ID, id.Namespace, id.Pod, id.Container)
	for _, l := range netLabels[ids[0]] {
		n, ok := listName(l.names, ids[1+l.pos])
		if !ok {
			return nil, values
		}
		values = append(values, n)
	}
	return desc.metric(float64(s.Count), values...), values
}

func (c *networkCollector) Update(ch chan<- prometheus.Metric) error {
	live, err := c.readCounts()
	if err != nil {
		return err
	}
	series, _ := c.counts.Sum(live, c.resolver.Resolve)
	var values []string
	for _, s := range series {
		var m prometheus.Metric
		if m, values = c.counter(s, values); m != nil {
			ch <- m
		}
	}
	var errs []error
	errs = append(errs, c.updateListening(ch), c.updateNovelty(ch))
	stats, err := bpfprog.SumsPerCPU(c.objs.NetStats)
	if err != nil {
		return errors.Join(append(errs, err)...)
	}
	for metric, index := range map[string]uint32{
		metricdef.NetworkDistinctDestinations.Name: statNoveltyOverBudget, metricdef.NetworkDNSDistinctNames.Name: statDNSNamesOverBudget,
	} {
		ch <- prometheus.MustNewConstMetric(c.overflows, prometheus.CounterValue, float64(statAt(stats, index)), metric)
	}
	for mapName, index := range map[string]uint32{
		"net_counts": statNetCountsFull, "net_novelty_budgets": statNoveltyBudgetsFull,
		"net_connects": statNetConnectsFull, "net_listeners": statNetListenersFull,
	} {
		ch <- prometheus.MustNewConstMetric(c.insertFailures, prometheus.CounterValue, float64(statAt(stats, index)), mapName)
	}
	return errors.Join(errs...)
}

// updateListening exports the listening sockets per identity.
func (c *networkCollector) updateListening(ch chan<- prometheus.Metric) error {
	listeners, err := bpfprog.Dump[uint64, uint64](c.objs.NetListeners)
	if err != nil {
		return err
	}
	perIdentity := map[container.Identity]int{}
	for _, cgroupID := range listeners {
		perIdentity[c.resolver.Resolve(cgroupID)]++
	}
	for id, n := range perIdentity {
		ch <- prometheus.MustNewConstMetric(c.listening, prometheus.GaugeValue, float64(n), id.ID, id.Namespace, id.Pod, id.Container)
	}
	return nil
}
