package enforce

import (
	"strings"
	"testing"

	"github.com/rtsec/rtsec/exporter/container"
)

var vocabulary = Vocabulary{Classes: []string{"shell", "miner"}, FileClasses: []string{"cgroup_release_agent", "other", "proc_exe", "etc_passwd", "etc_ld_preload"}}

func TestParseErrorsNameTheLine(t *testing.T) {
	for _, tc := range []struct{ policy, want string }{
		{"rules:\n  - name: a\n    action: kil\n", "line 3: rule \"a\": action \"kil\""},
		{"rules:\n  - name: a\n    action: kill\n    signals:\n      suspicious_exec: [memfd]\n      process_clas: [miner]\n    where:\n      - host: true\n", "line 6: rule \"a\": unknown signal \"process_clas\""},
		{"rules:\n  - name: a\n    action: kill\n    signals:\n      process_class: [miner, nope]\n    where:\n      - host: true\n", "line 5: rule \"a\": process_class: unknown value \"nope\""},
		{"rules:\n  - name: a\n    action: kill\n    signals:\n      process_class: [miner]\n    where:\n      - {}\n", "line 7: rule \"a\": empty selector"},
		{"rules:\n  - name: a\n    action: kill\n    signals:\n      process_class: [miner]\n    where:\n      - host: true\n        container: x\n", "line 7: rule \"a\": a host selector"},
		{"rules:\n  - name: a\n    action: kill\n    signals:\n      process_class: [miner]\n", "line 2: rule \"a\": no where"},
		{"rules:\n  - name: a\n    actoin: kill\n", "line 3: field actoin not found"},
		{"rules:\n  - name: a\n    action: kill\n    signals:\n      file_modification: [etc_ld_preload, ld_so_preload]\n    where:\n      - host: true\n", "line 5: rule \"a\": file_modification: unknown value \"ld_so_preload\""},
		{"rules: []\n", "line 1: no rules"},
		{"rules:\n  - name: a\n    action: kill\n    signals: {process_class: [miner]}\n    where: [{host: true}]\n  - name: a\n    action: kill\n    signals: {process_class: [miner]}\n    where: [{host: true}]\n", "line 6: rule name \"a\" used twice"},
	} {
		_, err := Parse(strings.NewReader(tc.policy), vocabulary)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Parse(%q) = %v, want an error containing %q", tc.policy, err, tc.want)
		}
	}
}

func TestPolicyFor(t *testing.T) {
	p, err := Parse(strings.NewReader(`rules:
  - name: kill-miners
    action: kill
    signals:
      process_class: [miner]
      suspicious_exec: [memfd, stdio_socket]
    where:
      - namespace: prod
        pod: "web-*"
  - name: watch-host
    action: dry-run
    signals:
      suspicious_exec: [memfd]
    where:
      - host: true
`), vocabulary)
	if err != nil {
		t.Fatal(err)
	}
	web := container.Identity{ID: "c1", Namespace: "prod", Pod: "web-1"}
	if got := p.For(web, nil); got.Kill[2] != 1<<1 || got.Kill[1] != 1<<0|1<<1 || got.DryRun != [6]uint32{} {
		t.Errorf("For(web) = %+v", got)
	}
	for _, id := range []container.Identity{{ID: "c2", Namespace: "dev", Pod: "web-1"}, {ID: "c3", Namespace: "prod", Pod: "db-1"}} {
		if got := p.For(id, nil); got != (Actions{}) {
			t.Errorf("For(%+v) = %+v, want nothing", id, got)
		}
	}
	if got := p.For(container.Identity{}, nil); got.DryRun[1] != 1<<1 || got.Kill != [6]uint32{} {
		t.Errorf("For(host) = %+v", got)
	}
	if got := p.RuleFor(web, nil, 2, 1, true); got != "kill-miners" {
		t.Errorf("RuleFor(web, miner) = %q", got)
	}
	if got := p.RuleFor(container.Identity{}, nil, 1, 1, false); got != "watch-host" {
		t.Errorf("RuleFor(host, memfd, dry run) = %q", got)
	}
}

// file_modification values are the path classes, as bits of their kernel
// ids (class id - 1), in the files object's signal slot.
func TestPolicyFileModification(t *testing.T) {
	p, err := Parse(strings.NewReader("rules:\n  - name: f\n    action: kill\n    signals:\n      file_modification: [cgroup_release_agent, etc_ld_preload]\n    where:\n      - container_id: \"*\"\n"), vocabulary)
	if err != nil {
		t.Fatal(err)
	}
	if got := p.For(container.Identity{ID: "c1"}, nil); got.Kill[5] != 1<<0|1<<4 {
		t.Errorf("For(c1).Kill[5] = %#b, want cgroup_release_agent and etc_ld_preload", got.Kill[5])
	}
}

// pod_labels selectors match the pod's labels (every one set, values as
// patterns); a pod without the label, or without labels, is not selected.
func TestPolicyPodLabels(t *testing.T) {
	p, err := Parse(strings.NewReader("rules:\n  - name: web\n    action: kill\n    signals:\n      suspicious_exec: [memfd]\n    where:\n      - namespace: prod\n        pod_labels: {app: web, tier: \"front*\"}\n"), vocabulary)
	if err != nil {
		t.Fatal(err)
	}
	id := container.Identity{ID: "c1", Namespace: "prod", Pod: "web-1"}
	for _, tc := range []struct {
		labels map[string]string
		kill   bool
	}{
		{map[string]string{"app": "web", "tier": "frontend", "other": "x"}, true},
		{map[string]string{"app": "web", "tier": "back"}, false},
		{map[string]string{"app": "web"}, false},
		{nil, false},
	} {
		if got := p.For(id, tc.labels).Kill[1] != 0; got != tc.kill {
			t.Errorf("For(prod, %v) kills memfd: %v, want %v", tc.labels, got, tc.kill)
		}
	}
	if got := p.For(container.Identity{ID: "c2", Namespace: "dev"}, map[string]string{"app": "web", "tier": "front"}); got != (Actions{}) {
		t.Errorf("For(dev) = %+v, want nothing: namespace must match too", got)
	}
	for _, bad := range []string{
		"rules:\n  - name: a\n    action: kill\n    signals: {suspicious_exec: [memfd]}\n    where:\n      - host: true\n        pod_labels: {app: web}\n",
		"rules:\n  - name: a\n    action: kill\n    signals: {suspicious_exec: [memfd]}\n    where:\n      - pod_labels: {app: \"[\"}\n",
	} {
		if _, err := Parse(strings.NewReader(bad), vocabulary); err == nil || !strings.Contains(err.Error(), "line 6") {
			t.Errorf("Parse(%q) = %v, want an error naming line 6", bad, err)
		}
	}
}
