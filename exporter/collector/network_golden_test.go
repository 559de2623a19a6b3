package collector

import (
	"testing"
	"time"

	"github.com/rtsec/rtsec/bpf"
	"github.com/rtsec/rtsec/bpf/enums"
	"github.com/rtsec/rtsec/exporter/bpfprog/bpfprogtest"
	"github.com/rtsec/rtsec/exporter/metricdef"
)

// networkKernel is the network object's map contents a test starts from.
type networkKernel struct {
	counts    map[bpf.NetworkNetKey]uint64
	listeners map[uint64]uint64 // socket → cgroup id
	novelty   map[bpf.NetworkNoveltyKey]uint64
	budgets   map[bpf.NetworkNoveltyBudgetKey]bpf.NetworkNoveltyBudget
	stats     map[uint32]uint64
}

func newTestNetwork(n *node, k networkKernel) (*networkCollector, networkMaps) {
	maps := networkMaps{
		counts:         bpfprogtest.Hash(65536, k.counts),
		stats:          bpfprogtest.PerCPUArray(8, k.stats),
		listeners:      bpfprogtest.Hash(16384, k.listeners),
		novelty:        bpfprogtest.Hash(65536, k.novelty),
		noveltyBudgets: bpfprogtest.Hash(16384, k.budgets),
	}
	return newNetwork(maps, n.resolver), maps
}

// netKey is a net_counts key of kind with its label ids.
func netKey(cgroup uint64, kind uint8, labels ...uint8) bpf.NetworkNetKey {
	k := bpf.NetworkNetKey{CgroupId: cgroup, Kind: kind}
	copy(k.L[:], labels)
	return k
}

var networkMetrics = []string{
	metricdef.NetworkConnections.Name, metricdef.NetworkListens.Name, metricdef.NetworkListeningSockets.Name,
	metricdef.NetworkRawSockets.Name, metricdef.NetworkRuntimeSocketConnections.Name, metricdef.NetworkDNSQueries.Name,
	metricdef.NetworkDistinctDestinations.Name, metricdef.NetworkDNSDistinctNames.Name,
	metricdef.LabelOverflows.Name, metricdef.BPFMapInsertFailures.Name,
}

// Every kind of net_counts with its labels, the listening sockets per
// identity, the distinct destinations and DNS names within the window
// (older ones expired from the kernel), the budgets' overflows and the
// full maps.
func TestNetworkGolden(t *testing.T) {
	n := newNode(t, time.Hour, nil, nil)
	web, job, ssh, cron := n.id(t, cgWeb), n.id(t, cgJob), n.id(t, cgSSH), n.id(t, cgCron)
	now, err := monotonicNow()
	if err != nil {
		t.Fatal(err)
	}
	old := now - 2*uint64(noveltyWin.Nanoseconds())
	dest := func(cgroup uint64, scope uint8, addr byte) bpf.NetworkNoveltyKey {
		k := bpf.NetworkNoveltyKey{CgroupId: cgroup, Kind: enums.NovelDest, Scope: scope, Port: 443}
		k.Addr.B[15] = addr
		return k
	}
	name := func(cgroup uint64, hash byte) bpf.NetworkNoveltyKey {
		k := bpf.NetworkNoveltyKey{CgroupId: cgroup, Kind: enums.NovelDNSName}
		k.Addr.B[0] = hash
		return k
	}
	expired := dest(web, enums.ScopePublic, 9)
	c, maps := newTestNetwork(n, networkKernel{
		counts: map[bpf.NetworkNetKey]uint64{
			netKey(web, enums.KindConn, enums.DirOut, enums.ScopePublic, enums.PortClassHTTPS, 0, enums.ResultOk):       5,
			netKey(web, enums.KindConn, enums.DirOut, enums.ScopeMetadata, enums.PortClassHTTP, 0, enums.ResultRefused): 1,
			netKey(web, enums.KindConn, enums.DirIn, enums.ScopePrivate, enums.PortClassHTTP, 0, enums.ResultOk):        7,
			netKey(web, enums.KindListen, 0, enums.ScopeAny, enums.PortClassHTTP):                                       1,
			netKey(web, enums.KindDNS): 4,
			netKey(job, enums.KindConn, enums.DirOut, enums.ScopePublic, enums.PortClassMining, 0, enums.ResultOk): 2,
			netKey(job, enums.KindRaw, 1):                                                                                      1,
			netKey(job, enums.KindRuntime, enums.RuntimeSocketDocker):                                                          3,
			netKey(ssh, enums.KindListen, 0, enums.ScopeAny, enums.PortClassSSH):                                               1,
			netKey(ssh, enums.KindConn, enums.DirIn, enums.ScopePublic, enums.PortClassSSH, 0, enums.ResultOk):                 2,
			netKey(cron, enums.KindConn, enums.DirIn, enums.ScopePublic, enums.PortClassSSH, 0, enums.ResultOk):                1,
			netKey(hostRootID, enums.KindConn, enums.DirOut, enums.ScopeLoopback, enums.PortClassOther, 1, enums.ResultFailed): 1,
			// Unknown to the exporter: no series.
			netKey(web, 42):                9,
			netKey(web, enums.KindConn, 2): 9,
			netKey(web, enums.KindRaw, uint8(len(enums.RawSocketNames))): 9,
		},
		listeners: map[uint64]uint64{1: web, 2: web, 3: ssh, 4: cron, 5: job},
		novelty: map[bpf.NetworkNoveltyKey]uint64{
			dest(web, enums.ScopePublic, 1): now, dest(web, enums.ScopePublic, 2): now, dest(web, enums.ScopePrivate, 3): now,
			expired: old, name(web, 1): now, name(web, 2): old, name(job, 1): now,
			dest(ssh, enums.ScopePublic, 1): now, dest(cron, enums.ScopePublic, 2): now,
		},
		stats: map[uint32]uint64{
			enums.StatNoveltyOverBudget: 2, enums.StatDNSNamesOverBudget: 1,
			enums.StatCountsFull: 3, enums.StatNoveltyBudgetFull: 4, enums.StatConnectsFull: 5, enums.StatListenersFull: 6,
		},
	})
	assertGolden(t, &scrape{c: c}, "network", networkMetrics...)
	novelty := maps.novelty.(*bpfprogtest.Map)
	if novelty.Has(expired) || novelty.Has(name(web, 2)) || novelty.Len() != 7 {
		t.Errorf("net_novelty holds %d entries, want the 7 within the window (those past it deleted)", novelty.Len())
	}
}

// A gone container's network state is deleted from every map; the host
// actor class keeps the counts of its gone cgroup.
func TestNetworkForgetGolden(t *testing.T) {
	n := newNode(t, 0, nil, nil)
	job, ssh, cron := n.id(t, cgJob), n.id(t, cgSSH), n.id(t, cgCron)
	conn := func(cgroup uint64) bpf.NetworkNetKey {
		return netKey(cgroup, enums.KindConn, enums.DirIn, enums.ScopePublic, enums.PortClassSSH, 0, enums.ResultOk)
	}
	now, err := monotonicNow()
	if err != nil {
		t.Fatal(err)
	}
	c, maps := newTestNetwork(n, networkKernel{
		counts:    map[bpf.NetworkNetKey]uint64{conn(job): 1, conn(ssh): 2, conn(cron): 3},
		listeners: map[uint64]uint64{1: job, 2: ssh},
		novelty:   map[bpf.NetworkNoveltyKey]uint64{{CgroupId: job}: now, {CgroupId: ssh}: now},
		budgets:   map[bpf.NetworkNoveltyBudgetKey]bpf.NetworkNoveltyBudget{{CgroupId: job}: {}, {CgroupId: ssh}: {}},
	})
	s := &scrape{c: c}
	assertGolden(t, s, "network_forget_before", metricdef.NetworkConnections.Name)
	if err := c.Forget(map[uint64]bool{job: true, cron: true}); err != nil {
		t.Fatal(err)
	}
	for name, m := range map[string]any{"net_counts": maps.counts, "net_listeners": maps.listeners, "net_novelty": maps.novelty, "net_novelty_budgets": maps.noveltyBudgets} {
		if n := m.(*bpfprogtest.Map).Len(); n != 1 {
			t.Errorf("%s holds %d entries after Forget, want the one of the cgroup alive", name, n)
		}
	}
	assertGolden(t, s, "network_forget_after", metricdef.NetworkConnections.Name)
}
