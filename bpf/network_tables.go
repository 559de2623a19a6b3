package bpf

import (
	"fmt"

	"github.com/cilium/ebpf"

	"github.com/rtsec/rtsec/exporter/netclass"
)

// SetNetworkTables puts the scope and port tables of cfg into the initial
// contents of network.bpf.c's maps, so that its programs classify correctly
// from their first run.
func SetNetworkTables(spec *ebpf.CollectionSpec, cfg netclass.Config) error {
	ports, err := cfg.PortTable()
	if err != nil {
		return err
	}
	portMap, scopeMap := spec.Maps["net_ports"], spec.Maps["net_scopes"]
	if portMap == nil || scopeMap == nil {
		return fmt.Errorf("spec lacks net_ports or net_scopes: not network.bpf.c")
	}
	for port, p := range ports {
		v := NetworkPortInfo{PortClass: p.Class}
		if p.APIPort {
			v.ApiPort = 1
		}
		portMap.Contents = append(portMap.Contents, ebpf.MapKV{Key: port, Value: v})
	}
	for _, p := range cfg.ScopeTable() {
		k := NetworkLpmKey{Prefixlen: uint32(p.Prefix.Bits())}
		k.Addr.B = p.Prefix.Addr().As16()
		v := NetworkScopeInfo{Scope: p.Scope}
		if p.APIServer {
			v.ApiServer = 1
		}
		scopeMap.Contents = append(scopeMap.Contents, ebpf.MapKV{Key: k, Value: v})
	}
	return nil
}
