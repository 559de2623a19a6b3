package metricdef

import "github.com/prometheus/client_golang/prometheus"

// Process signals: what runs in each container.
var (
	ProcessExecs = Def{
		Name: "rtsec_process_execs_total", Type: prometheus.CounterValue, Collector: "process",
		Help: "Programs executed (successful execve/execveat), by container and binary name.",
		Labels: withIdentity(Label{
			Name: "binary", Example: "sh",
			Bound: "the executable's base name, at most --collector.process.binary-budget distinct names per container, then \"" + OverflowValue + "\"",
		}),
	}
	LabelOverflows = Def{
		Name: "rtsec_label_overflows_total", Type: prometheus.CounterValue, Collector: "process",
		Help:   "Events counted under the overflow label value because a per-container label budget was spent.",
		Labels: []Label{{Name: "metric", Values: []string{ProcessExecs.Name, NetworkDistinctDestinations.Name, NetworkDNSDistinctNames.Name}}},
	}
)
