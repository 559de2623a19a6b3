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
	if got := p.For(web); got.Kill[2] != 1<<1 || got.Kill[1] != 1<<0|1<<1 || got.DryRun != [6]uint32{} {
		t.Errorf("For(web) = %+v", got)
	}
	for _, id := range []container.Identity{{ID: "c2", Namespace: "dev", Pod: "web-1"}, {ID: "c3", Namespace: "prod", Pod: "db-1"}} {
		if got := p.For(id); got != (Actions{}) {
			t.Errorf("For(%+v) = %+v, want nothing", id, got)
		}
	}
	if got := p.For(container.Identity{}); got.DryRun[1] != 1<<1 || got.Kill != [6]uint32{} {
		t.Errorf("For(host) = %+v", got)
	}
	if got := p.RuleFor(web, 2, 1, true); got != "kill-miners" {
		t.Errorf("RuleFor(web, miner) = %q", got)
	}
	if got := p.RuleFor(container.Identity{}, 1, 1, false); got != "watch-host" {
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
	if got := p.For(container.Identity{ID: "c1"}); got.Kill[5] != 1<<0|1<<4 {
		t.Errorf("For(c1).Kill[5] = %#b, want cgroup_release_agent and etc_ld_preload", got.Kill[5])
	}
}
