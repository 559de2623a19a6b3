package collector

import (
	"testing"
	"time"

	"github.com/rtsec/rtsec/bpf"
	"github.com/rtsec/rtsec/bpf/enums"
	"github.com/rtsec/rtsec/exporter/bpfprog/bpfprogtest"
	"github.com/rtsec/rtsec/exporter/classes"
	"github.com/rtsec/rtsec/exporter/metricdef"
)

var signalMetrics = []string{
	metricdef.ProcessSuspiciousExecs.Name, metricdef.ProcessClassExecs.Name,
	metricdef.PrivilegeChanges.Name, metricdef.SensitiveSyscalls.Name,
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
		// Two cgroups of one host actor class sum.
		signalKey(ssh, enums.SignalExecClass, shell):                                                      2,
		signalKey(cron, enums.SignalExecClass, shell):                                                     5,
		signalKey(session, enums.SignalPrivilegeChange, 0):                                                1,
		signalKey(hostRootID, enums.SignalSensitiveSyscall, syscall(enums.ScSetns, enums.ScResultFailed)): 1,
		// Unknown to the exporter: no series.
		signalKey(web, enums.SignalSuspiciousExec, uint16(len(enums.ReasonNames))):               9,
		signalKey(web, enums.SignalExecClass, uint16(len(list.Classes)+1)):                       9,
		signalKey(web, enums.SignalSensitiveSyscall, syscall(enums.ScPtrace, enums.ScResults-1)): 9,
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
