package collector

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/rtsec/rtsec/bpf"
	"github.com/rtsec/rtsec/bpf/enums"
	"github.com/rtsec/rtsec/exporter/aggregate"
	"github.com/rtsec/rtsec/exporter/bpfprog"
	"github.com/rtsec/rtsec/exporter/container"
	"github.com/rtsec/rtsec/exporter/metricdef"
)

// networkCountsPerKeyKind is no budget: every label is a small fixed set.
const networkCountsPerKeyKind = 1 << 16

func init() {
	register("network", true, newNetworkCollector)
	validates("network", func() error { _, err := networkConfig(); return err })
}

// networkCollector exports the network signals of network.bpf.c.
type networkCollector struct {
	maps     networkMaps
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
	// live are readCounts' maps.
	live liveMaps
	// keys lists the container keys for CgroupIDs.
	keys cgroupKeys[bpf.NetworkNetKey]
}

// networkMaps are the maps of the network object that the collector reads
// and deletes from.
type networkMaps struct {
	counts, stats, listeners, novelty, noveltyBudgets bpfprog.Map
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
	if err := cfg.SetTables(spec); err != nil {
		return nil, err
	}
	// The UDP flow cache's hash is keyed so that a process cannot pick a
	// destination whose tag is one it already sent to, and go uncounted.
	var key [8]byte
	rand.Read(key[:]) // never fails (crypto/rand)
	for name, v := range map[string]uint64{"novelty_window_ns": uint64(noveltyWin.Nanoseconds()), "novelty_budget": uint64(*noveltyCap),
		"udp_flow_key": binary.LittleEndian.Uint64(key[:])} {
		if err := spec.Variables[name].Set(v); err != nil {
			return nil, fmt.Errorf("set %s: %w", name, err)
		}
	}
	var objs bpf.NetworkObjects
	if err := env.BPF.Load(spec, &objs); err != nil {
		return nil, err
	}
	maps := networkMaps{counts: objs.NetCounts, stats: objs.NetStats, listeners: objs.NetListeners,
		novelty: objs.NetNovelty, noveltyBudgets: objs.NetNoveltyBudgets}
	return newNetwork(maps, env.Resolver), nil
}

// newNetwork returns the network collector of a loaded network object.
func newNetwork(maps networkMaps, resolver *container.Resolver) *networkCollector {
	return &networkCollector{
		maps:           maps,
		resolver:       resolver,
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
}

// readCounts reads net_counts; a key's label ids travel as the value string.
func (c *networkCollector) readCounts() (map[aggregate.Key]uint64, error) {
	c.readMu.Lock()
	defer c.readMu.Unlock()
	keys, counts, err := c.batch.Read(c.maps.counts)
	if err != nil {
		return nil, err
	}
	// The label ids of this scrape's keys, their strings kept from the last.
	values := make(map[[6]byte]string, len(c.values))
	live := c.live.get()
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

// netLabel is one label of a net_counts kind: the key position of its id
// and the names the id indexes.
type netLabel struct {
	pos   int
	names []string
}

// netLabels are the labels after the identity of each kind, in the
// metric's label order.
var netLabels = map[byte][]netLabel{
	enums.KindConn:    {{0, enums.DirNames}, {1, enums.ScopeNames}, {2, enums.PortClassNames}, {3, enums.ProtocolNames}, {4, enums.ResultNames}},
	enums.KindListen:  {{2, enums.PortClassNames}, {1, enums.ScopeNames}},
	enums.KindRaw:     {{0, enums.RawSocketNames}},
	enums.KindRuntime: {{0, enums.RuntimeSocketNames}},
	enums.KindDNS:     {},
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
	case enums.KindConn:
		desc = c.connections
	case enums.KindListen:
		desc = c.listens
	case enums.KindRaw:
		desc = c.raw
	case enums.KindRuntime:
		desc = c.runtime
	case enums.KindDNS:
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
	sums, _ := c.counts.Sum(live, c.resolver.Resolve)
	c.live.put(live)
	var values []string
	for _, s := range sums.Series {
		var m prometheus.Metric
		if m, values = c.counter(s, values); m != nil {
			ch <- m
		}
	}
	c.counts.Release(sums)
	var errs []error
	errs = append(errs, c.updateListening(ch), c.updateNovelty(ch))
	stats, err := bpfprog.SumsPerCPU(c.maps.stats)
	if err != nil {
		return errors.Join(append(errs, err)...)
	}
	for metric, index := range map[string]uint32{
		metricdef.NetworkDistinctDestinations.Name: enums.StatNoveltyOverBudget, metricdef.NetworkDNSDistinctNames.Name: enums.StatDNSNamesOverBudget,
	} {
		ch <- prometheus.MustNewConstMetric(c.overflows, prometheus.CounterValue, float64(statAt(stats, index)), metric)
	}
	for mapName, index := range map[string]uint32{
		"net_counts": enums.StatCountsFull, "net_novelty_budgets": enums.StatNoveltyBudgetFull,
		"net_connects": enums.StatConnectsFull, "net_listeners": enums.StatListenersFull,
	} {
		ch <- prometheus.MustNewConstMetric(c.insertFailures, prometheus.CounterValue, float64(statAt(stats, index)), mapName)
	}
	return errors.Join(errs...)
}

// updateListening exports the listening sockets per identity.
func (c *networkCollector) updateListening(ch chan<- prometheus.Metric) error {
	listeners, err := bpfprog.Dump[uint64, uint64](c.maps.listeners)
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
