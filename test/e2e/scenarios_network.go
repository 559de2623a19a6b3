package e2e

import (
	"fmt"
	"net/netip"
	"path/filepath"
	"strings"
	"time"

	"github.com/rtsec/rtsec/test/netns"
	"github.com/rtsec/rtsec/test/nettool"
	"github.com/rtsec/rtsec/test/runc"
)

// Alert names of the network scenarios.
const (
	metadataAlert = "RtsecCloudMetadataAccess"
	k8sAPIAlert   = "RtsecKubernetesAPIFromContainer"
	packetAlert   = "RtsecPacketSocketInContainer"
	miningAlert   = "RtsecMiningPoolConnection"
	// A mining port in a private, loopback or cluster scope: a pool proxy.
	miningInternalAlert = "RtsecMiningPortInternalConnection"
	runtimeAlert        = "RtsecRuntimeSocketInContainer"
	scanAlert           = "RtsecLateralMovementScan"
	remoteShellAlert    = "RtsecRemoteShellNonStandardPort"
	dnsBurstAlert       = "RtsecDNSNameBurst"
	newListenerAlert    = "RtsecNewListenerInWorkload"
	newOutboundAlert    = "RtsecNewOutboundInWorkload"
	remoteAddr          = netns.Link + ".1"
	scanDestinations    = 60  // > the mixin's scanDistinctDestinations (50)
	dnsBurstNames       = 120 // > the mixin's dnsDistinctNamesThreshold (100)
	remoteListenPorts   = "80,3333,5432,6443,31337"
)

// Hosts in the remote namespace: metadata service and a public address
// from a documentation range. The remote's link address (10.77.0.1) is a
// private host: database, resolver and, for the exporter, the API server.
var (
	metadataHost = netip.MustParseAddr("169.254.169.254")
	publicHost   = netip.MustParseAddr("203.0.113.10")
)

// ExporterFlags are the exporter flags the network scenarios need: the
// remote namespace's link address is the Kubernetes API server.
var ExporterFlags = []string{"--collector.network.api-server=" + remoteAddr}

func init() {
	Scenarios = append(Scenarios, networkScenarios...)
}

var networkScenarios = []Scenario{
	{
		Name:        "network-metadata",
		Description: "A container fetches from the cloud metadata service (169.254.169.254, held by a test namespace).",
		Setup:       func(e *Env) { e.remote() },
		Steps:       []Step{Cmd("nettool", "connect="+metadataHost.String()+":80")},
		Expect:      []Match{Named(metadataAlert)},
		Forbid:      []Match{Named(miningAlert), Named(k8sAPIAlert)},
	},
	{
		Name:        "network-k8s-api",
		Description: "A container outside kube-system calls the Kubernetes API server (port 6443 of --collector.network.api-server).",
		Setup:       func(e *Env) { e.remote() },
		Steps:       []Step{Cmd("nettool", "connect="+remoteAddr+":6443")},
		Expect:      []Match{Named(k8sAPIAlert)},
		Forbid:      []Match{Named(metadataAlert)},
	},
	{
		Name:        "network-packet-socket",
		Description: "A container asks for an AF_PACKET socket (sniffing, ARP spoofing); denied without CAP_NET_RAW, still counted.",
		Setup:       func(e *Env) { e.installNettool() },
		Steps:       []Step{Cmd("nettool", "packet")},
		Expect:      []Match{Named(packetAlert)},
	},
	{
		Name:        "network-mining-pool",
		Description: "A container connects to a mining-pool port (3333) of a public address (203.0.113.10, held by a test namespace).",
		Setup:       func(e *Env) { e.remote() },
		Steps:       []Step{Cmd("nettool", "connect="+publicHost.String()+":3333")},
		Expect:      []Match{Named(miningAlert)},
		Forbid:      []Match{Named(metadataAlert), Named(remoteShellAlert)},
	},
	{
		Name:        "network-mining-private",
		Description: "A container talks to a mining-pool port (3333) of a private host (a stratum proxy inside the cluster, held by a test namespace).",
		Setup:       func(e *Env) { e.remote() },
		Steps:       []Step{Cmd("nettool", "connect="+remoteAddr+":3333")},
		Expect:      []Match{Named(miningInternalAlert, "scope", "private")},
		Forbid:      []Match{Named(miningAlert), Named(metadataAlert), Named(remoteShellAlert)},
	},
	{
		Name:        "network-mining-loopback",
		Description: "A container talks to a mining-pool port (3333) on loopback (a stratum proxy next to the miner).",
		Setup:       func(e *Env) { e.installNettool() },
		Steps:       []Step{Cmd("nettool", "listen=127.0.0.1:3333", "dial=127.0.0.1:3333")},
		Expect:      []Match{Named(miningInternalAlert, "scope", "loopback")},
		Forbid:      []Match{Named(miningAlert)},
	},
	{
		Name:        "network-runtime-socket",
		Description: "A container connects to a docker.sock (a listener the scenario binds in the container, under /run).",
		Setup:       func(e *Env) { e.installNettool() },
		Steps:       []Step{Cmd("nettool", "unix-listen=/run/docker.sock", "unix-connect=/run/docker.sock")},
		Expect:      []Match{Named(runtimeAlert, "socket", "docker")},
	},
	{
		Name:        "network-scan",
		Description: fmt.Sprintf("A container connects to %d closed ports of a private host (refused): a port scan.", scanDestinations),
		Setup:       func(e *Env) { e.remote() },
		Steps:       []Step{Cmd(scanArgs()...)},
		Expect:      []Match{Named(scanAlert)},
		Forbid:      []Match{Named(miningAlert)},
	},
	{
		Name: "network-udp-scan",
		Description: fmt.Sprintf("A container sends one datagram to each of %d closed ports of a private host from a single UDP socket: "+
			"a UDP port scan, each destination the socket's first datagram to it.", scanDestinations),
		Setup:  func(e *Env) { e.remote() },
		Steps:  []Step{Cmd(udpScanArgs()...)},
		Expect: []Match{Named(scanAlert)},
		Forbid: []Match{Named(miningAlert)},
	},
	{
		Name:        "network-remote-shell",
		Description: "nc connects to a public address on a non-standard port (31337), as a reverse shell does.",
		Setup:       func(e *Env) { e.remote() },
		Steps:       []Step{TryCmd("nc", "-w", "1", publicHost.String(), "31337")},
		Expect:      []Match{Named(remoteShellAlert, "binary", "nc")},
		Forbid:      []Match{Named(miningAlert)},
	},
	{
		Name:        "network-dns-burst",
		Description: fmt.Sprintf("A container queries %d distinct names under one domain (DNS tunnelling) from a test resolver.", dnsBurstNames),
		Setup:       func(e *Env) { e.remote() },
		Steps:       []Step{Cmd(dnsBurstArgs()...)},
		Expect:      []Match{Named(dnsBurstAlert)},
	},
	{
		Name:        "network-new-listener",
		Description: "An established workload that never listened opens a port on all addresses (a bind shell).",
		Age:         duration(LearningPeriod) + 15*time.Second,
		NoVariants:  "needs an established workload: history older than the learning period, which a new container has not",
		Setup:       func(e *Env) { e.installNettool() },
		Steps:       []Step{Cmd("nettool", "listen=0.0.0.0:31337")},
		Expect:      []Match{Named(newListenerAlert)},
	},
	{
		Name:        "network-new-outbound",
		Description: "An established workload that never connected out connects to a private host.",
		Age:         duration(LearningPeriod) + 15*time.Second,
		NoVariants:  "needs an established workload: history older than the learning period, which a new container has not",
		Setup:       func(e *Env) { e.remote() },
		Steps:       []Step{Cmd("nettool", "connect="+remoteAddr+":5432")},
		Expect:      []Match{Named(newOutboundAlert)},
	},
	{
		Name: "benign-network-service",
		Description: "A service (nettool as the container's init) listens on loopback, calls itself, resolves names " +
			"through a resolver in a test namespace and queries a database there, in rounds: all normal.",
		Benign: true,
		Container: runc.Options{Args: []string{"sh", "-c",
			"while [ ! -x /bin/nettool ]; do sleep 0.2; done; exec nettool " + benignServiceSteps()}},
		Setup: func(e *Env) { e.remote() },
		// The service acts on its own: the action lets its rounds run.
		Action: func(e *Env) { time.Sleep(benignServiceRounds * benignServiceRound) },
		Forbid: firstReplica,
	},
}

// scanArgs connect to scanDestinations ports of the remote host.
func scanArgs() []string {
	args := []string{"nettool"}
	for p := range scanDestinations {
		args = append(args, fmt.Sprintf("connect=%s:%d", remoteAddr, 20000+p))
	}
	return args
}

// udpScanArgs send one datagram to each of scanDestinations ports of the
// remote host, all from one socket.
func udpScanArgs() []string {
	addrs := make([]string, scanDestinations)
	for p := range addrs {
		addrs[p] = fmt.Sprintf("%s:%d", remoteAddr, 20000+p)
	}
	return []string{"nettool", "udpflow=" + strings.Join(addrs, ",")}
}

// dnsBurstArgs query dnsBurstNames names under one domain.
func dnsBurstArgs() []string {
	args := []string{"nettool"}
	for i := range dnsBurstNames {
		args = append(args, fmt.Sprintf("udp=%s:53/c%04x.t.example.test", remoteAddr, i*7919))
	}
	return args
}

// The benign service's rounds of calls, after 12s of listening alone.
const (
	benignServiceRounds = 6
	benignServiceRound  = 4 * time.Second
)

// benignServiceSteps is the benign service: a listener from the start,
// then rounds of calls spread over the run, then idle.
func benignServiceSteps() string {
	steps := []string{"listen=127.0.0.1:8080", "hold=12s"}
	for range benignServiceRounds {
		steps = append(steps,
			"dial=127.0.0.1:8080*5",
			"udp="+remoteAddr+":53/db.example.test",
			"connect="+remoteAddr+":5432*2",
			"hold="+benignServiceRound.String())
	}
	return strings.Join(append(steps, "hold=10m"), " ")
}

// installNettool puts nettool into the main container's /bin.
func (e *Env) installNettool() {
	e.T.Helper()
	nettool.Install(e.T, filepath.Join(e.Main().Rootfs(), "bin"))
}

// remote installs nettool and joins the main container to a test network
// namespace holding the metadata and public hosts, which serves TCP on
// remoteListenPorts and DNS on all its addresses.
func (e *Env) remote() {
	e.T.Helper()
	e.installNettool()
	r := netns.Attach(e.T, e.Main().Pid(), metadataHost, publicHost)
	args := []string{nettool.Install(e.T, e.T.TempDir())}
	ports := strings.Split(remoteListenPorts, ",")
	for _, p := range ports {
		args = append(args, "listen=0.0.0.0:"+p)
	}
	r.Start(e.T, len(ports)+1, append(args, "dns-serve=0.0.0.0:53", "hold=10m")...)
}
