// Package netclass holds the bounded label sets of rtsec's network signals
// (address scopes, port classes, runtime sockets) and builds the tables the
// kernel classifies with: address prefixes to scopes and ports to classes.
package netclass

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/cilium/ebpf"

	"github.com/rtsec/rtsec/bpf"
	"github.com/rtsec/rtsec/bpf/enums"
)

// Scopes are the values of the scope label, indexed by the kernel's id
// (enum scope of bpf/src/headers/netclass.h). "any" is the unspecified
// address a listener binds to (0.0.0.0, ::).
var Scopes = enums.ScopeNames

// PortClasses are the values of the port_class label, indexed by the
// kernel's id (enum port_class of bpf/src/headers/netclass.h):
// other_privileged is any unlisted port below 1024.
var PortClasses = enums.PortClassNames

// DefaultPorts is the port table, by class of PortClasses but other and
// other_privileged; k8s_api ports count as such only toward a configured
// API server address, else by their other class or range.
var DefaultPorts = map[string][]uint16{
	"ssh":        {22, 2222},
	"dns":        {53, 853, 5353},
	"http":       {80, 8000, 8008, 8080, 8888},
	"https":      {443, 8443},
	"k8s_api":    {443, 6443},
	"kubelet":    {10250, 10255},
	"etcd":       {2379, 2380},
	"docker_api": {2375, 2376},
	"database":   {1433, 1521, 3306, 5432, 5984, 6379, 9042, 9200, 11211, 27017},
	"smtp":       {25, 465, 587},
	"irc":        {194, 6660, 6661, 6662, 6663, 6664, 6665, 6666, 6667, 6668, 6669, 6697},
	"tor":        {9001, 9030, 9050, 9051, 9150},
	"mining":     {3333, 4444, 5555, 7777, 8333, 14433, 14444, 45560, 45700},
}

// MaxPorts bounds the port table (the kernel map's capacity).
const MaxPorts = 1024

// defaultPrefixes are the scopes every host has.
var defaultPrefixes = []struct {
	scope    string
	prefixes []string
}{
	{"loopback", []string{"127.0.0.0/8", "::1/128"}},
	{"private", []string{"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "fc00::/7"}},
	{"link_local", []string{"169.254.0.0/16", "fe80::/10"}},
	{"metadata", []string{"169.254.169.254/32", "fd00:ec2::254/128"}},
}

// Config is the site-specific part of the classification.
type Config struct {
	ClusterCIDRs, ServiceCIDRs, NodeCIDRs []netip.Prefix
	// APIServers are the Kubernetes API server addresses.
	APIServers []netip.Addr
	// Ports replaces the default port list of the classes it names.
	Ports map[string][]uint16
}

// Prefix is one entry of the scope table.
type Prefix struct {
	Prefix    netip.Prefix // IPv4 as a v4-mapped IPv6 prefix
	Scope     uint8
	APIServer bool
}

// Port is one entry of the port table.
type Port struct {
	Class   uint8
	APIPort bool
}

func index(list []string, name string) uint8 {
	return uint8(slices.Index(list, name))
}

// mapped turns an IPv4 prefix into its v4-mapped IPv6 form.
func mapped(p netip.Prefix) netip.Prefix {
	if !p.Addr().Is4() {
		return p.Masked()
	}
	return netip.PrefixFrom(netip.AddrFrom16(p.Addr().As16()), p.Bits()+96).Masked()
}

// ScopeTable returns the prefixes the kernel looks addresses up in. Later
// entries of the same prefix win: configured CIDRs override the defaults.
func (c Config) ScopeTable() []Prefix {
	byPrefix := map[netip.Prefix]Prefix{}
	add := func(p netip.Prefix, scope string) {
		m := mapped(p)
		byPrefix[m] = Prefix{Prefix: m, Scope: index(Scopes, scope)}
	}
	for _, d := range defaultPrefixes {
		for _, s := range d.prefixes {
			add(netip.MustParsePrefix(s), d.scope)
		}
	}
	for scope, list := range map[string][]netip.Prefix{"cluster_pod": c.ClusterCIDRs, "cluster_service": c.ServiceCIDRs, "node": c.NodeCIDRs} {
		for _, p := range list {
			add(p, scope)
		}
	}
	table := make([]Prefix, 0, len(byPrefix)+len(c.APIServers))
	for _, p := range byPrefix {
		table = append(table, p)
	}
	for _, a := range c.APIServers {
		m := mapped(netip.PrefixFrom(a, a.BitLen()))
		table = append(table, Prefix{Prefix: m, Scope: lookup(table, m.Addr()), APIServer: true})
	}
	slices.SortFunc(table, func(a, b Prefix) int { return strings.Compare(a.Prefix.String(), b.Prefix.String()) })
	return slices.CompactFunc(table, func(a, b Prefix) bool { return a.Prefix == b.Prefix })
}

// lookup is the longest-prefix match the kernel does, for the scope of an
// API server address.
func lookup(table []Prefix, a netip.Addr) uint8 {
	best, scope := -1, index(Scopes, "public")
	for _, p := range table {
		if p.Prefix.Contains(a) && p.Prefix.Bits() > best {
			best, scope = p.Prefix.Bits(), p.Scope
		}
	}
	return scope
}

// PortTable returns the port classes the kernel looks ports up in.
func (c Config) PortTable() (map[uint16]Port, error) {
	table := map[uint16]Port{}
	owner := map[uint16]string{}
	var api []uint16
	for _, class := range PortClasses {
		ports, ok := c.Ports[class]
		if !ok {
			ports = DefaultPorts[class]
		}
		if class == "k8s_api" {
			api = ports
			continue
		}
		for _, p := range ports {
			if prev, ok := owner[p]; ok {
				return nil, fmt.Errorf("port %d is in classes %s and %s", p, prev, class)
			}
			owner[p] = class
			table[p] = Port{Class: index(PortClasses, class)}
		}
	}
	for _, p := range api {
		e, ok := table[p]
		if !ok {
			e.Class = index(PortClasses, "other")
			if p < 1024 {
				e.Class = index(PortClasses, "other_privileged")
			}
		}
		e.APIPort = true
		table[p] = e
	}
	if len(table) > MaxPorts {
		return nil, fmt.Errorf("%d ports classified, at most %d", len(table), MaxPorts)
	}
	return table, nil
}

// ParsePorts parses a CLASS=PORT[,PORT…] override, such as "mining=3333,4444".
func ParsePorts(s string) (string, []uint16, error) {
	class, list, ok := strings.Cut(s, "=")
	if !ok || !slices.Contains(PortClasses, class) || class == "other" || class == "other_privileged" {
		return "", nil, fmt.Errorf("%q: want CLASS=PORT[,PORT…] with a class from %v", s, PortClasses[2:])
	}
	var ports []uint16
	for _, f := range strings.Split(list, ",") {
		if f == "" {
			continue
		}
		p, err := strconv.ParseUint(f, 10, 16)
		if err != nil || p == 0 {
			return "", nil, fmt.Errorf("%q: bad port %q", s, f)
		}
		ports = append(ports, uint16(p))
	}
	return class, ports, nil
}

// SetTables puts the scope and port tables of c into the initial contents
// of network.bpf.c's maps, so that its programs classify correctly from
// their first run.
func (c Config) SetTables(spec *ebpf.CollectionSpec) error {
	ports, err := c.PortTable()
	if err != nil {
		return err
	}
	portMap, scopeMap := spec.Maps["net_ports"], spec.Maps["net_scopes"]
	if portMap == nil || scopeMap == nil {
		return fmt.Errorf("spec lacks net_ports or net_scopes: not network.bpf.c")
	}
	for port, p := range ports {
		v := bpf.NetworkPortInfo{PortClass: p.Class}
		if p.APIPort {
			v.ApiPort = 1
		}
		portMap.Contents = append(portMap.Contents, ebpf.MapKV{Key: port, Value: v})
	}
	for _, p := range c.ScopeTable() {
		k := bpf.NetworkLpmKey{Prefixlen: uint32(p.Prefix.Bits())}
		k.Addr.B = p.Prefix.Addr().As16()
		v := bpf.NetworkScopeInfo{Scope: p.Scope}
		if p.APIServer {
			v.ApiServer = 1
		}
		scopeMap.Contents = append(scopeMap.Contents, ebpf.MapKV{Key: k, Value: v})
	}
	return nil
}
