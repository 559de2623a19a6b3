package metricdef

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/rtsec/rtsec/bpf/enums"
)

// Label values of enforcement: the actions are enum action of
// bpf/src/headers/enforce.h.
var (
	EnforcementActionNames = enums.ActionNames
	// EnforcementSignals are the signals a policy acts on, SIGNAL_SUSPICIOUS_EXEC,
	// SIGNAL_EXEC_CLASS, SIGNAL_PRIVILEGE_CHANGE and SIGNAL_SENSITIVE_SYSCALL of
	// enum signal, and ENFORCE_SIGNAL_FILE_MODIFICATION of enum enforce_signal.
	EnforcementSignals = []string{"suspicious_exec", "process_class", "privilege_change", "sensitive_syscall", "file_modification"}
)

// Opt-in enforcement (--enforce.policy-file).
var (
	EnforcementActions = Def{
		Name: "rtsec_enforcement_actions_total", Type: prometheus.CounterValue, Collector: "process",
		Help: "Actions of the enforcement policy (--enforce.policy-file) in the kernel, by container, action (killed: SIGKILL sent before the task ran on; would_kill: a dry-run rule matched; spared: a kill rule matched the host's init, the exporter or a kernel thread, which are never killed), signal and reason (the signal's label value: a suspicious exec reason, a binary class or a privilege change kind).",
		Labels: withIdentity(
			Label{Name: "action", Values: EnforcementActionNames},
			Label{Name: "signal", Values: EnforcementSignals},
			Label{Name: "reason", Example: "memfd", Bound: "the suspicious exec reasons, the binary classes, the privilege change kinds, the sensitive syscalls and the modification path classes"},
		),
	}
	EnforcementPolicyRules = Def{
		Name: "rtsec_enforcement_policy_rules", Type: prometheus.GaugeValue, Collector: "process",
		Help:   "Rules of the enforcement policy in force, by action.",
		Labels: []Label{{Name: "action", Values: []string{"kill", "dry-run"}}},
	}
	EnforcementPolicyCgroups = Def{
		Name: "rtsec_enforcement_policy_cgroups", Type: prometheus.GaugeValue, Collector: "process",
		Help: "Cgroups the enforcement policy in force applies to, as written to the kernel.",
	}
	EnforcementPolicyLoadSuccess = Def{
		Name: "rtsec_enforcement_policy_last_load_success", Type: prometheus.GaugeValue, Collector: "process",
		Help: "Whether the last load of the enforcement policy file (at start or on SIGHUP) succeeded (1) or failed (0, the previous policy stays in force).",
	}
	EnforcementPolicyLoadTime = Def{
		Name: "rtsec_enforcement_policy_last_load_success_timestamp_seconds", Type: prometheus.GaugeValue, Collector: "process",
		Help: "When the enforcement policy in force was loaded, in seconds since the epoch.",
	}
)
