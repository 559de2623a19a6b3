package collector

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/alecthomas/kingpin/v2"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/rtsec/rtsec/exporter/configfile"
	"github.com/rtsec/rtsec/exporter/integrity"
	"github.com/rtsec/rtsec/exporter/metricdef"
)

// defaultWatch is the built-in integrity watch list; the exporter's own
// binary and configuration files are added to it.
var defaultWatch = []string{
	"/etc/passwd", "/etc/shadow", "/etc/group", "/etc/gshadow", "/etc/sudoers", "/etc/sudoers.d",
	"/etc/ld.so.preload", "/etc/ssh/sshd_config", "/root/.ssh/authorized_keys",
	"/var/lib/kubelet/config.yaml", "/etc/kubernetes/kubelet.conf",
}

var (
	integrityWatch = kingpin.Flag("collector.integrity.watch",
		"Host path whose content, mode, owner and size are checked against a baseline (repeatable; a directory covers its entries). Replaces the built-in list; the exporter's binary and config files are always watched.").
		Default(defaultWatch...).Strings()
	integrityStateFile = kingpin.Flag("collector.integrity.state-file", "Where the integrity baseline is kept (JSON with a checksum; a regular file of at most 16 MiB), locked by a .lock file beside it while the exporter runs: one state file per exporter.").
				Default("/var/lib/rtsec/integrity.json").String()
	integrityInterval = kingpin.Flag("collector.integrity.interval",
		"How often every watched path is hashed; a stat poll each second triggers a check at once when one changes.").
		Default("5m").Duration()
	integrityRebaseline = kingpin.Flag("collector.integrity.rebaseline",
		"Accept the current content of the watched paths (or only those of --collector.integrity.accept) as the new baseline, then exit. A running exporter reloads it.").
		Bool()
	integrityAccept = kingpin.Flag("collector.integrity.accept", "With --collector.integrity.rebaseline: a watched path to accept (repeatable).").Strings()
)

func init() {
	register("integrity", true, newIntegrityCollector)
}

// watchList is the configured watch list plus the exporter's own files.
func watchList() ([]string, error) {
	paths := slices.Clone(*integrityWatch)
	if exe, err := os.Executable(); err == nil {
		paths = append(paths, exe)
	}
	for _, flag := range []string{"web.config.file", "collector.file.classes-file"} {
		if f := kingpin.CommandLine.GetFlag(flag); f != nil {
			if v := f.Model().Value.String(); v != "" {
				paths = append(paths, v)
			}
		}
	}
	for _, p := range paths {
		if !strings.HasPrefix(p, "/") {
			return nil, fmt.Errorf("--collector.integrity.watch=%s: want an absolute path", p)
		}
	}
	slices.Sort(paths)
	return slices.Compact(paths), nil
}

// IntegrityCommand runs --collector.integrity.rebaseline when it was given: it
// reports whether it did, and what went wrong.
func IntegrityCommand(logger *slog.Logger) (bool, error) {
	if !*integrityRebaseline {
		return false, nil
	}
	paths, err := watchList()
	if err != nil {
		return true, err
	}
	if err := integrity.Rebaseline(paths, *integrityStateFile, *integrityAccept); err != nil {
		return true, fmt.Errorf("--collector.integrity.rebaseline: %w", err)
	}
	logger.Info("file integrity baseline accepted", "state_file", *integrityStateFile, "paths", paths, "accepted", *integrityAccept)
	return true, nil
}

// integrityCollector reports the file integrity checker's state.
type integrityCollector struct {
	checker *integrity.Checker
	stop    context.CancelFunc

	changed, lastCheck, checks, rebuilds *prometheus.Desc
}

func init() {
	validates("integrity", func() error {
		if _, err := integrityConfig(); err != nil {
			return err
		}
		if *integrityRebaseline {
			return nil // run beside the exporter, which holds the lock
		}
		return checkStateLock()
	})
}

// integrityConfig checks the integrity flags and returns the watch list.
// The state file is only checked (a regular file within its limit), not
// read: the checker reads it.
func integrityConfig() ([]string, error) {
	if *integrityInterval <= 0 {
		return nil, fmt.Errorf("--collector.integrity.interval=%s: must be positive", *integrityInterval)
	}
	if err := configfile.Check(*integrityStateFile, configfile.IntegrityState); err != nil {
		return nil, fmt.Errorf("--collector.integrity.state-file: %w", err)
	}
	return watchList()
}

// checkStateLock tells, before the BPF programs load, whether another
// exporter holds the state file; the checker takes the lock for good.
func checkStateLock() error {
	lock, err := integrity.LockState(*integrityStateFile)
	if err != nil {
		return fmt.Errorf("--collector.integrity.state-file: %w", err)
	}
	return lock.Close()
}

func newIntegrityCollector(env Env) (Collector, error) {
	paths, err := integrityConfig()
	if err != nil {
		return nil, err
	}
	checker, err := integrity.New(paths, *integrityStateFile, env.Logger)
	if err != nil {
		return nil, fmt.Errorf("file integrity: %w", err)
	}
	ctx, stop := context.WithCancel(context.Background())
	go checker.Run(ctx, *integrityInterval)
	return newIntegrity(checker, stop), nil
}

// newIntegrity returns the collector of checker's state; stop stops its
// checks.
func newIntegrity(checker *integrity.Checker, stop context.CancelFunc) *integrityCollector {
	return &integrityCollector{
		checker:   checker,
		stop:      stop,
		changed:   metricdef.FileIntegrityChanged.Desc(),
		lastCheck: metricdef.FileIntegrityLastCheck.Desc(),
		checks:    metricdef.FileIntegrityChecks.Desc(),
		rebuilds:  metricdef.FileIntegrityBaselineRebuilds.Desc(),
	}
}

// Close stops the periodic checks and gives the state file's lock back.
func (c *integrityCollector) Close() error {
	c.stop()
	return c.checker.Close()
}

func (c *integrityCollector) Update(ch chan<- prometheus.Metric) error {
	st := c.checker.Status()
	for path, changed := range st.Changed {
		v := 0.0
		if changed {
			v = 1
		}
		ch <- prometheus.MustNewConstMetric(c.changed, prometheus.GaugeValue, v, path)
	}
	ch <- prometheus.MustNewConstMetric(c.lastCheck, prometheus.GaugeValue, float64(st.LastCheck.UnixNano())/float64(time.Second))
	for _, r := range []string{integrity.ResultUnchanged, integrity.ResultChanged, integrity.ResultError} {
		ch <- prometheus.MustNewConstMetric(c.checks, prometheus.CounterValue, float64(st.Results[r]), r)
	}
	for _, r := range []string{integrity.ReasonMissing, integrity.ReasonCorrupt} {
		ch <- prometheus.MustNewConstMetric(c.rebuilds, prometheus.CounterValue, float64(st.Rebuilds[r]), r)
	}
	return nil
}
