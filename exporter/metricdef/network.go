package metricdef

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/rtsec/rtsec/bpf/enums"
)

// The label values of the network signals are the enums of network.bpf.c
// and netclass.h.
var (
	scopeLabel     = Label{Name: "scope", Values: enums.ScopeNames}
	portClassLabel = Label{Name: "port_class", Values: enums.PortClassNames}
)

// Network signals: connections, listeners, raw sockets, runtime sockets,
// DNS and destination novelty of each container.
var (
	NetworkConnections = Def{
		Name: "rtsec_network_connections_total", Type: prometheus.CounterValue, Collector: "network",
		Help: "TCP and UDP connections: outbound connects and the first UDP datagram a socket sends to each address (scope of the remote address, class of the remote port), inbound TCP handshakes (scope of the peer, class of the local port), by result.",
		Labels: withIdentity(
			Label{Name: "direction", Values: enums.DirNames},
			scopeLabel, portClassLabel,
			Label{Name: "protocol", Values: enums.ProtocolNames},
			Label{Name: "result", Values: enums.ResultNames},
		),
	}
	NetworkListens = Def{
		Name: "rtsec_network_listens_total", Type: prometheus.CounterValue, Collector: "network",
		Help:   "TCP sockets put into the listening state, by class of the local port and scope of the bound address.",
		Labels: withIdentity(portClassLabel, scopeLabel),
	}
	NetworkListeningSockets = Def{
		Name: "rtsec_network_listening_sockets", Type: prometheus.GaugeValue, Collector: "network",
		Help:   "TCP sockets listening now that started listening while the exporter ran.",
		Labels: withIdentity(),
	}
	NetworkRawSockets = Def{
		Name: "rtsec_network_raw_sockets_total", Type: prometheus.CounterValue, Collector: "network",
		Help:   "socket() calls asking for a packet socket (AF_PACKET) or a raw IP socket (SOCK_RAW), allowed or not.",
		Labels: withIdentity(Label{Name: "type", Values: enums.RawSocketNames}),
	}
	NetworkRuntimeSocketConnections = Def{
		Name: "rtsec_network_runtime_socket_connections_total", Type: prometheus.CounterValue, Collector: "network",
		Help:   "Successful connects to a container runtime's unix socket, recognised by the path the listening socket is bound to.",
		Labels: withIdentity(Label{Name: "socket", Values: enums.RuntimeSocketNames}),
	}
	NetworkDNSQueries = Def{
		Name: "rtsec_network_dns_queries_total", Type: prometheus.CounterValue, Collector: "network",
		Help:   "DNS exchanges begun: connects to a dns-class port and UDP datagrams sent to one with an address.",
		Labels: withIdentity(),
	}
	NetworkDNSDistinctNames = Def{
		Name: "rtsec_network_dns_distinct_names", Type: prometheus.GaugeValue, Collector: "network",
		Help:   "Distinct DNS names queried in the last --collector.network.novelty-window (hashed in the kernel; queries sent with sendto or sendmmsg), at most --collector.network.novelty-budget new ones per window.",
		Labels: withIdentity(),
	}
	NetworkDistinctDestinations = Def{
		Name: "rtsec_network_distinct_destinations", Type: prometheus.GaugeValue, Collector: "network",
		Help:   "Distinct remote (address, port) pairs of outbound connections in the last --collector.network.novelty-window, at most --collector.network.novelty-budget new ones per window.",
		Labels: withIdentity(scopeLabel),
	}
)
