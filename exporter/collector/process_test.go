package collector

import (
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/rtsec/rtsec/bpf"
	"github.com/rtsec/rtsec/bpf/enums"
	"github.com/rtsec/rtsec/exporter/bpfprog/bpfprogtest"
	"github.com/rtsec/rtsec/exporter/classes"
	"github.com/rtsec/rtsec/exporter/container"
	"github.com/rtsec/rtsec/exporter/events"
	"github.com/rtsec/rtsec/exporter/metricdef"
)

// execKey is the exec_counts key of a binary name, its bytes as the kernel
// copied them (NUL-padded, or not at all at the full length).
func execKey(cgroup uint64, name string) bpf.ProcessExecKey {
	k := bpf.ProcessExecKey{CgroupId: cgroup}
	for i := range min(len(name), len(k.Binary)) {
		k.Binary[i] = int8(name[i])
	}
	return k
}

// processKernel is the process object's map contents a test starts from.
type processKernel struct {
	counts  map[bpf.ProcessExecKey]uint64
	budgets map[uint64]bpf.ProcessExecBudget
	stats   map[uint32]uint64 // exec_stats
	signals map[bpf.ProcessSignalKey]uint64
	// signalStats is signal_stats.
	signalStats map[uint32]uint64
}

// newTestProcess returns the process collector of the node over maps
// holding k, and the maps.
func newTestProcess(t *testing.T, n *node, k processKernel) (*processCollector, processMaps) {
	t.Helper()
	list, err := classes.Load("")
	if err != nil {
		t.Fatal(err)
	}
	maps := processMaps{
		execCounts:   bpfprogtest.Hash(65536, k.counts),
		execBudgets:  bpfprogtest.Hash(16384, k.budgets),
		execStats:    bpfprogtest.PerCPUArray(8, k.stats),
		hostCgroups:  bpfprogtest.Hash(4096, map[uint64]uint8{}),
		signalCounts: bpfprogtest.Hash(32768, k.signals),
		signalStats:  bpfprogtest.PerCPUArray(8, k.signalStats),
	}
	return newProcess(maps, list, slog.New(slog.DiscardHandler), n.resolver, events.NewExemplars(maxExemplars), nil), maps
}

var processMetrics = []string{metricdef.ProcessExecs.Name, metricdef.LabelOverflows.Name, metricdef.BPFMapInsertFailures.Name}

// Counts per container and host actor class: the cgroups of one identity
// summed, the kernel's own overflow as "_other", the kernel's full maps.
// A host cgroup gets the host's name budget in the kernel once resolved.
func TestProcessGolden(t *testing.T) {
	n := newNode(t, time.Hour, nil, nil)
	web, job, ssh, cron, session := n.id(t, cgWeb), n.id(t, cgJob), n.id(t, cgSSH), n.id(t, cgCron), n.id(t, cgSession)
	c, maps := newTestProcess(t, n, processKernel{
		counts: map[bpf.ProcessExecKey]uint64{
			execKey(web, "sh"): 3, execKey(web, "nginx"): 1,
			execKey(job, "sh"):   2,
			execKey(ssh, "sshd"): 4, execKey(ssh, "sh"): 1, execKey(cron, "cron"): 1, execKey(cron, "sh"): 2,
			execKey(session, "bash"):        2,
			execKey(hostRootID, "modprobe"): 1,
		},
		budgets: map[uint64]bpf.ProcessExecBudget{web: {Used: 2}, job: {Used: 64, Dropped: 5}, ssh: {Used: 2}},
		stats:   map[uint32]uint64{enums.StatExecOverflow: 5, enums.StatExecCountsFull: 1, enums.StatExecBudgetFull: 2},
		signalStats: map[uint32]uint64{
			enums.StatSignalCountsFull: 3,
		},
	})
	assertGolden(t, &scrape{c: c}, "process", processMetrics...)

	hosts := maps.hostCgroups.(*bpfprogtest.Map)
	for path, id := range map[string]uint64{cgSSH: ssh, cgCron: cron, cgSession: session} {
		if !hosts.Has(id) {
			t.Errorf("host cgroup %s was not given the host's name budget in the kernel", path)
		}
	}
	if hosts.Has(web) || hosts.Has(job) || hosts.Len() != 3 {
		t.Errorf("host_cgroups holds %d cgroups, want the 3 host cgroups and no container", hosts.Len())
	}
}

// setBudgets sets the name budgets for one test.
func setBudgets(t *testing.T, container, host uint32) {
	t.Helper()
	old, oldHost := *binaryBudget, *hostBinaryBudget
	*binaryBudget, *hostBinaryBudget = container, host
	t.Cleanup(func() { *binaryBudget, *hostBinaryBudget = old, oldHost })
}

// The exporter's budget caps the union of an identity's cgroups: names
// past it are folded into "_other" and counted in rtsec_label_overflows_total
// with the kernel's own overflows; a name admitted keeps its series, one
// folded stays folded as its count grows.
func TestProcessBudgetGolden(t *testing.T) {
	setBudgets(t, 2, 3)
	sub := cgWeb + "/sub"
	n := newNode(t, time.Hour, nil, nil, sub)
	// The first cgroup of an identity has its names admitted first.
	webs, hosts := n.ordered(t, cgWeb, sub), n.ordered(t, cgSSH, cgCron)
	first, second := n.id(t, webs[0]), n.id(t, webs[1])
	hostFirst, hostSecond := n.id(t, hosts[0]), n.id(t, hosts[1])
	k := processKernel{
		counts: map[bpf.ProcessExecKey]uint64{
			execKey(first, "a"): 1, execKey(first, "b"): 2,
			execKey(second, "c"): 4, execKey(second, "d"): 1,
			execKey(hostFirst, "h1"): 1, execKey(hostFirst, "h2"): 1,
			execKey(hostSecond, "h3"): 1, execKey(hostSecond, "h4"): 3,
		},
		budgets: map[uint64]bpf.ProcessExecBudget{first: {Used: 2, Dropped: 7}},
		stats:   map[uint32]uint64{enums.StatExecOverflow: 7},
	}
	c, maps := newTestProcess(t, n, k)
	assertGolden(t, &scrape{c: c}, "process_budget", processMetrics...)

	// c grows, a admitted name grows, a new name comes to the first cgroup.
	for key, v := range map[bpf.ProcessExecKey]uint64{execKey(second, "c"): 10, execKey(first, "a"): 5, execKey(first, "e"): 1} {
		if err := maps.execCounts.Put(key, v); err != nil {
			t.Fatal(err)
		}
	}
	assertGolden(t, &scrape{c: c}, "process_budget_sticky", processMetrics...)
}

// A gone container keeps its series until a scrape has exported them and
// its gone-grace has passed; then the reaper's Forget deletes its kernel
// entries and its series go. A host cgroup that goes keeps its actor
// class's sums (no counter reset).
func TestProcessForgetGolden(t *testing.T) {
	for _, grace := range []time.Duration{0, time.Hour} {
		t.Run(grace.String(), func(t *testing.T) {
			n := newNode(t, grace, nil, nil)
			web, job, ssh, cron := n.id(t, cgWeb), n.id(t, cgJob), n.id(t, cgSSH), n.id(t, cgCron)
			proc, maps := newTestProcess(t, n, processKernel{
				counts: map[bpf.ProcessExecKey]uint64{
					execKey(web, "sh"): 3, execKey(job, "sh"): 2, execKey(job, "make"): 1,
					execKey(ssh, "sh"): 1, execKey(cron, "sh"): 2, execKey(cron, "cron"): 1,
				},
				budgets: map[uint64]bpf.ProcessExecBudget{web: {Used: 1}, job: {Used: 2}, ssh: {Used: 1}, cron: {Used: 2}},
			})
			r := newRegistry(slog.New(slog.DiscardHandler), n.resolver, map[string]Collector{
				"process": proc, "container": newContainer(n.resolver),
			})
			names := []string{metricdef.ProcessExecs.Name, metricdef.ContainerInfo.Name}
			reap := func() {
				// What the exporter's reaper does every 10 s.
				r.ResolveKeys()
				r.Forget(n.resolver.Expired())
			}
			reap()
			assertGolden(t, unchecked{r}, "process_forget_before", names...)

			n.remove(t, cgJob)
			n.remove(t, cgCron)
			// Seen gone, not yet exported since: kept whatever the grace,
			// its kernel entries too.
			reap()
			reap()
			if !maps.execCounts.(*bpfprogtest.Map).Has(execKey(job, "make")) {
				t.Fatal("a gone container was forgotten before a scrape exported its last counts")
			}
			assertGolden(t, unchecked{r}, "process_forget_before", names...)
			reap()
			if grace > 0 {
				assertGolden(t, unchecked{r}, "process_forget_before", names...)
				return
			}
			assertGolden(t, unchecked{r}, "process_forget_after", names...)
			counts := maps.execCounts.(*bpfprogtest.Map)
			for _, k := range []bpf.ProcessExecKey{execKey(job, "sh"), execKey(job, "make"), execKey(cron, "sh")} {
				if counts.Has(k) {
					t.Errorf("exec_counts still holds %q of forgotten cgroup %d", binaryName(k.Binary[:]), k.CgroupId)
				}
			}
			if maps.execBudgets.(*bpfprogtest.Map).Has(job) || maps.hostCgroups.(*bpfprogtest.Map).Has(cron) {
				t.Error("the budget or host budget entries of forgotten cgroups are still in the kernel")
			}
			if !counts.Has(execKey(web, "sh")) || !maps.hostCgroups.(*bpfprogtest.Map).Has(ssh) {
				t.Error("the entries of cgroups still alive were deleted")
			}
		})
	}
}

// Label values from hostile binary and container names stay valid: bytes
// that are not UTF-8 replaced, quotes, backslashes and newlines escaped,
// a name as long as the kernel's buffer kept whole, container names cut
// to a label's bound.
func TestProcessHostileGolden(t *testing.T) {
	const runcID = 1 << 40
	n := newNode(t, time.Hour, metadata{hexJob: hostileMetadata}, map[uint64]container.RecordedCgroup{
		runcID: {Path: "/ctr\"quote\\back\nline\xff", Creator: "runc"},
	})
	job := n.id(t, cgJob)
	names := []string{`sh"quote`, "new\nline", `back\slash`, "\xff\xfeinvalid", strings.Repeat("x", 32), " sh", "tab\there"}
	counts := map[bpf.ProcessExecKey]uint64{}
	for i, name := range names {
		counts[execKey(job, name)] = uint64(i + 1)
		counts[execKey(runcID, name)] = 1
	}
	c, _ := newTestProcess(t, n, processKernel{counts: counts})
	assertGolden(t, &scrape{c: c}, "process_hostile", metricdef.ProcessExecs.Name)
}

var signalMetrics = []string{
	metricdef.ProcessSuspiciousExecs.Name, metricdef.ProcessClassExecs.Name,
	metricdef.PrivilegeChanges.Name, metricdef.SensitiveSyscalls.Name, metricdef.CompatSyscalls.Name,
}

func signalKey(cgroup uint64, signal, value uint16) bpf.ProcessSignalKey {
	return bpf.ProcessSignalKey{CgroupId: cgroup, Signal: signal, Value: value}
}

// The process signals by label value, summed per identity; kernel values
// the exporter does not know (a newer object's) are left out, not
// exported as a wrong name.
func TestSignalsGolden(t *testing.T) {
	n := newNode(t, time.Hour, nil, nil)
	web, job, ssh, cron, session := n.id(t, cgWeb), n.id(t, cgJob), n.id(t, cgSSH), n.id(t, cgCron), n.id(t, cgSession)
	list, err := classes.Load("")
	if err != nil {
		t.Fatal(err)
	}
	shell, miner := uint16(list.ID(classes.Shell)), uint16(list.ID(classes.Miner))
	syscall := func(sc, result uint16) uint16 { return sc*enums.ScResults + result }
	c, _ := newTestProcess(t, n, processKernel{signals: map[bpf.ProcessSignalKey]uint64{
		signalKey(web, enums.SignalSuspiciousExec, enums.ReasonStdioSocket):                         1,
		signalKey(web, enums.SignalSuspiciousExec, enums.ReasonMemfd):                               2,
		signalKey(web, enums.SignalExecClass, shell):                                                3,
		signalKey(job, enums.SignalExecClass, miner):                                                1,
		signalKey(job, enums.SignalPrivilegeChange, enums.PrivCapset):                               1,
		signalKey(job, enums.SignalSensitiveSyscall, syscall(enums.ScPtrace, enums.ScResultDenied)): 4,
		signalKey(job, enums.SignalSensitiveSyscall, syscall(enums.ScMount, enums.ScResultOk)):      1,
		signalKey(job, enums.SignalCompatSyscall, enums.CompatNamespace):                            2,
		signalKey(job, enums.SignalCompatSyscall, enums.CompatOther):                                30,
		// Two cgroups of one host actor class sum.
		signalKey(ssh, enums.SignalExecClass, shell):                                                      2,
		signalKey(cron, enums.SignalExecClass, shell):                                                     5,
		signalKey(session, enums.SignalPrivilegeChange, 0):                                                1,
		signalKey(hostRootID, enums.SignalSensitiveSyscall, syscall(enums.ScSetns, enums.ScResultFailed)): 1,
		// Unknown to the exporter: no series.
		signalKey(web, enums.SignalSuspiciousExec, uint16(len(enums.ReasonNames))):               9,
		signalKey(web, enums.SignalExecClass, uint16(len(list.Classes)+1)):                       9,
		signalKey(web, enums.SignalSensitiveSyscall, syscall(enums.ScPtrace, enums.ScResults-1)): 9,
		signalKey(web, enums.SignalCompatSyscall, uint16(len(enums.CompatNames))):                9,
		signalKey(web, 99, 0): 9,
	}})
	assertGolden(t, &scrape{c: c}, "signals", signalMetrics...)
}

// The sensitive syscalls' series of a gone container go with it, while
// the host's sums stay.
func TestSignalsForgetGolden(t *testing.T) {
	n := newNode(t, 0, nil, nil)
	job, ssh, cron := n.id(t, cgJob), n.id(t, cgSSH), n.id(t, cgCron)
	c, maps := newTestProcess(t, n, processKernel{signals: map[bpf.ProcessSignalKey]uint64{
		signalKey(job, enums.SignalPrivilegeChange, enums.PrivCapset):  1,
		signalKey(ssh, enums.SignalPrivilegeChange, enums.PrivCapset):  2,
		signalKey(cron, enums.SignalPrivilegeChange, enums.PrivCapset): 3,
	}})
	s := &scrape{c: c}
	assertGolden(t, s, "signals_forget_before", metricdef.PrivilegeChanges.Name)
	if err := c.Forget(map[uint64]bool{job: true, cron: true}); err != nil {
		t.Fatal(err)
	}
	if m := maps.signalCounts.(*bpfprogtest.Map); m.Len() != 1 {
		t.Errorf("signal_counts holds %d entries after Forget, want the one of the cgroup alive", m.Len())
	}
	assertGolden(t, s, "signals_forget_after", metricdef.PrivilegeChanges.Name)
}
