// Package privileges is rtsec's capability set: which Linux capability each
// feature needs, at startup and at run time, and the drop of every other
// capability once the BPF programs are attached.
package privileges

import (
	"slices"

	"golang.org/x/sys/unix"
)

// Keep says whether a capability is kept once the programs are attached.
type Keep int

const (
	// StartupOnly capabilities are dropped once the programs are attached.
	StartupOnly Keep = iota
	// Always capabilities are kept for work done at scrape time.
	Always
	// OldKernels capabilities are kept only where every bpf() command,
	// even on a map the process already holds, needs CAP_BPF: before Linux
	// 6.5 with unprivileged BPF disabled (the usual setting).
	OldKernels
)

// Capability is one Linux capability rtsec asks for, and why.
type Capability struct {
	// Name is the kernel's name, e.g. "CAP_BPF"; Kubernetes and systemd
	// spell it without (Kubernetes) or with (systemd) the prefix.
	Name string
	// Bit is the capability's number.
	Bit int
	// Load marks the capabilities that load and attach the programs; without
	// them the exporter refuses to start, and CAP_SYS_ADMIN replaces them.
	Load bool
	// Keep says whether the exporter keeps it after startup.
	Keep Keep
	// Collector, when not "", is the one collector that needs it: it is
	// required and kept only while that collector is enabled.
	Collector string
	// Why says what needs it.
	Why string
	// Missing says what degrades without it (for capabilities not in Load).
	Missing string
}

// Documented is rtsec's capability set, measured on Linux 6.18 as a
// non-root user holding exactly these (see docs/deploy.md). The
// Kubernetes DaemonSet, the systemd unit and the least-privilege tests use
// this list; the tests fail when either disagrees with it.
var Documented = []Capability{
	{
		Name: "CAP_BPF", Bit: unix.CAP_BPF, Load: true, Keep: OldKernels,
		Why: "create BPF maps and load programs; on kernels before 6.5 with unprivileged BPF disabled, also every map read at scrape time",
	},
	{
		Name: "CAP_PERFMON", Bit: unix.CAP_PERFMON, Load: true, Keep: StartupOnly,
		Why: "load tracing programs (they read kernel memory) and attach them to tracepoints",
	},
	{
		Name: "CAP_DAC_READ_SEARCH", Bit: unix.CAP_DAC_READ_SEARCH, Keep: Always,
		Why:     "open cgroups by id (open_by_handle_at); when not root, also read tracefs (mode 0700) at startup and runc state files under /run/runc (mode 0700) at scrape time",
		Missing: "cgroup ids resolve by walking the cgroup tree, which is slower; when not root, tracefs and runc state files are unreadable",
	},
	{
		Name: "CAP_SYS_PTRACE", Bit: unix.CAP_SYS_PTRACE, Keep: Always, Collector: "posture",
		Why:     "read /proc/<pid>/ns of container processes owned by other users or holding capabilities the exporter lacks",
		Missing: "the namespaces of other users' and more privileged processes are unreadable",
	},
}

// Required returns the documented capabilities the enabled collectors need.
func Required(collectors []string) []Capability {
	var out []Capability
	for _, c := range Documented {
		if c.Collector == "" || slices.Contains(collectors, c.Collector) {
			out = append(out, c)
		}
	}
	return out
}

// Runtime returns the capabilities kept after startup, on this kernel, for
// the enabled collectors.
func Runtime(collectors []string) []Capability {
	var out []Capability
	for _, c := range Required(collectors) {
		if c.Keep == Always || c.Keep == OldKernels && bpfCommandsNeedCap() {
			out = append(out, c)
		}
	}
	return out
}

// Mask returns caps as a capability bit mask, as /proc/PID/status shows it.
func Mask(caps []Capability) uint64 {
	var m uint64
	for _, c := range caps {
		m |= 1 << c.Bit
	}
	return m
}

// Names returns the names of caps, in order.
func Names(caps []Capability) []string {
	out := make([]string, len(caps))
	for i, c := range caps {
		out[i] = c.Name
	}
	return out
}
