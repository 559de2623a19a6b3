package e2e

import "github.com/rtsec/rtsec/test/runc"

// Alerts of the resource scenarios (mixin/alerts/resources.libsonnet).
const (
	cryptojackingAlert  = "RtsecCryptojackingCPU"
	forkBombAlert       = "RtsecForkBomb"
	oomLoopAlert        = "RtsecOOMLoop"
	memoryForecastAlert = "RtsecMemoryExhaustionForecast"
)

// resourceOverrides shorten the resource alerts' clocks in the e2e rules,
// appended to Overrides: full CPU for 10 s instead of 10 min, a forecast
// over the last minute two minutes ahead.
const resourceOverrides = `+ {
  _config+:: {
    forecastWindow: '1m',
    forecastHorizon: '2m',
    forkBombWindow: '1m',
    alerts+: {
      RtsecCryptojackingCPU+: { 'for': '10s' },
      RtsecCPUAnomaly+: { 'for': '10s' },
      RtsecMemoryExhaustionForecast+: { 'for': '0m' },
      RtsecPidsExhaustionForecast+: { 'for': '0m' },
    },
  },
}
`

// cpuQuota is a tenth of a core: a burner reaches 90 % of it even on a
// loaded test machine, as a miner reaches its pod's quota.
var cpuQuota = runc.Limits{CPUQuota: 10000, CPUPeriod: 100000}

// kworker is the miner of resources-cryptojacking: a shell script (echo
// and read are builtins, so the pool is in no exec's arguments).
var kworker = []byte(`#!/bin/sh
echo '{"url": "stratum+tcp://pool.invalid:3333", "user": "wallet"}' > /tmp/config.json
read cfg < /tmp/config.json
while :; do :; done
`)

// The scenarios of the resource signals, added to the table.
func init() {
	Scenarios = append(Scenarios, resourceScenarios...)
}

// noVariants is why the CPU and memory scenarios run late only: their
// signals are usage sustained over seconds to minutes (CPU at the quota, a
// leak growing to its limit), which a container that exits within 5 s never
// shows. From an entrypoint, a miner's full CPU is the workload's own
// startup: only a miner-like sign (its name, a pool connection, a binary it
// wrote itself) or the CPU anomaly against last week tells it, and those
// signs have scenarios of their own (miner-class, network-mining-*,
// fileless-exec).
const noVariants = "resource abuse is usage sustained over time, which a container that exits within 5 s never shows; a miner that is the entrypoint is told by its name, pool or self-written binary (their own scenarios), not by its CPU"

var resourceScenarios = []Scenario{
	{
		Name: "resources-cryptojacking",
		Description: "A CPU burner named kworker, dropped in /opt/.cache, started after the container's startup: it writes its pool " +
			"(stratum+tcp://…) to a config file and reads it back, so no miner name, no pool in any exec's arguments and no " +
			"connection; it runs at its 0.1-core quota.",
		Container: runc.Options{Limits: cpuQuota, Files: map[string][]byte{"opt/.cache/kworker": kworker}},
		Action: func(e *Env) {
			e.Exec("sh", "-c", "(/opt/.cache/kworker </dev/null >/dev/null 2>&1 &)")
		},
		NoVariants: noVariants,
		Expect:     []Match{Named(cryptojackingAlert, "severity", "critical")},
		Forbid:     []Match{Named(forkBombAlert), Named(oomLoopAlert), Named(minerClassAlert)},
	},
	{
		Name:        "resources-fork-bomb",
		Description: "A shell fork bomb (f(){ f|f& }; f) in a container with pids.max=64: forks refused at the limit while the survivors fork on.",
		Container:   runc.Options{Limits: runc.Limits{Pids: 64}},
		// A bomb fills its limit within milliseconds: from the entrypoint's first second, and in a container that
		// exits and is deleted right after, it is counted as well (its refused forks by the kernel, as its
		// pids.events is gone with it). The step lasts a second, the bomb's time to fill its limit on a loaded
		// node before a short-lived container exits; its sleep is forked before the bomb takes every pid.
		Steps:  []Step{Cmd("sh", "-c", `sleep 1 & (sh -c 'f(){ f|f& }; f' </dev/null >/dev/null 2>&1 &); wait`)},
		Expect: []Match{Named(forkBombAlert, "severity", "critical")},
		Forbid: []Match{Named(oomLoopAlert)},
	},
	{
		Name: "resources-oom-loop",
		Description: "In a container with memory.max=16MiB, shell strings that double until the OOM killer kills them, four " +
			"times in a row: a memory bomb (or a crash loop) whose kills the kernel counts, so a container that exits " +
			"right after is counted as well.",
		Container: runc.Options{Limits: runc.Limits{MemoryBytes: 16 << 20}},
		Steps:     []Step{TryCmd("sh", "-c", `i=0; while [ $i -lt 4 ]; do /bin/sh -c 'x=0123456789abcdef; while :; do x="$x$x"; done'; i=$((i+1)); done`)},
		Expect:    []Match{Named(oomLoopAlert)},
		Forbid:    []Match{Named(cryptojackingAlert), Named(forkBombAlert)},
	},
	{
		Name: "resources-memory-balloon",
		Description: "In a container with memory.max=32MiB, a balloon grows 1 MiB a second in /dev/shm (a steady leak the forecast " +
			"must see before the limit), then shell strings that double until the OOM killer kills them, four times.",
		Container: runc.Options{Limits: runc.Limits{MemoryBytes: 32 << 20}},
		Action: func(e *Env) {
			e.Exec("sh", "-c", `i=0; while [ $i -lt 22 ]; do /bin/dd if=/dev/zero of=/dev/shm/b$i bs=1M count=1 2>/dev/null; i=$((i+1)); sleep 1; done; /bin/rm -f /dev/shm/b*`)
			e.Try("sh", "-c", `i=0; while [ $i -lt 4 ]; do /bin/sh -c 'x=0123456789abcdef; while :; do x="$x$x"; done'; i=$((i+1)); done`)
		},
		NoVariants: noVariants,
		Expect:     []Match{Named(memoryForecastAlert), Named(oomLoopAlert)},
		Forbid:     []Match{Named(cryptojackingAlert), Named(forkBombAlert)},
	},
	{
		Name: "resources-benign-batch",
		Description: "A CPU-heavy batch job: its entrypoint runs at its full 0.1-core quota from the container's start, " +
			"and nothing else runs in it. Full CPU alone is no cryptojacking.",
		Benign:    true,
		Container: runc.Options{Limits: cpuQuota, Args: []string{"sh", "-c", "while :; do :; done"}},
		Action:    func(*Env) {},
		Forbid:    firstReplica,
	},
}
