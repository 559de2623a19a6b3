package netclass

import (
	"net/netip"
	"slices"
	"testing"
)

func TestScopeTable(t *testing.T) {
	c := Config{
		ClusterCIDRs: []netip.Prefix{netip.MustParsePrefix("10.244.0.0/16")},
		ServiceCIDRs: []netip.Prefix{netip.MustParsePrefix("10.96.0.0/12")},
		NodeCIDRs:    []netip.Prefix{netip.MustParsePrefix("192.168.1.0/24")},
		APIServers:   []netip.Addr{netip.MustParseAddr("10.96.0.1")},
	}
	table := c.ScopeTable()
	cases := []struct {
		addr, scope string
		api         bool
	}{
		{"127.0.0.1", "loopback", false},
		{"::1", "loopback", false},
		{"10.1.2.3", "private", false},
		{"10.244.3.4", "cluster_pod", false},
		{"10.96.0.10", "cluster_service", false},
		{"10.96.0.1", "cluster_service", true},
		{"192.168.1.20", "node", false},
		{"192.168.2.20", "private", false},
		{"169.254.1.1", "link_local", false},
		{"169.254.169.254", "metadata", false},
		{"fd00:ec2::254", "metadata", false},
		{"fd00::1", "private", false},
		{"203.0.113.7", "public", false},
	}
	for _, tc := range cases {
		a := netip.MustParseAddr(tc.addr)
		a = netip.AddrFrom16(a.As16())
		best := Prefix{Prefix: netip.PrefixFrom(a, 0)}
		found := false
		for _, p := range table {
			if p.Prefix.Contains(a) && (!found || p.Prefix.Bits() > best.Prefix.Bits()) {
				best, found = p, true
			}
		}
		scope := "public"
		if found {
			scope = Scopes[best.Scope]
		}
		if scope != tc.scope || best.APIServer != tc.api {
			t.Errorf("%s: scope %s, api %v; want %s, %v", tc.addr, scope, best.APIServer, tc.scope, tc.api)
		}
	}
}

func TestPortTable(t *testing.T) {
	table, err := Config{}.PortTable()
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		port  uint16
		class string
		api   bool
	}{
		{22, "ssh", false},
		{443, "https", true},
		{6443, "other", true},
		{3333, "mining", false},
		{10250, "kubelet", false},
		{5432, "database", false},
	}
	for _, tc := range cases {
		got := table[tc.port]
		if PortClasses[got.Class] != tc.class || got.APIPort != tc.api {
			t.Errorf("port %d: %s api=%v, want %s api=%v", tc.port, PortClasses[got.Class], got.APIPort, tc.class, tc.api)
		}
	}
	if _, ok := table[1234]; ok {
		t.Error("port 1234 is classified, want it left to the range rule")
	}
}

func TestPortOverrides(t *testing.T) {
	class, ports, err := ParsePorts("mining=3333,1234")
	if err != nil || class != "mining" || !slices.Equal(ports, []uint16{3333, 1234}) {
		t.Fatalf("ParsePorts = %q %v %v", class, ports, err)
	}
	table, err := Config{Ports: map[string][]uint16{"mining": ports}}.PortTable()
	if err != nil {
		t.Fatal(err)
	}
	if PortClasses[table[1234].Class] != "mining" {
		t.Errorf("1234 is %s, want mining", PortClasses[table[1234].Class])
	}
	if _, ok := table[4444]; ok {
		t.Error("4444 still classified after mining's ports were replaced")
	}
	if _, err := (Config{Ports: map[string][]uint16{"ssh": {3333}}}).PortTable(); err == nil {
		t.Error("a port in two classes was accepted")
	}
	for _, bad := range []string{"nope=1", "other=5", "ssh", "ssh=0", "ssh=70000"} {
		if _, _, err := ParsePorts(bad); err == nil {
			t.Errorf("ParsePorts(%q) accepted", bad)
		}
	}
}
