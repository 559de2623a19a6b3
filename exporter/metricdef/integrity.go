package metricdef

import "github.com/prometheus/client_golang/prometheus"

// File integrity monitoring of the configured watch list.
var (
	FileIntegrityChanged = Def{
		Name: "rtsec_file_integrity_changed", Type: prometheus.GaugeValue, Collector: "integrity",
		Help:   "Whether a watched path differs from its baseline in content (sha256), mode, owner or size (1), until the change is accepted with rtsec_exporter --collector.integrity.rebaseline; 0 when it matches.",
		Labels: []Label{{Name: "path", Example: "/etc/passwd", Bound: "the paths of --collector.integrity.watch (configured)"}},
	}
	FileIntegrityLastCheck = Def{
		Name: "rtsec_file_integrity_last_check_timestamp_seconds", Type: prometheus.GaugeValue, Collector: "integrity",
		Help: "When the watched paths were last compared with their baseline (Unix time).",
	}
	FileIntegrityChecks = Def{
		Name: "rtsec_file_integrity_checks_total", Type: prometheus.CounterValue, Collector: "integrity",
		Help:   "Checks of the whole watch list, by result: unchanged, changed (some path differs from its baseline), error (some path could not be read).",
		Labels: []Label{{Name: "result", Values: []string{"unchanged", "changed", "error"}}},
	}
	FileIntegrityBaselineRebuilds = Def{
		Name: "rtsec_file_integrity_baseline_rebuilds_total", Type: prometheus.CounterValue, Collector: "integrity",
		Help:   "Baselines rebuilt from the current content because the state file was missing or corrupt: changes made before the rebuild go unnoticed.",
		Labels: []Label{{Name: "reason", Values: []string{"missing", "corrupt"}}},
	}
)
