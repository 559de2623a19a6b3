package metricdef

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/rtsec/rtsec/bpf/enums"
)

// Label values of the resources metrics.
var (
	CPUModes = []string{"user", "system"}
	// MemoryEventNames mirror exporter/cgroupstat.MemoryEvents.
	MemoryEventNames = []string{"high", "max", "oom", "oom_kill"}
	// ForkKinds are enum fork of bpf/src/resources.bpf.c.
	ForkKinds = enums.ForkNames
	// ExitSignals are the fatal signals counted by name; the rest count as
	// "other".
	ExitSignals = []string{"SIGHUP", "SIGINT", "SIGQUIT", "SIGILL", "SIGTRAP", "SIGABRT", "SIGBUS", "SIGFPE", "SIGKILL", "SIGUSR1", "SIGSEGV", "SIGUSR2", "SIGPIPE", "SIGALRM", "SIGTERM", "SIGXCPU", "SIGXFSZ", "SIGSYS", "other"}
)

func resourcesDef(name string, typ prometheus.ValueType, help string, labels ...Label) Def {
	return Def{Name: name, Type: typ, Collector: "resources", Help: help, Labels: withIdentity(labels...)}
}

// Resource use of each live container, read from its cgroup files at scrape
// (cgroup v2, or the v1 controllers of a hybrid node), and the fork, signal
// exit and OOM kill counts of the kernel's scheduler and mm tracepoints.
var (
	ContainerCPUSeconds = resourcesDef("rtsec_container_cpu_seconds_total", prometheus.CounterValue,
		"CPU time the container's processes used, by mode (cgroup v2 cpu.stat user_usec, system_usec).",
		Label{Name: "mode", Values: CPUModes})
	ContainerCPUQuota = resourcesDef("rtsec_container_cpu_quota_cores", prometheus.GaugeValue,
		"CPU quota of the container in cores (quota ÷ period of cpu.max, or cpu.cfs_quota_us on a v1 hierarchy); absent without a quota.")
	ContainerCPUPeriods = resourcesDef("rtsec_container_cpu_periods_total", prometheus.CounterValue,
		"CFS enforcement periods in which the container ran with a quota (cpu.stat nr_periods); the series appears at the first one.")
	ContainerCPUThrottledPeriods = resourcesDef("rtsec_container_cpu_throttled_periods_total", prometheus.CounterValue,
		"Enforcement periods in which the container used its whole quota and was throttled (cpu.stat nr_throttled); the series appears at the first one.")
	ContainerCPUThrottledSeconds = resourcesDef("rtsec_container_cpu_throttled_seconds_total", prometheus.CounterValue,
		"Time the container's tasks were throttled by its quota (cpu.stat throttled_usec, or throttled_time on a v1 hierarchy); the series appears at the first one.")
	ContainerMemory = resourcesDef("rtsec_container_memory_bytes", prometheus.GaugeValue,
		"Memory charged to the container now (memory.current, or memory.usage_in_bytes on a v1 hierarchy).")
	ContainerMemoryPeak = resourcesDef("rtsec_container_memory_peak_bytes", prometheus.GaugeValue,
		"Highest memory charged to the container since it started (memory.peak, or memory.max_usage_in_bytes on a v1 hierarchy).")
	ContainerMemoryLimit = resourcesDef("rtsec_container_memory_limit_bytes", prometheus.GaugeValue,
		"Memory limit of the container (memory.max, or memory.limit_in_bytes on a v1 hierarchy); absent without a limit.")
	ContainerMemoryEvents = resourcesDef("rtsec_container_memory_events_total", prometheus.CounterValue,
		"Memory events of the container (memory.events): high (over memory.high), max (charges refused at the limit), oom (limit hit and reclaim failed), oom_kill (processes killed by the OOM killer). A v1 hierarchy has max (memory.failcnt) and oom_kill only; the series appears at the first one.",
		Label{Name: "event", Values: MemoryEventNames})
	ContainerPids = resourcesDef("rtsec_container_pids", prometheus.GaugeValue,
		"Tasks (processes and threads) in the container now (pids.current).")
	ContainerPidsLimit = resourcesDef("rtsec_container_pids_limit", prometheus.GaugeValue,
		"Task limit of the container (pids.max); absent without a limit.")
	ContainerPidsLimitHits = resourcesDef("rtsec_container_pids_limit_hits_total", prometheus.CounterValue,
		"Forks refused because the container was at its task limit (pids.events max); the series appears at the first one.")
	ContainerForksRefused = resourcesDef("rtsec_container_forks_refused_total", prometheus.CounterValue,
		"Forks and clones of the container's processes that failed with EAGAIN: refused at a pids limit (the container's or an ancestor's, e.g. its pod's), by RLIMIT_NPROC or at the system's threads-max. Counted in the kernel, so a container gone before the next scrape keeps its count; the series appears at the first one.")
	ContainerForks = resourcesDef("rtsec_container_forks_total", prometheus.CounterValue,
		"New tasks created in the container (sched_process_fork), by kind: process (fork, or clone without CLONE_THREAD) or thread.",
		Label{Name: "kind", Values: ForkKinds})
	ContainerSignalExits = resourcesDef("rtsec_container_signal_exits_total", prometheus.CounterValue,
		"Processes of the container that died of a signal (their last thread's exit in sched_process_exit), by signal.",
		Label{Name: "signal", Values: ExitSignals})
	ContainerOOMKills = resourcesDef("rtsec_container_oom_kills_total", prometheus.CounterValue,
		"Processes of the container chosen by the OOM killer (oom:mark_victim), counted in the kernel against the victim's cgroup, so they are kept after its cgroup is gone.")
)
