package collector

import (
	"errors"
	"fmt"

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
	objs     bpf.NetworkObjects
	resolver *container.Resolver
	counts   *aggregate.Table

	connections, listens, listening, raw, runtime, dns, dnsNames, destinations *prometheus.Desc
	overflows, insertFailures                                                  *prometheus.Desc
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
	for name, v := range map[string]uint64{"novelty_window_ns": uint64(noveltyWin.Nanoseconds()), "novelty_budget": uint64(*noveltyCap)} {
		if err := spec.Variables[name].Set(v); err != nil {
			return nil, fmt.Errorf("set %s: %w", name, err)
		}
	}
	c := &networkCollector{
		resolver:       env.Resolver,
		counts:         aggregate.NewTable(func(container.Identity) int { return networkCountsPerKeyKind }),
		connections:    metricdef.NetworkConnections.Desc(),
		listens:        metricdef.NetworkListens.Desc(),
		listening:      metricdef.NetworkListeningSockets.Desc(),
		raw:            metricdef.NetworkRawSockets.Desc(),
		runtime:        metricdef.NetworkRuntimeSocketConnections.Desc(),
		dns:            metricdef.NetworkDNSQueries.Desc(),
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
	raw, err := bpfprog.Dump[bpf.NetworkNetKey, uint64](c.objs.NetCounts)
	if err != nil {
		return nil, err
	}
	live := make(map[aggregate.Key]uint64, len(raw))
	for k, v := range raw {
		ids := append([]byte{k.Kind}, k.L[:]...)
		live[aggregate.Key{CgroupID: k.CgroupId, Value: string(ids)}] += v
	}
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
func (c *networkCollector) counter(s aggregate.Series) prometheus.Metric {
	id, ids := s.Identity, []byte(s.Value)
	if len(ids) != 6 {
		return nil
	}
	values := []string{id.ID, id.Namespace, id.Pod, id.Container}
	// labels appends the names of the label ids at the given key positions.
	labels := func(lists map[int][]string, order ...int) bool {
		for _, pos := range order {
			n, ok := listName(lists[pos], ids[1+pos])
			if !ok {
				return false
			}
			values = append(values, n)
		}
		return true
	}
	var desc *prometheus.Desc
	ok := true
	switch ids[0] {
	case enums.KindConn:
		desc = c.connections
		ok = labels(map[int][]string{0: enums.DirNames, 1: enums.ScopeNames, 2: enums.PortClassNames, 3: enums.ProtocolNames, 4: enums.ResultNames}, 0, 1, 2, 3, 4)
	case enums.KindListen:
		desc = c.listens
		ok = labels(map[int][]string{1: enums.ScopeNames, 2: enums.PortClassNames}, 2, 1)
	case enums.KindRaw:
		desc = c.raw
		ok = labels(map[int][]string{0: enums.RawSocketNames}, 0)
	case enums.KindRuntime:
		desc = c.runtime
		ok = labels(map[int][]string{0: enums.RuntimeSocketNames}, 0)
	case enums.KindDNS:
		desc = c.dns
	default:
		return nil
	}
	if !ok {
		return nil
	}
	return prometheus.MustNewConstMetric(desc, prometheus.CounterValue, float64(s.Count), values...)
}

func (c *networkCollector) Update(ch chan<- prometheus.Metric) error {
	live, err := c.readCounts()
	if err != nil {
		return err
	}
	series, _ := c.counts.Sum(live, c.resolver.Resolve)
	for _, s := range series {
		if m := c.counter(s); m != nil {
			ch <- m
		}
	}
	var errs []error
	errs = append(errs, c.updateListening(ch), c.updateNovelty(ch))
	for metric, index := range map[string]uint32{
		metricdef.NetworkDistinctDestinations.Name: enums.StatNoveltyOverBudget, metricdef.NetworkDNSDistinctNames.Name: enums.StatDNSNamesOverBudget,
	} {
		n, err := bpfprog.SumPerCPU(c.objs.NetStats, index)
		errs = append(errs, err)
		ch <- prometheus.MustNewConstMetric(c.overflows, prometheus.CounterValue, float64(n), metric)
	}
	for mapName, index := range map[string]uint32{
		"net_counts": enums.StatCountsFull, "net_novelty_budgets": enums.StatNoveltyBudgetFull,
		"net_connects": enums.StatConnectsFull, "net_listeners": enums.StatListenersFull,
	} {
		n, err := bpfprog.SumPerCPU(c.objs.NetStats, index)
		errs = append(errs, err)
		ch <- prometheus.MustNewConstMetric(c.insertFailures, prometheus.CounterValue, float64(n), mapName)
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
