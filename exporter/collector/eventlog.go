package collector

import (
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	"regexp"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/alecthomas/kingpin/v2"
	"github.com/cilium/ebpf"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/rtsec/rtsec/bpf/enums"
	"github.com/rtsec/rtsec/exporter/bpfprog"
	"github.com/rtsec/rtsec/exporter/container"
	"github.com/rtsec/rtsec/exporter/enforce"
	"github.com/rtsec/rtsec/exporter/events"
	"github.com/rtsec/rtsec/exporter/metricdef"
)

// defaultRedact hides the values of arguments that look like secrets.
const defaultRedact = `(?i)((password|passwd|pwd|token|secret|api[_-]?key|auth|credentials?)[=:]).+`

var (
	eventsOutput = kingpin.Flag("events.output",
		"Where the event log (one JSON line per suspicious exec, privilege change, sensitive syscall, critical file modification and sensitive file read) goes: stdout, file:PATH or none (logs go to stderr).").
		Default("stdout").String()
	eventsFileMaxSize = kingpin.Flag("events.file-max-size",
		"With --events.output=file:PATH, the size in MB past which the file is renamed PATH.1 (older ones shift to PATH.2…) and a new one started, between two lines (0: never).").
		Default("10").Uint32()
	eventsFileMaxBackups = kingpin.Flag("events.file-max-backups",
		"With --events.output=file:PATH, how many rotated files are kept (PATH.1 to PATH.N, the oldest dropped first; 0: none), so the log takes at most (backups + 1) × max size.").
		Default("5").Uint32()
	eventsRateLimit = kingpin.Flag("events.rate-limit",
		"Most events each CPU sends to the event log per second, a quarter of them kept for containers that sent none in the last second (so that many flooding containers together cannot hide another's first event); the rest are counted in rtsec_events_lost_total{cause=\"rate_limited\"}.").
		Default("50").Uint32()
	eventsContainerRateLimit = kingpin.Flag("events.container-rate-limit",
		"Most events each container (each cgroup) sends to the event log per second, so that one container's flood cannot spend the CPUs' budget; the rest are counted in rtsec_events_lost_total{cause=\"container_rate_limited\"}.").
		Default("20").Uint32()
	eventsRedact = kingpin.Flag("events.redact",
		"Regular expression whose matches in event arguments are replaced by <redacted>, the first capture group kept (repeatable; replaces the default, which catches secrets; \"\" disables it).").
		Default(defaultRedact).Strings()
)

// sharedEventMaps are the maps of events.h that every object emitting
// events shares: the ring buffer, the rate limit and the counters.
var sharedEventMaps = []string{"events", "event_windows", "event_buckets", "event_counts", "event_stats"}

// eventLog is the event log every BPF object that emits events (process,
// files) writes to. The first such object loaded owns the shared maps and
// starts the log, whichever collector loads it, so that either collector
// alone keeps the log; the registry reports its counters as the "events"
// collector.
type eventLog struct {
	logger   *slog.Logger
	resolver *container.Resolver

	mu     sync.Mutex
	shared map[string]*ebpf.Map // nil until an object is loaded
	// counts and stats are the shared event_counts and event_stats.
	counts, stats bpfprog.Map
	// enforceMaps are the enforce.h maps of the first object loaded that
	// has them: the process and files objects apply one policy.
	enforceMaps map[string]*ebpf.Map
	log         *events.Log // nil with --events.output=none
	// classes names the file classes of file events, set by the file
	// collector before it loads its object.
	classes atomic.Pointer[events.FileClasses]
	// exemplars link counter series to the event lines written.
	exemplars *events.Exemplars
	// enforcer names the policy rules of enforcement events, once started.
	enforcer atomic.Pointer[enforce.Enforcer]

	eventsDesc, lostDesc *prometheus.Desc
}

func newEventLog(logger *slog.Logger, resolver *container.Resolver) *eventLog {
	return &eventLog{logger: logger, resolver: resolver, exemplars: events.NewExemplars(maxExemplars),
		eventsDesc: metricdef.Events.Desc(), lostDesc: metricdef.EventsLost.Desc()}
}

// maxExemplars bounds the series that remember their last event: beyond
// it, the series whose event is oldest forgets it.
const maxExemplars = 4096

// rateLimits are the values of events_per_cpu_second (0 turns events off)
// and events_per_cgroup_second.
func rateLimits() (map[string]uint32, error) {
	if *eventsRateLimit == 0 {
		return nil, fmt.Errorf("--events.rate-limit must be at least 1 (use --events.output=none to turn the log off)")
	}
	if *eventsContainerRateLimit == 0 {
		return nil, fmt.Errorf("--events.container-rate-limit must be at least 1 (use --events.output=none to turn the log off)")
	}
	perCPU := *eventsRateLimit
	if *eventsOutput == "none" {
		perCPU = 0
	}
	return map[string]uint32{"events_per_cpu_second": perCPU, "events_per_cgroup_second": *eventsContainerRateLimit}, nil
}

// load loads spec (an object including events.h) into set like
// bpfprog.Set.Load, writing to the event log: with the maps of the first
// object loaded, or, being the first, with its own, and starts the log.
func (e *eventLog) load(set *bpfprog.Set, spec *ebpf.CollectionSpec, objs io.Closer) error {
	limits, err := rateLimits()
	if err != nil {
		return err
	}
	for name, v := range limits {
		if err := spec.Variables[name].Set(v); err != nil {
			return fmt.Errorf("set %s: %w", name, err)
		}
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if err := setEnforceVariables(spec); err != nil {
		return err
	}
	if e.shared != nil {
		replacements := maps.Clone(e.shared)
		maps.Copy(replacements, e.enforceMaps)
		if err := set.LoadWithMaps(spec, objs, replacements); err != nil {
			return err
		}
		e.shareEnforceMaps(spec, set)
		return nil
	}
	if err := set.Load(spec, objs); err != nil {
		return err
	}
	e.shareEnforceMaps(spec, set)
	loaded := set.Maps()
	e.shared = map[string]*ebpf.Map{}
	for _, name := range sharedEventMaps {
		if loaded[name] == nil {
			return fmt.Errorf("event log: the object has no map %s", name)
		}
		e.shared[name] = loaded[name]
	}
	e.counts, e.stats = e.shared["event_counts"], e.shared["event_stats"]
	return e.start()
}

// started reports whether an object writes to the log.
func (e *eventLog) started() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.shared != nil
}

// redactions compiles --events.redact.
func redactions() ([]*regexp.Regexp, error) {
	var redact []*regexp.Regexp
	for _, expr := range *eventsRedact {
		if expr == "" {
			continue
		}
		re, err := regexp.Compile(expr)
		if err != nil {
			return nil, fmt.Errorf("--events.redact=%q: %w", expr, err)
		}
		redact = append(redact, re)
	}
	return redact, nil
}

// validateEventFlags checks the event log's flags.
func validateEventFlags() error {
	if _, err := rateLimits(); err != nil {
		return err
	}
	if *eventsFileMaxBackups > 1000 {
		return fmt.Errorf("--events.file-max-backups=%d: at most 1000", *eventsFileMaxBackups)
	}
	_, err := redactions()
	return err
}

func (e *eventLog) start() error {
	redact, err := redactions()
	if err != nil {
		return err
	}
	out, err := events.Open(*eventsOutput, events.FileOptions{
		MaxSize:    int64(*eventsFileMaxSize) << 20,
		MaxBackups: int(*eventsFileMaxBackups),
		OnRotateError: func(err error) {
			e.logger.Warn("event log rotation failed; writing on in the current file", "err", err)
		},
	})
	if err != nil || out == nil {
		return err
	}
	host, _ := os.Hostname()
	decoder := events.Decoder{Host: host, Resolve: e.resolver.Resolve, Redact: redact, Now: time.Now,
		FileClasses: e.classes.Load, Enforcement: e.describeEnforcement}
	if e.log, err = events.Start(e.shared["events"], out, decoder, e.exemplars, e.logger); err != nil {
		out.Close()
		return err
	}
	e.logger.Info("writing the event log", "output", *eventsOutput, "rate_limit_per_cpu", *eventsRateLimit, "cpus", runtime.NumCPU())
	return nil
}

// Update implements Collector: rtsec_events_total and rtsec_events_lost_total.
func (e *eventLog) Update(ch chan<- prometheus.Metric) error {
	counts, err := bpfprog.SumsPerCPU(e.counts)
	if err != nil {
		return err
	}
	stats, err := bpfprog.SumsPerCPU(e.stats)
	if err != nil {
		return err
	}
	for i, name := range metricdef.EventTypes {
		ch <- prometheus.MustNewConstMetric(e.eventsDesc, prometheus.CounterValue, float64(statAt(counts, uint32(i+1))), name)
	}
	lost := map[string]uint64{}
	for cause, index := range map[string]uint32{"rate_limited": enums.EventStatRateLimited, "container_rate_limited": enums.EventStatCgroupLimited, "ringbuf_full": enums.EventStatRingbufFull} {
		lost[cause] = statAt(stats, index)
	}
	if e.log != nil {
		lost["write_failed"] = e.log.Failed()
	}
	for _, cause := range metricdef.EventLossCauses {
		ch <- prometheus.MustNewConstMetric(e.lostDesc, prometheus.CounterValue, float64(lost[cause]), cause)
	}
	return nil
}

// Close stops the log.
func (e *eventLog) Close() error {
	if e.log == nil {
		return nil
	}
	return e.log.Close()
}
