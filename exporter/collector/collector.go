// Package collector holds rtsec's collectors and the registry that enables
// them from flags (--collector.NAME / --no-collector.NAME) and runs them on
// each scrape, node_exporter style.
package collector

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/alecthomas/kingpin/v2"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/rtsec/rtsec/exporter/bpfprog"
	"github.com/rtsec/rtsec/exporter/cgrouppaths"
	"github.com/rtsec/rtsec/exporter/container"
	"github.com/rtsec/rtsec/exporter/metricdef"
)

// Collector emits the metrics of one signal area.
type Collector interface {
	// Update sends the current metrics to ch.
	Update(ch chan<- prometheus.Metric) error
}

// Forgetter is a collector that keeps per-container state in the kernel and
// must drop it once a container is gone.
type Forgetter interface {
	// CgroupIDs lists the container keys the collector holds state for.
	// The list may be a buffer of the collector's, valid until its next
	// call (Registry.ResolveKeys serialises them).
	CgroupIDs() ([]uint64, error)
	// Forget drops all state of the gone container keys.
	Forget(gone map[uint64]bool) error
}

// Env is what a collector's factory gets to work with.
type Env struct {
	Logger   *slog.Logger
	BPF      *bpfprog.Set
	Resolver *container.Resolver
	// Recorder is the cgroups object; the enforcer reads its births of
	// cgroups. Optional.
	Recorder *cgrouppaths.Recorder
	// events is the event log the collectors' objects share; New makes it.
	events *eventLog
}

// Factory builds a collector. An error is fatal: the exporter does not start
// with a collector the user asked for but that cannot work. The exception is
// a collector enabled by default whose BPF programs this kernel cannot run
// (bpfprog.ErrUnsupported): the exporter starts without it and reports it
// failing on every scrape.
type Factory func(env Env) (Collector, error)

type registration struct {
	factory Factory
	enabled *bool
}

var (
	registrations   = map[string]*registration{}
	disableDefaults = kingpin.Flag("collector.disable-defaults", "Disable every collector that is not explicitly enabled.").Default("false").Bool()
	explicitlySet   = map[string]bool{}
)

// validators check a collector's flags and files without touching the
// kernel, by collector name.
var validators = map[string]func() error{}

// validates registers the check of a collector's flags that Validate runs.
// Called from init. The factory may run the same check again: the checks
// are cheap and keep the factories usable on their own.
func validates(name string, check func() error) {
	validators[name] = check
}

// Validate checks the flags and files of the named collectors and of the
// event log, so that a bad invocation fails before the first BPF program
// is loaded.
func Validate(names []string) error {
	for _, name := range names {
		if check, ok := validators[name]; ok {
			if err := check(); err != nil {
				return err
			}
		}
	}
	if err := validateEnforcement(names); err != nil {
		return err
	}
	return validateEventFlags()
}

// register adds a collector and its --collector.NAME flag. Called from init.
func register(name string, enabledByDefault bool, factory Factory) {
	state := "disabled"
	if enabledByDefault {
		state = "enabled"
	}
	flag := kingpin.Flag("collector."+name, fmt.Sprintf("Enable the %s collector (default: %s).", name, state)).
		Default(fmt.Sprint(enabledByDefault)).
		Action(func(*kingpin.ParseContext) error { explicitlySet[name] = true; return nil })
	registrations[name] = &registration{factory: factory, enabled: flag.Bool()}
}

// Names lists every registered collector, sorted.
func Names() []string {
	names := make([]string, 0, len(registrations))
	for name := range registrations {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

// Enabled lists the collectors the flags enable, sorted.
func Enabled() []string {
	var names []string
	for _, name := range Names() {
		if *disableDefaults && !explicitlySet[name] {
			continue
		}
		if *registrations[name].enabled {
			names = append(names, name)
		}
	}
	return names
}

// Registry runs the enabled collectors on each scrape. It is a
// prometheus.Collector.
type Registry struct {
	logger     *slog.Logger
	resolver   *container.Resolver
	collectors map[string]Collector
	// resolveMu serialises ResolveKeys (a scrape's, the reaper's): the
	// Forgetters' CgroupIDs lists are kept buffers, valid until the next.
	resolveMu sync.Mutex
}

// New builds the named collectors. Their BPF objects live in env.BPF, which
// the caller closes.
func New(env Env, names []string) (*Registry, error) {
	r := newRegistry(env.Logger, env.Resolver, map[string]Collector{})
	env.events = newEventLog(env.Logger, env.Resolver)
	for _, name := range names {
		reg, ok := registrations[name]
		if !ok {
			return nil, fmt.Errorf("unknown collector %q (known: %v)", name, Names())
		}
		c, err := reg.factory(env)
		if errors.Is(err, bpfprog.ErrUnsupported) && !explicitlySet[name] {
			env.Logger.Error("collector disabled: this kernel cannot run its BPF programs, so its metrics are missing and "+
				"rtsec_scrape_collector_success is 0; --no-collector."+name+" silences this", "collector", name, "err", err)
			c, err = unsupported{err}, nil
		}
		if err != nil {
			env.events.Close()
			return nil, fmt.Errorf("collector %s: %w", name, err)
		}
		r.collectors[name] = c
	}
	// Reported as a collector of its own: it stays when either of the
	// collectors that write to it is off.
	if env.events.started() {
		r.collectors["events"] = env.events
	}
	return r, nil
}

// newRegistry returns the registry running collectors, by name.
func newRegistry(logger *slog.Logger, resolver *container.Resolver, collectors map[string]Collector) *Registry {
	return &Registry{logger: logger, resolver: resolver, collectors: collectors}
}

var (
	scrapeSuccessDesc  = metricdef.ScrapeCollectorSuccess.Desc()
	scrapeDurationDesc = metricdef.ScrapeCollectorDuration.Desc()
)

// Describe implements prometheus.Collector. rtsec's collectors are unchecked:
// the label values they emit are only known at scrape time.
func (r *Registry) Describe(ch chan<- *prometheus.Desc) {
	ch <- scrapeSuccessDesc
	ch <- scrapeDurationDesc
}

// listsContainers marks a collector that lists containers: it runs after
// the signal collectors, so that every container whose events they report
// in this scrape has been resolved, even one that started during it.
type listsContainers interface {
	listsContainers()
}

// Collect implements prometheus.Collector: it runs every collector in
// parallel, once every container key in the kernel is resolved, then the
// collectors that list containers, sharing one walk of the cgroup tree. A container that came and went since
// the last scrape is so listed in rtsec_container_info in the same scrape
// as its first events A gone container is kept until a scrape like this one has
// exported it (Resolver.Scraped).
func (r *Registry) Collect(ch chan<- prometheus.Metric) {
	start := time.Now()
	r.ResolveKeys()
	var wg sync.WaitGroup
	var listing []string
	for name, c := range r.collectors {
		if _, ok := c.(listsContainers); ok {
			listing = append(listing, name)
			continue
		}
		wg.Go(func() { r.update(name, c, ch) })
	}
	wg.Wait()
	if r.resolver != nil {
		r.resolver.BeginListing()
	}
	for _, name := range listing {
		wg.Go(func() { r.update(name, r.collectors[name], ch) })
	}
	wg.Wait()
	if r.resolver != nil {
		r.resolver.EndListing()
	}
	// Gone containers' last counts are out: they may now expire.
	if r.resolver != nil {
		r.resolver.Scraped(start)
	}
}

// unsupported stands for a default collector this kernel cannot run: it
// fails every scrape, so the mixin's collector alert keeps it visible.
type unsupported struct{ err error }

func (u unsupported) Update(chan<- prometheus.Metric) error { return u.err }

// update runs one collector and reports its success and duration.
func (r *Registry) update(name string, c Collector, ch chan<- prometheus.Metric) {
	begin := time.Now()
	err := c.Update(ch)
	success := 1.0
	if err != nil {
		success = 0
		// An unsupported collector was logged once at startup.
		if _, ok := c.(unsupported); !ok {
			r.logger.Error("collector failed", "collector", name, "err", err)
		}
	}
	ch <- prometheus.MustNewConstMetric(scrapeDurationDesc, prometheus.GaugeValue, time.Since(begin).Seconds(), name)
	ch <- prometheus.MustNewConstMetric(scrapeSuccessDesc, prometheus.GaugeValue, success, name)
}

// ResolveKeys resolves every container key the collectors hold state for,
// which makes the resolver track them until they expire.
func (r *Registry) ResolveKeys() {
	r.resolveMu.Lock()
	defer r.resolveMu.Unlock()
	for _, f := range r.forgetters() {
		ids, err := f.CgroupIDs()
		if err != nil {
			r.logger.Warn("list container keys", "err", err)
			continue
		}
		for _, id := range ids {
			r.resolver.Resolve(id)
		}
	}
}

// Forget drops the kernel state of the given container keys.
func (r *Registry) Forget(ids []uint64) {
	if len(ids) == 0 {
		return
	}
	gone := map[uint64]bool{}
	for _, id := range ids {
		gone[id] = true
	}
	for _, f := range r.forgetters() {
		if err := f.Forget(gone); err != nil {
			r.logger.Warn("forget gone containers", "err", err)
		}
	}
}

// cgroupKeys lists, once each and sorted, the container keys (cgroup ids)
// of the keys of a counts map, into buffers it keeps from one list to the
// next: keys are listed at every scrape, and a map of thousands of
// containers' counts would be allocated again each time. A list is valid
// until the next; not safe for concurrent use.
type cgroupKeys[K comparable] struct {
	batch bpfprog.Batch[K, uint64]
	ids   []uint64
}

func (c *cgroupKeys[K]) list(m bpfprog.Map, cgroupOf func(K) uint64) ([]uint64, error) {
	keys, _, err := c.batch.Read(m)
	if err != nil {
		return nil, err
	}
	ids := c.ids[:0]
	for _, k := range keys {
		ids = append(ids, cgroupOf(k))
	}
	slices.Sort(ids)
	c.ids = slices.Compact(ids)
	return c.ids, nil
}

// statAt returns sums[index], the sum of a stats array's counter as
// bpfprog.SumsPerCPU read it; 0 past the array's end, which the BPF
// object defines together with the indexes.
func statAt(sums []uint64, index uint32) uint64 {
	if int(index) >= len(sums) {
		return 0
	}
	return sums[index]
}

func (r *Registry) forgetters() []Forgetter {
	var fs []Forgetter
	for _, c := range r.collectors {
		if f, ok := c.(Forgetter); ok {
			fs = append(fs, f)
		}
	}
	return fs
}

// Close releases what the collectors hold besides their BPF objects.
func (r *Registry) Close() error {
	var errs []error
	for _, c := range r.collectors {
		if cl, ok := c.(io.Closer); ok {
			errs = append(errs, cl.Close())
		}
	}
	return errors.Join(errs...)
}
