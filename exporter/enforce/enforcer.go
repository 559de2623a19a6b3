package enforce

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/cilium/ebpf"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/rtsec/rtsec/bpf"
	"github.com/rtsec/rtsec/bpf/enums"
	"github.com/rtsec/rtsec/exporter/aggregate"
	"github.com/rtsec/rtsec/exporter/bpfprog"
	"github.com/rtsec/rtsec/exporter/container"
	"github.com/rtsec/rtsec/exporter/events"
	"github.com/rtsec/rtsec/exporter/metricdef"
)

// Options configures an Enforcer.
type Options struct {
	// File is the policy file, read at New and on every SIGHUP.
	File       string
	Vocabulary Vocabulary
	Resolver   *container.Resolver
	// Cgroups is the kernel's enforce_cgroups map, Counts enforce_counts.
	Cgroups, Counts bpfprog.Map
	// Interval is how often the cgroup tree is walked for new and gone
	// cgroups.
	Interval time.Duration
	// Births, when set, tells of each new cgroup as the kernel makes it, so
	// that a container is policed from its entrypoint's first instruction
	// rather than from the next walk. The Enforcer closes it.
	Births Births
	Logger *slog.Logger
}

// Births tells of new cgroups (cgrouppaths.Births).
type Births interface {
	// Next waits for a new cgroup's id; it fails once Close was called.
	Next() (uint64, error)
	Close() error
}

// Enforcer keeps the kernel's enforce_cgroups map equal to what the policy
// says of each cgroup alive, and exports the actions counted.
type Enforcer struct {
	opts Options

	mu       sync.Mutex
	policy   *Policy
	loadedOK bool
	loadedAt time.Time
	written  map[uint64]Actions
	table    *aggregate.Table

	hup  chan os.Signal
	stop chan struct{}
	done chan struct{}

	actions, rules, cgroups, loadSuccess, loadTime *prometheus.Desc
}

// New loads the policy (an invalid one is an error: the exporter does not
// start with a policy it cannot apply), writes it for the cgroups alive,
// and keeps it current until Close: new and gone cgroups every
// opts.Interval, a new policy on SIGHUP.
func New(opts Options) (*Enforcer, error) {
	p, err := Load(opts.File, opts.Vocabulary)
	if err != nil {
		return nil, err
	}
	e := &Enforcer{
		opts: opts, policy: p, loadedOK: true, loadedAt: time.Now(), written: map[uint64]Actions{},
		table: aggregate.NewTable(func(container.Identity) int { return 1024 }),
		hup:   make(chan os.Signal, 1), stop: make(chan struct{}), done: make(chan struct{}),
		actions: metricdef.EnforcementActions.Desc(), rules: metricdef.EnforcementPolicyRules.Desc(),
		cgroups: metricdef.EnforcementPolicyCgroups.Desc(), loadSuccess: metricdef.EnforcementPolicyLoadSuccess.Desc(),
		loadTime: metricdef.EnforcementPolicyLoadTime.Desc(),
	}
	if err := e.refresh(); err != nil {
		return nil, err
	}
	opts.Logger.Info("enforcement policy loaded", "file", opts.File, "rules", len(p.Rules))
	signal.Notify(e.hup, syscall.SIGHUP)
	born := make(chan uint64, 64)
	if opts.Births != nil {
		go e.listen(born)
	}
	go e.run(born)
	return e, nil
}

// listen passes the ids of new cgroups to run until Births is closed.
func (e *Enforcer) listen(born chan<- uint64) {
	for {
		id, err := e.opts.Births.Next()
		if err != nil {
			select {
			case <-e.stop:
			default:
				e.opts.Logger.Warn("enforcement: new cgroups are applied at the next walk only", "err", err)
			}
			return
		}
		select {
		case born <- id:
		case <-e.stop:
			return
		}
	}
}

func (e *Enforcer) run(born <-chan uint64) {
	defer close(e.done)
	tick := time.NewTicker(e.opts.Interval)
	defer tick.Stop()
	for {
		select {
		case <-e.stop:
			return
		case id := <-born:
			if err := e.apply(id); err != nil {
				e.opts.Logger.Warn("enforcement: apply the policy to a new cgroup", "cgroup_id", id, "err", err)
			}
			continue
		case <-e.hup:
			e.Reload()
		case <-tick.C:
		}
		if err := e.refresh(); err != nil {
			e.opts.Logger.Warn("enforcement: update the kernel's cgroups", "err", err)
		}
	}
}

// Reload reads the policy file again; an invalid one is logged and the
// policy in force stays.
func (e *Enforcer) Reload() {
	p, err := Load(e.opts.File, e.opts.Vocabulary)
	e.mu.Lock()
	defer e.mu.Unlock()
	e.loadedOK = err == nil
	if err != nil {
		e.opts.Logger.Error("enforcement policy not reloaded: the previous policy stays in force", "err", err)
		return
	}
	e.policy, e.loadedAt = p, time.Now()
	e.opts.Logger.Info("enforcement policy reloaded", "file", e.opts.File, "rules", len(p.Rules))
}

// cgroupIDs lists the cgroup ids of the cgroup2 tree (directory inodes).
func cgroupIDs(root string) ([]uint64, error) {
	var ids []uint64
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			// A cgroup removed during the walk.
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if !d.IsDir() {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return nil
		}
		if st, ok := info.Sys().(*syscall.Stat_t); ok {
			ids = append(ids, st.Ino)
		}
		return nil
	})
	return ids, err
}

// refresh writes the policy's actions for every cgroup alive and deletes
// those of gone cgroups and of cgroups the policy no longer names.
func (e *Enforcer) refresh() error {
	ids, err := cgroupIDs(e.opts.Resolver.CgroupRoot())
	if err != nil {
		return fmt.Errorf("list cgroups: %w", err)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	want := map[uint64]Actions{}
	for _, id := range ids {
		ident := e.opts.Resolver.Resolve(id)
		if a := e.policy.For(ident, e.opts.Resolver.PodLabels(ident)); a != (Actions{}) {
			want[id] = a
		}
	}
	var errs []error
	for id, a := range want {
		if old, ok := e.written[id]; ok && old == a {
			continue
		}
		if err := e.write(id, a); err != nil {
			errs = append(errs, fmt.Errorf("cgroup %d: %w", id, err))
		}
	}
	for id := range e.written {
		if _, ok := want[id]; ok {
			continue
		}
		if err := e.opts.Cgroups.Delete(id); err != nil && !errors.Is(err, ebpf.ErrKeyNotExist) {
			errs = append(errs, fmt.Errorf("cgroup %d: %w", id, err))
			continue
		}
		delete(e.written, id)
	}
	return errors.Join(errs...)
}

// apply writes the policy's actions for a cgroup just made, before its
// first task runs (the next refresh deletes them if it is gone by then).
func (e *Enforcer) apply(id uint64) error {
	ident := e.opts.Resolver.ResolveBorn(id)
	e.mu.Lock()
	defer e.mu.Unlock()
	a := e.policy.For(ident, e.opts.Resolver.PodLabels(ident))
	if a == (Actions{}) || e.written[id] == a {
		return nil
	}
	return e.write(id, a)
}

// write puts a cgroup's actions in the kernel's map and remembers them
// (called with e.mu held).
func (e *Enforcer) write(id uint64, a Actions) error {
	if err := e.opts.Cgroups.Put(id, bpf.ProcessEnforceActions{Kill: a.Kill, DryRun: a.DryRun}); err != nil {
		return err
	}
	e.written[id] = a
	return nil
}

// Close stops keeping the map current. The programs keep the entries
// written until they are unloaded with the exporter.
func (e *Enforcer) Close() error {
	signal.Stop(e.hup)
	close(e.stop)
	var err error
	if e.opts.Births != nil {
		err = e.opts.Births.Close()
	}
	<-e.done
	return err
}

// counts reads the kernel's action counts, keyed by cgroup and by
// "action signal reason".
func (e *Enforcer) counts() (map[aggregate.Key]uint64, error) {
	raw, err := bpfprog.Dump[bpf.ProcessEnforceKey, uint64](e.opts.Counts)
	if err != nil {
		return nil, err
	}
	live := make(map[aggregate.Key]uint64, len(raw))
	for k, v := range raw {
		value := fmt.Sprintf("%s %s %s", nameOf(metricdef.EnforcementActionNames, int(k.Action)),
			signalNames[k.Signal], nameOf(e.opts.Vocabulary.values(signalNames[k.Signal]), int(k.Value)))
		live[aggregate.Key{CgroupID: k.CgroupId, Value: value}] += v
	}
	return live, nil
}

func nameOf(names []string, i int) string {
	if i >= 0 && i < len(names) {
		return names[i]
	}
	return fmt.Sprintf("unknown_%d", i)
}

// Update sends the enforcement metrics.
func (e *Enforcer) Update(ch chan<- prometheus.Metric) error {
	live, err := e.counts()
	if err != nil {
		return err
	}
	sums, _ := e.table.Sum(live, e.opts.Resolver.Resolve)
	defer e.table.Release(sums)
	for _, s := range sums.Series {
		var action, sig, reason string
		if _, err := fmt.Sscan(s.Value, &action, &sig, &reason); err != nil {
			continue // the overflow value: 1024 combinations cannot be reached
		}
		id := s.Identity
		ch <- prometheus.MustNewConstMetric(e.actions, prometheus.CounterValue, float64(s.Count),
			id.ID, id.Namespace, id.Pod, id.Container, action, sig, reason)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	byAction := map[Action]int{Kill: 0, DryRun: 0}
	for _, r := range e.policy.Rules {
		byAction[r.Action]++
	}
	for a, n := range byAction {
		ch <- prometheus.MustNewConstMetric(e.rules, prometheus.GaugeValue, float64(n), string(a))
	}
	ch <- prometheus.MustNewConstMetric(e.cgroups, prometheus.GaugeValue, float64(len(e.written)))
	ok := 0.0
	if e.loadedOK {
		ok = 1
	}
	ch <- prometheus.MustNewConstMetric(e.loadSuccess, prometheus.GaugeValue, ok)
	ch <- prometheus.MustNewConstMetric(e.loadTime, prometheus.GaugeValue, float64(e.loadedAt.UnixNano())/1e9)
	return nil
}

// CgroupIDs lists the cgroups with counted actions (collector.Forgetter).
func (e *Enforcer) CgroupIDs() ([]uint64, error) {
	raw, err := bpfprog.Dump[bpf.ProcessEnforceKey, uint64](e.opts.Counts)
	if err != nil {
		return nil, err
	}
	seen := map[uint64]bool{}
	var ids []uint64
	for k := range raw {
		if !seen[k.CgroupId] {
			seen[k.CgroupId] = true
			ids = append(ids, k.CgroupId)
		}
	}
	return ids, nil
}

// Forget retires the counts of gone cgroups into their identities' sums
// and deletes them (collector.Forgetter). Their enforce_cgroups entries go
// at the next refresh, which no longer finds their directories.
func (e *Enforcer) Forget(gone map[uint64]bool) error {
	live, err := e.counts()
	if err != nil {
		return err
	}
	e.table.Retire(live, gone)
	return bpfprog.DeleteWhere(e.opts.Counts, func(k bpf.ProcessEnforceKey, _ uint64) bool { return gone[k.CgroupId] })
}

// RuleName names the policy rule behind an action the kernel reported for
// cgroupID: the first rule acting on the lowest bit of values.
func (e *Enforcer) RuleName(cgroupID uint64, signal uint16, values uint32, action uint32) string {
	e.mu.Lock()
	defer e.mu.Unlock()
	for bit := range uint(32) {
		if values&(1<<bit) != 0 {
			ident := e.opts.Resolver.Resolve(cgroupID)
			return e.policy.RuleFor(ident, e.opts.Resolver.PodLabels(ident), signal, bit, action != enums.ActionWouldKill)
		}
	}
	return ""
}

// DescribeEvent fills an enforcement event's signal, values and policy
// rule (events.Decoder.Enforcement).
func (e *Enforcer) DescribeEvent(cgroupID uint64, code uint32, values uint32, out *events.Line) {
	signal := uint16(code & 0xff)
	out.Signal = signalNames[signal]
	names := e.opts.Vocabulary.values(out.Signal)
	for bit := range 32 {
		if values&(1<<bit) != 0 {
			out.Reasons = append(out.Reasons, nameOf(names, bit))
		}
	}
	out.PolicyRule = e.RuleName(cgroupID, signal, values, code>>8)
}
