package enforce

import (
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/rtsec/rtsec/bpf"
	"github.com/rtsec/rtsec/bpf/enums"
	"github.com/rtsec/rtsec/exporter/bpfprog/bpfprogtest"
	"github.com/rtsec/rtsec/exporter/container"
	"github.com/rtsec/rtsec/exporter/metricdef"
)

const (
	hexWeb = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	hexJob = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
	cgWeb  = "/kubepods/pod11111111-2222-3333-4444-555555555555/" + hexWeb
	cgJob  = "/docker/" + hexJob
	cgSSH  = "/system.slice/ssh.service"
)

type metadata map[string]container.Metadata

func (m metadata) Lookup(id string) (container.Metadata, bool) {
	md, ok := m[id]
	return md, ok
}

// shopResolver resolves the cgroups below root, the web container's as
// shop/web-0's nginx.
func shopResolver(t *testing.T, root string) *container.Resolver {
	t.Helper()
	resolver, err := container.NewResolver(container.ResolverOptions{
		CgroupRoot: root, RuncRoots: []string{t.TempDir()}, Logger: slog.New(slog.DiscardHandler),
		Metadata: metadata{hexWeb: {Namespace: "shop", Pod: "web-0", Container: "nginx"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return resolver
}

// The enforcer writes each live cgroup's actions as the policy gives them
// (and none for the cgroups it names not), and exports the kernel's action
// counts per container with the policy's own figures: a node of a
// Kubernetes container in a policed namespace, a docker container under a
// dry-run rule and a host service no rule names.
func TestEnforcerWritesAndExports(t *testing.T) {
	root := t.TempDir()
	ids := map[string]uint64{}
	for _, p := range []string{cgWeb, cgJob, cgSSH} {
		if err := os.MkdirAll(filepath.Join(root, p), 0o755); err != nil {
			t.Fatal(err)
		}
		fi, err := os.Stat(filepath.Join(root, p))
		if err != nil {
			t.Fatal(err)
		}
		ids[p] = fi.Sys().(*syscall.Stat_t).Ino
	}
	resolver := shopResolver(t, root)
	policy := filepath.Join(t.TempDir(), "policy.yaml")
	if err := os.WriteFile(policy, []byte(`rules:
  - name: no-fileless
    action: kill
    signals:
      suspicious_exec: [memfd]
    where:
      - namespace: shop
  - name: watch-job
    action: dry-run
    signals:
      privilege_change: [setuid_root]
    where:
      - container_id: "bbbb*"
`), 0o644); err != nil {
		t.Fatal(err)
	}
	type key = bpf.ProcessEnforceKey
	cgroups := bpfprogtest.Hash[uint64, bpf.ProcessEnforceActions](64, nil)
	counts := bpfprogtest.Hash(64, map[key]uint64{
		{CgroupId: ids[cgWeb], Signal: enums.SignalSuspiciousExec, Value: enums.ReasonMemfd, Action: enums.ActionKilled}:        2,
		{CgroupId: ids[cgJob], Signal: enums.SignalPrivilegeChange, Value: enums.PrivSetuidRoot, Action: enums.ActionWouldKill}: 1,
	})
	e, err := New(Options{File: policy, Vocabulary: vocabulary, Resolver: resolver, Cgroups: cgroups, Counts: counts,
		Interval: time.Hour, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()

	if cgroups.Len() != 2 || cgroups.Has(ids[cgSSH]) {
		t.Errorf("enforce_cgroups holds %d entries (the host service's: %v), want the two containers'", cgroups.Len(), cgroups.Has(ids[cgSSH]))
	}
	var web, job bpf.ProcessEnforceActions
	if err := cgroups.Lookup(ids[cgWeb], &web); err != nil || web.Kill[enums.SignalSuspiciousExec] != 1<<enums.ReasonMemfd || web.DryRun != [6]uint32{} {
		t.Errorf("the shop container's actions = %+v (%v), want memfd killed", web, err)
	}
	if err := cgroups.Lookup(ids[cgJob], &job); err != nil || job.DryRun[enums.SignalPrivilegeChange] != 1<<enums.PrivSetuidRoot || job.Kill != [6]uint32{} {
		t.Errorf("the docker container's actions = %+v (%v), want setuid_root in dry run", job, err)
	}

	want := `# HELP rtsec_enforcement_actions_total ` + metricdef.EnforcementActions.Help + `
# TYPE rtsec_enforcement_actions_total counter
rtsec_enforcement_actions_total{action="killed",container="nginx",container_id="` + hexWeb + `",namespace="shop",pod="web-0",reason="memfd",signal="suspicious_exec"} 2
rtsec_enforcement_actions_total{action="would_kill",container="",container_id="` + hexJob + `",namespace="",pod="",reason="setuid_root",signal="privilege_change"} 1
# HELP rtsec_enforcement_policy_cgroups ` + metricdef.EnforcementPolicyCgroups.Help + `
# TYPE rtsec_enforcement_policy_cgroups gauge
rtsec_enforcement_policy_cgroups 2
# HELP rtsec_enforcement_policy_last_load_success ` + metricdef.EnforcementPolicyLoadSuccess.Help + `
# TYPE rtsec_enforcement_policy_last_load_success gauge
rtsec_enforcement_policy_last_load_success 1
# HELP rtsec_enforcement_policy_rules ` + metricdef.EnforcementPolicyRules.Help + `
# TYPE rtsec_enforcement_policy_rules gauge
rtsec_enforcement_policy_rules{action="dry-run"} 1
rtsec_enforcement_policy_rules{action="kill"} 1
`
	var updateErr error
	c := collector{e, &updateErr}
	names := []string{metricdef.EnforcementActions.Name, metricdef.EnforcementPolicyCgroups.Name,
		metricdef.EnforcementPolicyLoadSuccess.Name, metricdef.EnforcementPolicyRules.Name}
	if err := testutil.CollectAndCompare(c, strings.NewReader(want), names...); err != nil {
		t.Error(err)
	}
	if updateErr != nil {
		t.Errorf("Update: %v", updateErr)
	}

	// The job container goes: its entry is deleted at the next refresh, its
	// counts once forgotten.
	if err := os.Remove(filepath.Join(root, cgJob)); err != nil {
		t.Fatal(err)
	}
	if err := e.refresh(); err != nil {
		t.Fatal(err)
	}
	if cgroups.Has(ids[cgJob]) {
		t.Error("the gone container's enforce_cgroups entry was not deleted")
	}
	if err := e.Forget(map[uint64]bool{ids[cgJob]: true}); err != nil {
		t.Fatal(err)
	}
	if counts.Len() != 1 {
		t.Errorf("enforce_counts holds %d entries after Forget, want the live container's", counts.Len())
	}
}

// collector is the Enforcer as the registry runs it: unchecked, its
// Update's error kept.
type collector struct {
	e   *Enforcer
	err *error
}

func (collector) Describe(chan<- *prometheus.Desc) {}

func (c collector) Collect(ch chan<- prometheus.Metric) { *c.err = c.e.Update(ch) }

// births is Births fed by a test.
type births struct {
	ids    chan uint64
	closed chan struct{}
}

func (b births) Next() (uint64, error) {
	select {
	case id := <-b.ids:
		return id, nil
	case <-b.closed:
		return 0, os.ErrClosed
	}
}

func (b births) Close() error { close(b.closed); return nil }

// A cgroup made after the last walk of the tree is policed as soon as the
// kernel tells of it, not at the next walk (an hour away here); a host
// cgroup told of is not.
func TestEnforcerAppliesBornCgroups(t *testing.T) {
	root := t.TempDir()
	resolver := shopResolver(t, root)
	policy := filepath.Join(t.TempDir(), "policy.yaml")
	if err := os.WriteFile(policy, []byte("rules:\n  - name: no-fileless\n    action: kill\n    signals:\n      suspicious_exec: [memfd]\n    where:\n      - namespace: shop\n      - container: \"*\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cgroups := bpfprogtest.Hash[uint64, bpf.ProcessEnforceActions](64, nil)
	b := births{ids: make(chan uint64), closed: make(chan struct{})}
	e, err := New(Options{File: policy, Vocabulary: vocabulary, Resolver: resolver, Cgroups: cgroups,
		Counts: bpfprogtest.Hash[bpf.ProcessEnforceKey, uint64](64, nil), Interval: time.Hour,
		Logger: slog.New(slog.DiscardHandler), Births: b})
	if err != nil {
		t.Fatal(err)
	}
	mkdir := func(p string) uint64 {
		if err := os.MkdirAll(filepath.Join(root, p), 0o755); err != nil {
			t.Fatal(err)
		}
		fi, err := os.Stat(filepath.Join(root, p))
		if err != nil {
			t.Fatal(err)
		}
		return fi.Sys().(*syscall.Stat_t).Ino
	}
	host, web := mkdir(cgSSH), mkdir(cgWeb)
	b.ids <- host
	b.ids <- web
	deadline := time.Now().Add(5 * time.Second)
	for !cgroups.Has(web) && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	var got bpf.ProcessEnforceActions
	if err := cgroups.Lookup(web, &got); err != nil || got.Kill[enums.SignalSuspiciousExec] != 1<<enums.ReasonMemfd {
		t.Errorf("the new container's actions = %+v (%v), want memfd killed", got, err)
	}
	if cgroups.Has(host) {
		t.Error("a host cgroup told of was given the containers' actions")
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-b.closed:
	default:
		t.Error("Close left Births open")
	}
}
