package collector

import (
	"fmt"
	"log/slog"
	"os"
	"regexp"
	"runtime"
	"time"

	"github.com/alecthomas/kingpin/v2"
	"github.com/cilium/ebpf"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/rtsec/rtsec/bpf"
	"github.com/rtsec/rtsec/exporter/bpfprog"
	"github.com/rtsec/rtsec/exporter/container"
	"github.com/rtsec/rtsec/exporter/events"
	"github.com/rtsec/rtsec/exporter/metricdef"
)

// Indexes of event_stats (EVENT_STAT_* in bpf/src/headers/events.h).
const (
	eventStatRateLimited = 0
	eventStatRingbufFull = 1
)

// defaultRedact hides the values of arguments that look like secrets.
const defaultRedact = `(?i)((password|passwd|pwd|token|secret|api[_-]?key|auth|credentials?)[=:]).+`

var (
	eventsOutput = kingpin.Flag("events.output",
		"Where the event log (one JSON line per suspicious exec, privilege change and sensitive syscall) goes: stdout, file:PATH or none.").
		Default("stdout").String()
	eventsRateLimit = kingpin.Flag("events.rate-limit",
		"Most events each CPU sends to the event log per second; the rest are counted in rtsec_events_lost_total.").
		Default("50").Uint32()
	eventsRedact = kingpin.Flag("events.redact",
		"Regular expression whose matches in event arguments are replaced by <redacted> (repeatable); \"\" disables the default.").
		Default(defaultRedact).Strings()
)

// eventLog is the event log of the process object and its counters.
type eventLog struct {
	log                *events.Log
	counts, stats      *ebpf.Map
	eventsDesc, lostDs *prometheus.Desc
	// exemplars link counter series to event lines; nil without a log.
	exemplars *events.Exemplars
}

// maxExemplars bounds the series that remember their last event: beyond
// it, the series whose event is oldest forgets it.
const maxExemplars = 4096

// eventsPerCPU is the value for events_per_cpu_second: 0 turns events off.
func eventsPerCPU() (uint32, error) {
	if *eventsRateLimit == 0 {
		return 0, fmt.Errorf("--events.rate-limit must be at least 1 (use --events.output=none to turn the log off)")
	}
	if *eventsOutput == "none" {
		return 0, nil
	}
	return *eventsRateLimit, nil
}

func startEventLog(maps *bpf.ProcessMaps, resolver *container.Resolver, logger *slog.Logger) (*eventLog, error) {
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
	out, err := events.Open(*eventsOutput)
	if err != nil {
		return nil, err
	}
	e := &eventLog{counts: maps.EventCounts, stats: maps.EventStats,
		eventsDesc: metricdef.Events.Desc(), lostDs: metricdef.EventsLost.Desc()}
	if out == nil {
		return e, nil
	}
	host, _ := os.Hostname()
	decoder := events.Decoder{Host: host, Resolve: resolver.Resolve, Redact: redact, Now: time.Now}
	e.exemplars = events.NewExemplars(maxExemplars)
	if e.log, err = events.Start(maps.Events, out, decoder, e.exemplars, logger); err != nil {
		out.Close()
		return nil, err
	}
	logger.Info("writing the event log", "output", *eventsOutput, "rate_limit_per_cpu", *eventsRateLimit, "cpus", runtime.NumCPU())
	return e, nil
}

func (e *eventLog) update(ch chan<- prometheus.Metric) error {
	for i, name := range metricdef.EventTypes {
		n, err := bpfprog.SumPerCPU(e.counts, uint32(i+1))
		if err != nil {
			return err
		}
		ch <- prometheus.MustNewConstMetric(e.eventsDesc, prometheus.CounterValue, float64(n), name)
	}
	lost := map[string]uint64{}
	for cause, index := range map[string]uint32{"rate_limited": eventStatRateLimited, "ringbuf_full": eventStatRingbufFull} {
		n, err := bpfprog.SumPerCPU(e.stats, index)
		if err != nil {
			return err
		}
		lost[cause] = n
	}
	if e.log != nil {
		lost["write_failed"] = e.log.Failed()
	}
	for _, cause := range metricdef.EventLossCauses {
		ch <- prometheus.MustNewConstMetric(e.lostDs, prometheus.CounterValue, float64(lost[cause]), cause)
	}
	return nil
}

func (e *eventLog) Close() error {
	if e.log == nil {
		return nil
	}
	return e.log.Close()
}
