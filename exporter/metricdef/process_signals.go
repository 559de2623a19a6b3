package metricdef

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/rtsec/rtsec/bpf/enums"
)

// Label values of the process signals, in the kernel's order: the enums of
// bpf/src/process/*.h and bpf/src/headers/events.h, whose ids the BPF
// programs count by.
var (
	SuspiciousExecReasons = enums.ReasonNames
	PrivilegeChangeKinds  = enums.PrivNames
	SensitiveSyscallNames = enums.ScNames
	SyscallResults        = enums.ScResultNames
	CompatSyscallClasses  = enums.CompatNames
	// EventTypes are indexed by the event type - 1.
	EventTypes = enums.EventNames
	// EventLossCauses are the kernel's (event_stats) and the log's own
	// (write_failed).
	EventLossCauses = []string{"rate_limited", "container_rate_limited", "ringbuf_full", "write_failed"}
)

// Process signals classified in the kernel at exec and at the syscalls that
// change privileges or escape a container.
var (
	ProcessSuspiciousExecs = Def{
		Name: "rtsec_process_suspicious_execs_total", Type: prometheus.CounterValue, Collector: "process",
		Help:   "Executions that look like an attack, by container and reason: stdio on a network socket (reverse shell), a memfd or deleted executable, an executable under a writable directory or in the container's writable layer, a program run through the dynamic loader, a shell with a terminal.",
		Labels: withIdentity(Label{Name: "reason", Values: SuspiciousExecReasons}),
	}
	ProcessClassExecs = Def{
		Name: "rtsec_process_class_execs_total", Type: prometheus.CounterValue, Collector: "process",
		Help: "Executions of binaries of a class (shell, network tool, miner…), by container; classes and their binary names come from --collector.process.classes-file. An exec whose arguments name a mining pool (stratum+tcp://…) also counts as class=\"miner\", whatever its name.",
		Labels: withIdentity(Label{
			Name: "class", Example: "shell",
			Bound: "the classes of --collector.process.classes-file (at most 32); built in: " + "shell, network_tool, remote_copy, package_manager, miner, recon, credential_search, user_mgmt, k8s_client, mount_tool, log_wiper",
		}),
	}
	PrivilegeChanges = Def{
		Name: "rtsec_privilege_changes_total", Type: prometheus.CounterValue, Collector: "process",
		Help:   "Privilege gains, by container and kind: set*id to root by a non-root task, a setuid-root exec by a non-root user, capset gaining capabilities, and a task that became root without either (kernel exploit).",
		Labels: withIdentity(Label{Name: "kind", Values: PrivilegeChangeKinds}),
	}
	SensitiveSyscalls = Def{
		Name: "rtsec_sensitive_syscalls_total", Type: prometheus.CounterValue, Collector: "process",
		Help: "Calls of syscalls used to escape containers, tamper with the kernel or other processes, by container, syscall and result (ok, denied: EPERM/EACCES, failed: other errors). ptrace counts attach, seize, poke and traceme requests; bpf counts program loads.",
		Labels: withIdentity(
			Label{Name: "syscall", Values: SensitiveSyscallNames},
			Label{Name: "result", Values: SyscallResults},
		),
	}
	CompatSyscalls = Def{
		Name: "rtsec_compat_syscalls_total", Type: prometheus.CounterValue, Collector: "process",
		Help:   "32-bit (ia32) syscalls on x86-64, by container and class: namespace (unshare, setns), privilege (set*id, capset), ptrace, bpf, mount (mount, umount, pivot_root), module (init/finit/delete_module, kexec_load), other. The kernel skips the per-syscall tracepoints for them, so the other process signals miss them (docs/process.md); off with --no-collector.process.compat-syscalls.",
		Labels: withIdentity(Label{Name: "class", Values: CompatSyscallClasses}),
	}
	Events = Def{
		Name: "rtsec_events_total", Type: prometheus.CounterValue, Collector: "events",
		Help:   "Events sent to the event log (--events.output) by the process and file collectors' programs, by type.",
		Labels: []Label{{Name: "type", Values: EventTypes}},
	}
	EventsLost = Def{
		Name: "rtsec_events_lost_total", Type: prometheus.CounterValue, Collector: "events",
		Help:   "Events not written to the event log, by cause: the in-kernel rate limits per CPU (--events.rate-limit) and per container (--events.container-rate-limit), a full ring buffer, or a failed write.",
		Labels: []Label{{Name: "cause", Values: EventLossCauses}},
	}
)
