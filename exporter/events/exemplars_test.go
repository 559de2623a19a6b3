package events

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/rtsec/rtsec/exporter/metricdef"
)

// exemplarOf attaches x's exemplar to a counter of def with labels and
// returns its event_id ("" for none).
func exemplarOf(t *testing.T, x *Exemplars, def metricdef.Def, labels ...string) string {
	t.Helper()
	m := x.Attach(prometheus.MustNewConstMetric(def.Desc(), prometheus.CounterValue, 1, labels...), def.Name, labels)
	var out dto.Metric
	if err := m.Write(&out); err != nil {
		t.Fatal(err)
	}
	e := out.GetCounter().GetExemplar()
	if e == nil {
		return ""
	}
	if e.GetValue() != 1 || e.GetTimestamp() == nil {
		t.Errorf("exemplar %v: want value 1 and the event's time", e)
	}
	for _, l := range e.GetLabel() {
		if l.GetName() == "event_id" {
			return l.GetValue()
		}
	}
	t.Errorf("exemplar %v has no event_id", e)
	return ""
}

func TestExemplars(t *testing.T) {
	x := NewExemplars(3)
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	ret := int64(-1)
	x.Add(Line{EventID: "a-1", Time: at, Type: "suspicious_exec", ContainerID: "c1", Reasons: []string{"memfd", "writable_dir"}})
	x.Add(Line{EventID: "a-2", Time: at.Add(time.Second), Type: "sensitive_syscall", ContainerID: "c1",
		Syscall: "unshare", Return: &ret, Result: "denied"})

	for _, c := range []struct {
		def    metricdef.Def
		labels []string
		want   string
	}{
		{metricdef.ProcessSuspiciousExecs, []string{"c1", "", "", "", "memfd"}, "a-1"},
		{metricdef.ProcessSuspiciousExecs, []string{"c1", "", "", "", "writable_dir"}, "a-1"},
		{metricdef.ProcessSuspiciousExecs, []string{"c1", "", "", "", "tty_shell"}, ""},
		{metricdef.ProcessSuspiciousExecs, []string{"c2", "", "", "", "memfd"}, ""},
		{metricdef.SensitiveSyscalls, []string{"c1", "", "", "", "unshare", "denied"}, "a-2"},
		{metricdef.SensitiveSyscalls, []string{"c1", "", "", "", "unshare", "ok"}, ""},
	} {
		if got := exemplarOf(t, x, c.def, c.labels...); got != c.want {
			t.Errorf("%s%v: exemplar event_id %q, want %q", c.def.Name, c.labels, got, c.want)
		}
	}

	// A later event replaces the series' exemplar; past max series the
	// oldest event is forgotten.
	x.Add(Line{EventID: "a-3", Time: at.Add(2 * time.Second), Type: "suspicious_exec", ContainerID: "c1", Reasons: []string{"memfd"}})
	x.Add(Line{EventID: "a-4", Time: at.Add(3 * time.Second), Type: "privilege_change", ContainerID: "c1", Kind: "setuid_root"})
	for _, c := range []struct {
		def    metricdef.Def
		labels []string
		want   string
	}{
		{metricdef.ProcessSuspiciousExecs, []string{"c1", "", "", "", "memfd"}, "a-3"},
		{metricdef.ProcessSuspiciousExecs, []string{"c1", "", "", "", "writable_dir"}, ""},
		{metricdef.PrivilegeChanges, []string{"c1", "", "", "", "setuid_root"}, "a-4"},
	} {
		if got := exemplarOf(t, x, c.def, c.labels...); got != c.want {
			t.Errorf("after more events, %s%v: exemplar event_id %q, want %q", c.def.Name, c.labels, got, c.want)
		}
	}
	if len(x.last) != 3 {
		t.Errorf("%d series remembered, want the bound 3", len(x.last))
	}

	// A file event through ".." is also counted as op traversal.
	x = NewExemplars(10)
	x.Add(Line{EventID: "f-1", Time: at, Type: "file_modification", ContainerID: "c1", PathClass: "etc_passwd", Op: "write", Traversal: true})
	for _, op := range []string{"write", "traversal"} {
		if got := exemplarOf(t, x, metricdef.FileModifications, "c1", "", "", "", "etc_passwd", op); got != "f-1" {
			t.Errorf("%s{path_class=etc_passwd, op=%s}: exemplar %q, want f-1", metricdef.FileModifications.Name, op, got)
		}
	}

	var none *Exemplars
	none.Add(Line{Type: "suspicious_exec", Reasons: []string{"memfd"}})
	if got := exemplarOf(t, none, metricdef.ProcessSuspiciousExecs, "c1", "", "", "", "memfd"); got != "" {
		t.Errorf("nil Exemplars attached %q", got)
	}
}

// Every event type names series of the metric that counts it, with its
// label values, so that exemplars land on real series.
func TestCountersMatchMetrics(t *testing.T) {
	ret := int64(0)
	lines := map[string]Line{
		"suspicious_exec":     {Reasons: []string{"memfd"}},
		"privilege_change":    {Kind: "capset"},
		"sensitive_syscall":   {Syscall: "bpf", Return: &ret, Result: "ok"},
		"file_modification":   {PathClass: "etc_passwd", Op: "write", Traversal: true},
		"file_sensitive_read": {FileClass: "shadow", Traversal: true},
		"compat_syscall":      {Class: "namespace", Syscall: "unshare"},
		"enforcement":         {Action: "killed", Signal: "suspicious_exec", Reasons: []string{"memfd"}},
	}
	for _, typ := range Types {
		l, ok := lines[typ.Name]
		if !ok {
			t.Errorf("no test line for event type %s", typ.Name)
			continue
		}
		for _, c := range typ.Counters(l) {
			def, err := metricdef.Lookup(c.Metric)
			if err != nil {
				t.Errorf("%s: %v", typ.Name, err)
				continue
			}
			labels := def.Labels[len(metricdef.Identity):]
			if len(labels) != len(c.Values) {
				t.Errorf("%s: %s values %v for labels %v", typ.Name, c.Metric, c.Values, labels)
				continue
			}
			for i, v := range c.Values {
				// Labels without a fixed set (file classes) take any value.
				if labels[i].Values != nil && !slices.Contains(labels[i].Values, v) {
					t.Errorf("%s: %s{%s=%q} is not a value of the label", typ.Name, c.Metric, labels[i].Name, v)
				}
			}
		}
	}
	if got := fmt.Sprintln(syscallResult(0), syscallResult(-1), syscallResult(-13), syscallResult(-2)); got != "ok denied denied failed\n" {
		t.Errorf("syscall results of 0, -EPERM, -EACCES, -ENOENT: %s", got)
	}
}
