package collector

import (
	"fmt"
	"net/netip"
	"time"

	"github.com/alecthomas/kingpin/v2"

	"github.com/rtsec/rtsec/exporter/netclass"
)

var (
	clusterCIDRs = kingpin.Flag("collector.network.cluster-cidr", "Pod network CIDR: remote addresses in it have scope cluster_pod (repeatable).").Strings()
	serviceCIDRs = kingpin.Flag("collector.network.service-cidr", "Service CIDR: remote addresses in it have scope cluster_service (repeatable).").Strings()
	nodeCIDRs    = kingpin.Flag("collector.network.node-cidr", "Node network CIDR: remote addresses in it have scope node (repeatable).").Strings()
	apiServers   = kingpin.Flag("collector.network.api-server", "Kubernetes API server address: connections to its k8s_api ports (443, 6443) have port_class k8s_api (repeatable).").Strings()
	portClasses  = kingpin.Flag("collector.network.ports", "Replace the ports of a port class, e.g. mining=3333,4444 (repeatable; classes: ssh, dns, http, https, k8s_api, kubelet, etcd, docker_api, database, smtp, irc, tor, mining).").Strings()
	noveltyWin   = kingpin.Flag("collector.network.novelty-window", "Window of the distinct destinations and DNS names gauges.").Default("1m").Duration()
	noveltyCap   = kingpin.Flag("collector.network.novelty-budget", "New distinct destinations (and DNS names) recorded per container and window; the gauges saturate there (1-65536).").Default("1024").Uint32()
)

// networkConfig validates the network flags into a classification config.
func networkConfig() (netclass.Config, error) {
	var c netclass.Config
	for _, f := range []struct {
		name string
		in   []string
		out  *[]netip.Prefix
	}{
		{"collector.network.cluster-cidr", *clusterCIDRs, &c.ClusterCIDRs},
		{"collector.network.service-cidr", *serviceCIDRs, &c.ServiceCIDRs},
		{"collector.network.node-cidr", *nodeCIDRs, &c.NodeCIDRs},
	} {
		for _, s := range f.in {
			p, err := netip.ParsePrefix(s)
			if err != nil {
				return c, fmt.Errorf("--%s=%s: %w", f.name, s, err)
			}
			*f.out = append(*f.out, p)
		}
	}
	for _, s := range *apiServers {
		a, err := netip.ParseAddr(s)
		if err != nil {
			return c, fmt.Errorf("--collector.network.api-server=%s: %w", s, err)
		}
		c.APIServers = append(c.APIServers, a.Unmap())
	}
	c.Ports = map[string][]uint16{}
	for _, s := range *portClasses {
		class, ports, err := netclass.ParsePorts(s)
		if err != nil {
			return c, fmt.Errorf("--collector.network.ports: %w", err)
		}
		c.Ports[class] = ports
	}
	if _, err := c.PortTable(); err != nil {
		return c, fmt.Errorf("--collector.network.ports: %w", err)
	}
	if *noveltyWin < time.Second {
		return c, fmt.Errorf("--collector.network.novelty-window=%s: must be at least 1s", *noveltyWin)
	}
	if *noveltyCap < 1 || *noveltyCap > 65536 {
		return c, fmt.Errorf("--collector.network.novelty-budget=%d: must be between 1 and 65536", *noveltyCap)
	}
	return c, nil
}
