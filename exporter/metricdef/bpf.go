package metricdef

import "github.com/prometheus/client_golang/prometheus"

// The exporter's own BPF programs and maps.
var (
	BPFProgramRuns = Def{
		Name: "rtsec_bpf_program_runs_total", Type: prometheus.CounterValue, Collector: "bpf",
		Help:   "Times each rtsec BPF program ran (kernel BPF statistics, enabled while the exporter runs).",
		Labels: []Label{{Name: "program", Example: "handle_exec", Bound: "rtsec's programs"}},
	}
	BPFProgramRunTime = Def{
		Name: "rtsec_bpf_program_run_seconds_total", Type: prometheus.CounterValue, Collector: "bpf",
		Help:   "CPU time spent in each rtsec BPF program.",
		Labels: []Label{{Name: "program", Example: "handle_exec", Bound: "rtsec's programs"}},
	}
	BPFMapEntries = Def{
		Name: "rtsec_bpf_map_entries", Type: prometheus.GaugeValue, Collector: "bpf",
		Help:   "Entries in each rtsec BPF hash map, as counted by this scrape's or the previous scrape's read of it.",
		Labels: []Label{{Name: "map", Example: "exec_counts", Bound: "rtsec's maps"}},
	}
	BPFMapCapacity = Def{
		Name: "rtsec_bpf_map_capacity", Type: prometheus.GaugeValue, Collector: "bpf",
		Help:   "Maximum entries of each rtsec BPF hash map; lru is \"true\" for an LRU map, which evicts its least recently used entries when full (by design, a cap rather than a loss), \"false\" for one that refuses inserts.",
		Labels: []Label{{Name: "map", Example: "exec_counts", Bound: "rtsec's maps"}, {Name: "lru", Values: []string{"true", "false"}}},
	}
	BPFMapInsertFailures = Def{
		Name: "rtsec_bpf_map_insert_failures_total", Type: prometheus.CounterValue, Collector: "process",
		Help:   "Inserts into a BPF map that failed because the map was full; such events are counted under the overflow label value where the container is known, else lost.",
		Labels: []Label{{Name: "map", Example: "exec_counts", Bound: "rtsec's maps"}},
	}
)
