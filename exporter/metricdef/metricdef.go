// Package metricdef is the one table of rtsec's metrics: the collectors build
// their descriptors from it, the metric reference (docs/metrics.md) is generated from
// it, and the mixin's checks read it to know which series exist.
package metricdef

import (
	"fmt"
	"slices"

	"github.com/prometheus/client_golang/prometheus"
)

// Namespace prefixes every rtsec metric.
const Namespace = "rtsec"

// Label is one label of a metric. A label either takes values from a fixed
// set (Values), or is unconstrained and documented by an Example and a Bound
// saying what keeps its cardinality in check.
type Label struct {
	Name    string
	Values  []string
	Example string
	Bound   string
}

// Def defines one metric.
type Def struct {
	Name      string
	Help      string
	Type      prometheus.ValueType
	Collector string
	Labels    []Label
}

// LabelNames lists the metric's label names in order.
func (d Def) LabelNames() []string {
	names := make([]string, len(d.Labels))
	for i, l := range d.Labels {
		names[i] = l.Name
	}
	return names
}

// Desc builds the Prometheus descriptor for the metric.
func (d Def) Desc() *prometheus.Desc {
	return prometheus.NewDesc(d.Name, d.Help, d.LabelNames(), nil)
}

// TypeName is the metric type as the exposition format spells it.
func (d Def) TypeName() string {
	switch d.Type {
	case prometheus.CounterValue:
		return "counter"
	case prometheus.GaugeValue:
		return "gauge"
	}
	return "untyped"
}

// Identity labels name the container on every per-container signal, so that
// alerts route by them without a join. The rest of the identity (image,
// runtime, pod uid) is on rtsec_container_info only.
var Identity = []Label{
	{Name: "container_id", Example: "3f4e…(64 hex)", Bound: "containers alive on the node, plus those gone less than --container.gone-grace ago; \"\" for the host"},
	{Name: "namespace", Example: "default", Bound: "from the CRI runtime; \"\" outside Kubernetes"},
	{Name: "pod", Example: "web-7d9f", Bound: "from the CRI runtime; \"\" outside Kubernetes"},
	{Name: "container", Example: "nginx", Bound: "from the CRI runtime; \"\" outside Kubernetes; on the host the host actor class (runtime, cni, kubelet, package_manager, systemd, systemd_unit, session, other: --host.actors, docs/host.md)"},
}

func withIdentity(labels ...Label) []Label {
	return append(append([]Label{}, Identity...), labels...)
}

// OverflowValue replaces a label value once a per-container budget is spent.
const OverflowValue = "_other"

// The exporter's own scrape metrics.
var (
	ScrapeCollectorSuccess = Def{
		Name: "rtsec_scrape_collector_success", Type: prometheus.GaugeValue, Collector: "exporter",
		Help:   "Whether a collector succeeded on this scrape (1) or failed (0).",
		Labels: []Label{{Name: "collector", Example: "process", Bound: "the enabled collectors, and events (the event log) when process or file is enabled"}},
	}
	ScrapeCollectorDuration = Def{
		Name: "rtsec_scrape_collector_duration_seconds", Type: prometheus.GaugeValue, Collector: "exporter",
		Help:   "How long a collector took on this scrape.",
		Labels: []Label{{Name: "collector", Example: "process", Bound: "the enabled collectors, and events (the event log) when process or file is enabled"}},
	}
)

// All lists every metric rtsec exposes besides rtsec_build_info, which
// client_golang's version collector provides: by area, one file each.
var All = slices.Concat(
	[]Def{ScrapeCollectorSuccess, ScrapeCollectorDuration},
	[]Def{ProcessExecs, LabelOverflows},
	[]Def{ProcessSuspiciousExecs, ProcessClassExecs, PrivilegeChanges, SensitiveSyscalls, CompatSyscalls, Events, EventsLost},
	[]Def{ContainerInfo},
	[]Def{ContainerPostureInfo, ContainerCapabilities, ContainerHostNamespace, ContainerSensitiveMounts},
	[]Def{BPFProgramRuns, BPFProgramRunTime, BPFMapEntries, BPFMapCapacity, BPFMapInsertFailures},
	[]Def{NetworkConnections, NetworkListens, NetworkListeningSockets, NetworkRawSockets, NetworkRuntimeSocketConnections, NetworkDNSQueries, NetworkDNSDistinctNames, NetworkDistinctDestinations},
	[]Def{FileModifications, FileSensitiveReads, FileUnresolvedPaths},
	[]Def{FileIntegrityChanged, FileIntegrityLastCheck, FileIntegrityChecks, FileIntegrityBaselineRebuilds},
	[]Def{ContainerCPUSeconds, ContainerCPUQuota, ContainerCPUPeriods, ContainerCPUThrottledPeriods, ContainerCPUThrottledSeconds, ContainerMemory, ContainerMemoryPeak, ContainerMemoryLimit, ContainerMemoryEvents, ContainerPids, ContainerPidsLimit, ContainerPidsLimitHits, ContainerForksRefused, ContainerForks, ContainerSignalExits, ContainerOOMKills},
	[]Def{EnforcementActions, EnforcementPolicyRules, EnforcementPolicyCgroups, EnforcementPolicyLoadSuccess, EnforcementPolicyLoadTime},
)

// BuildInfo is the name of the build information metric.
const BuildInfo = "rtsec_build_info"

// Names returns every metric name rtsec exposes, rtsec_build_info included.
func Names() []string {
	names := []string{BuildInfo}
	for _, d := range All {
		names = append(names, d.Name)
	}
	return names
}

// Lookup returns the definition of a metric by name.
func Lookup(name string) (Def, error) {
	for _, d := range All {
		if d.Name == name {
			return d, nil
		}
	}
	return Def{}, fmt.Errorf("no rtsec metric named %q", name)
}
