package integration

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/rtsec/rtsec/test/exporter"
	"github.com/rtsec/rtsec/test/netns"
	"github.com/rtsec/rtsec/test/nettool"
	"github.com/rtsec/rtsec/test/runc"
)

const (
	connections  = "rtsec_network_connections_total"
	destinations = "rtsec_network_distinct_destinations"
)

// Addresses the remote namespace holds, each standing for a kind of host.
var (
	metadataAddr = netip.MustParseAddr("169.254.169.254")
	publicAddr   = netip.MustParseAddr("203.0.113.10")
	serviceAddr  = netip.MustParseAddr("10.77.1.1")
	// unroutedAddr has no route anywhere: its connects fail before a SYN.
	unroutedAddr = "198.51.100.1"
	// blackholeAddr is routed to a neighbour that does not exist.
	blackholeAddr = netip.MustParseAddr("192.0.2.99")
	remoteAddr    = netns.Link + ".1"
)

// networkContainer runs a container with nettool, joined to a remote
// namespace that serves TCP on the ports listed, on all its addresses.
func networkContainer(t *testing.T, ports ...string) *runc.Container {
	t.Helper()
	c := runc.Start(t, runc.Options{Files: map[string][]byte{"bin/nettool": nettool.Build(t)}})
	remote := netns.Attach(t, c.Pid(), metadataAddr, publicAddr, serviceAddr)
	tool := nettool.Install(t, t.TempDir())
	args := []string{tool}
	for _, p := range ports {
		args = append(args, "listen=0.0.0.0:"+p)
	}
	remote.Start(t, len(ports), append(args, "hold=2m")...)
	return c
}

// wantCounts checks the container's series of a metric against want,
// keyed by the labels named in keys, exactly: no missing, no extra series.
func wantCounts(t *testing.T, m exporter.Metrics, metric, id string, keys []string, want map[string]float64) {
	t.Helper()
	got := map[string]float64{}
	for _, s := range m.Series(metric, map[string]string{"container_id": id}) {
		l := exporter.Labels(s)
		var parts []string
		for _, k := range keys {
			parts = append(parts, l[k])
		}
		v := s.GetCounter().GetValue() + s.GetGauge().GetValue()
		got[strings.Join(parts, " ")] += v
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s{%s=%s} = %v, want %v", metric, strings.Join(keys, ","), k, got[k], v)
		}
	}
	for k, v := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("unexpected %s{%s=%s} = %v", metric, strings.Join(keys, ","), k, v)
		}
	}
}

func TestNetworkConnectionsClassified(t *testing.T) {
	t.Parallel()
	e := exporter.Start(t, "--collector.network.api-server="+remoteAddr, "--collector.network.service-cidr=10.77.1.0/24")
	c := networkContainer(t, "80", "5432", "3333", "6443", "22022")
	netns.Unanswered(t, c.Pid(), blackholeAddr)
	c.MustExec(t, "nettool",
		"listen=127.0.0.1:18080",
		"listen=[::1]:18081",
		"connect=[::1]:18081",
		"connect=127.0.0.1:18080*3", // loopback ok, blocking
		"dial=127.0.0.1:18080*2",    // loopback ok, non-blocking
		"connect=127.0.0.1:1*2",     // refused, blocking, privileged port
		"dial=127.0.0.1:3333",       // refused, non-blocking, mining port
		"connect="+metadataAddr.String()+":80",
		"connect="+remoteAddr+":5432",
		"connect="+remoteAddr+":6443", // the API server
		"dial="+publicAddr.String()+":3333",
		"connect="+serviceAddr.String()+":22022",
		"connect="+unroutedAddr+":443",        // no route: fails before a SYN
		"dial="+blackholeAddr.String()+":443", // SYN unanswered: Go gives up after 2s
		"udp="+remoteAddr+":53/example.com*3",
		"udp="+remoteAddr+":53/Example.org",
		"udpconn="+remoteAddr+":53/foo.example",
	)
	m := e.Scrape(t)
	id := c.Name()
	wantCounts(t, m, connections, id, []string{"direction", "scope", "port_class", "protocol", "result"}, map[string]float64{
		"out loopback other tcp ok":                 6,
		"in loopback other tcp ok":                  6,
		"out loopback other_privileged tcp refused": 2,
		"out loopback mining tcp refused":           1,
		"out metadata http tcp ok":                  1,
		"out private database tcp ok":               1,
		"out private k8s_api tcp ok":                1,
		"out public mining tcp ok":                  1,
		"out cluster_service other tcp ok":          1,
		"out public https tcp failed":               2,
		"out private dns udp ok":                    5,
	})
	wantCounts(t, m, "rtsec_network_listens_total", id, []string{"port_class", "scope"}, map[string]float64{"other loopback": 2})
	wantCounts(t, m, "rtsec_network_dns_queries_total", id, nil, map[string]float64{"": 5})
	// example.com, example.org (names are case-insensitive), foo.example.
	wantCounts(t, m, "rtsec_network_dns_distinct_names", id, nil, map[string]float64{"": 3})
	wantCounts(t, m, destinations, id, []string{"scope"}, map[string]float64{
		"loopback": 4, "metadata": 1, "private": 3, "public": 3, "cluster_service": 1,
	})
	if n := len(m.Series("rtsec_network_listening_sockets", map[string]string{"container_id": id})); n != 0 {
		t.Errorf("the container's listener is closed, yet it has %d listening_sockets series", n)
	}
}

func TestNetworkListenersRawAndRuntimeSockets(t *testing.T) {
	t.Parallel()
	e := exporter.Start(t)
	c := runc.Start(t, runc.Options{Files: map[string][]byte{"bin/nettool": nettool.Build(t)}})
	id := c.Name()
	c.MustExec(t, "sh", "-c", "nettool listen=127.0.0.1:2222 listen=0.0.0.0:3306 listen=[::]:8080 hold=30s >/tmp/hold.out 2>&1 &")
	wait(t, func() bool {
		v, _ := e.Scrape(t).Value(t, "rtsec_network_listening_sockets", map[string]string{"container_id": id})
		return v == 3
	})
	c.MustExec(t, "mkdir", "-p", "/run/containerd")
	c.MustExec(t, "nettool", "packet*2", "raw",
		"unix-listen=/run/docker.sock", "unix-connect=/run/docker.sock*2",
		"unix-listen=/run/containerd/containerd.sock", "unix-connect=/run/containerd/containerd.sock",
		"unix-listen=/tmp/app.sock", "unix-connect=/tmp/app.sock*3")
	// A symlink with another name still reaches docker.sock: counted by the bound path.
	c.MustExec(t, "sh", "-c", "ln -s /run/docker.sock /tmp/innocent && nettool unix-listen=/run/docker.sock unix-connect=/tmp/innocent")
	m := e.Scrape(t)
	wantCounts(t, m, "rtsec_network_listens_total", id, []string{"port_class", "scope"}, map[string]float64{
		"ssh loopback": 1, "database any": 1, "http any": 1,
	})
	wantCounts(t, m, "rtsec_network_raw_sockets_total", id, []string{"type"}, map[string]float64{"packet": 2, "raw": 1})
	wantCounts(t, m, "rtsec_network_runtime_socket_connections_total", id, []string{"socket"}, map[string]float64{"docker": 3, "containerd": 1})
	c.MustExec(t, "sh", "-c", "kill $(pidof nettool)")
	wait(t, func() bool {
		return len(e.Scrape(t).Series("rtsec_network_listening_sockets", map[string]string{"container_id": id})) == 0
	})
}

// wait polls cond for up to 5 s.
func wait(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 5s")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// A benign workload: a web service on loopback called by a client in the
// same container, DNS lookups by busybox's resolver to a resolver in the
// remote namespace, a database client. Nothing an alert looks for appears.
func TestNetworkBenignWorkload(t *testing.T) {
	t.Parallel()
	e := exporter.Start(t)
	c := runc.Start(t, runc.Options{Files: map[string][]byte{
		"bin/nettool":    nettool.Build(t),
		"www/index.html": []byte("hello\n"),
	}})
	remote := netns.Attach(t, c.Pid())
	remote.Start(t, 2, nettool.Install(t, t.TempDir()), "listen=0.0.0.0:5432", "dns-serve=0.0.0.0:53", "hold=2m")
	c.MustExec(t, "httpd", "-p", "127.0.0.1:8080", "-h", "/www")
	for range 5 {
		if out := c.MustExec(t, "wget", "-q", "-O", "-", "http://127.0.0.1:8080/index.html"); out != "hello\n" {
			t.Fatalf("wget got %q", out)
		}
	}
	c.MustExec(t, "nslookup", "db.example.test", remoteAddr)
	c.MustExec(t, "nettool", "connect="+remoteAddr+":5432*4")

	m := e.Scrape(t)
	id := c.Name()
	// The resolver's retries and AAAA queries vary: at least one exchange.
	dns := m.Sum(connections, map[string]string{"container_id": id, "port_class": "dns", "scope": "private", "protocol": "udp"})
	if dns < 1 {
		t.Errorf("nslookup made no DNS connection")
	}
	wantCounts(t, m, "rtsec_network_listens_total", id, []string{"port_class", "scope"}, map[string]float64{"http loopback": 1})
	wantCounts(t, m, connections, id, []string{"direction", "scope", "port_class", "protocol", "result"}, map[string]float64{
		"out loopback http tcp ok":    5,
		"in loopback http tcp ok":     5,
		"out private database tcp ok": 4,
		"out private dns udp ok":      dns,
	})
	if q := m.Sum("rtsec_network_dns_queries_total", map[string]string{"container_id": id}); q < 1 {
		t.Errorf("nslookup made %v DNS queries, want at least 1", q)
	}
	for _, metric := range []string{"rtsec_network_raw_sockets_total", "rtsec_network_runtime_socket_connections_total"} {
		if s := m.Series(metric, map[string]string{"container_id": id}); len(s) != 0 {
			t.Errorf("benign workload has %s series: %v", metric, s)
		}
	}
}

func TestNetworkNoveltyWindowAndBudget(t *testing.T) {
	t.Parallel()
	e := exporter.Start(t, "--collector.network.novelty-window=2s", "--collector.network.novelty-budget=5")
	c := runc.Start(t, runc.Options{Files: map[string][]byte{"bin/nettool": nettool.Build(t)}})
	id := c.Name()
	overflow := map[string]string{"metric": destinations}
	before := e.Scrape(t).Sum("rtsec_label_overflows_total", overflow)
	var args []string
	for p := 1; p <= 8; p++ {
		args = append(args, fmt.Sprintf("connect=127.0.0.1:%d", p))
	}
	c.MustExec(t, append([]string{"nettool"}, args...)...)
	m := e.Scrape(t)
	// 8 distinct destinations, 5 admitted: the gauge saturates at the budget.
	wantCounts(t, m, destinations, id, []string{"scope"}, map[string]float64{"loopback": 5})
	wantCounts(t, m, connections, id, []string{"port_class", "result"}, map[string]float64{"other_privileged refused": 8})
	// Other tests' containers may overflow this exporter's small budget too.
	if got := m.Sum("rtsec_label_overflows_total", overflow) - before; got < 3 {
		t.Errorf("rtsec_label_overflows_total{metric=%q} grew by %v, want at least 3", destinations, got)
	}
	wait(t, func() bool { return len(e.Scrape(t).Series(destinations, map[string]string{"container_id": id})) == 0 })
	// A new window has a new budget.
	c.MustExec(t, "nettool", "connect=127.0.0.1:9", "connect=127.0.0.1:10")
	wantCounts(t, e.Scrape(t), destinations, id, []string{"scope"}, map[string]float64{"loopback": 2})
}

// Once a container has been gone longer than the grace, its network series
// leave /metrics: the collector forgot its kernel entries.
func TestNetworkGoneContainerReclaimed(t *testing.T) {
	t.Parallel()
	e := exporter.Start(t, "--container.gone-grace=1s")
	c := runc.Start(t, runc.Options{Files: map[string][]byte{"bin/nettool": nettool.Build(t)}})
	c.MustExec(t, "nettool", "connect=127.0.0.1:1", "packet")
	mine := map[string]string{"container_id": c.Name()}
	for _, metric := range []string{connections, destinations, "rtsec_network_raw_sockets_total"} {
		if len(e.Scrape(t).Series(metric, mine)) == 0 {
			t.Fatalf("no %s series for the container", metric)
		}
	}
	c.Delete(t)
	// The exporter checks every 10 s: one round notices the container gone,
	// the next forgets it; give it three.
	waitFor(t, e, 35*time.Second, "gone container's network series removed", func(m exporter.Metrics) bool {
		return len(m.Series(connections, mine))+len(m.Series(destinations, mine))+len(m.Series("rtsec_network_raw_sockets_total", mine)) == 0
	})
}

// An addressed UDP datagram is an outbound connection the first time its
// socket sends to the destination, as a connect is: each property below
// has a scope of its own, so a wrong count names it.
func TestNetworkUDPFlowsCountedPerSocketAndDestination(t *testing.T) {
	t.Parallel()
	e := exporter.Start(t)
	c := networkContainer(t)
	flow := func(addrs ...string) string { return "udpflow=" + strings.Join(addrs, ",") }
	var flood []string
	for range 50 {
		flood = append(flood, metadataAddr.String()+":9100")
	}
	pub := func(port int) string { return fmt.Sprintf("%s:%d", publicAddr, port) }
	dns := remoteAddr + ":53"
	c.MustExec(t, "nettool",
		flow(flood...), // 50 datagrams to one destination: one connection
		flow(pub(9100), pub(9101), pub(9100), pub(9102), pub(9101)), // each new destination of one socket
		flow(remoteAddr+":9100")+"*3",                               // three sockets, likely on one reused descriptor
		flow(dns, dns, dns, dns),                                    // every DNS query
		flow("[::1]:9100", "[::1]:9100", "[::1]:9101"),              // IPv6: two destinations
	)
	m := e.Scrape(t)
	id := c.Name()
	wantCounts(t, m, connections, id, []string{"direction", "scope", "port_class", "protocol", "result"}, map[string]float64{
		"out metadata other udp ok": 1,
		"out public other udp ok":   3,
		"out private other udp ok":  3,
		"out private dns udp ok":    4,
		"out loopback other udp ok": 2,
	})
	wantCounts(t, m, "rtsec_network_dns_queries_total", id, nil, map[string]float64{"": 4})
	wantCounts(t, m, "rtsec_network_dns_distinct_names", id, nil, map[string]float64{"": 1})
	wantCounts(t, m, destinations, id, []string{"scope"}, map[string]float64{"metadata": 1, "public": 3, "private": 2, "loopback": 2})
}
