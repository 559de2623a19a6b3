package integrity

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	"slices"
	"sync"
	"time"
)

// Check results (the result label).
const (
	ResultUnchanged = "unchanged"
	ResultChanged   = "changed"
	ResultError     = "error"
)

// PollInterval is how often the watched paths are stat'ed: a change of
// inode, size, mode, mtime or ctime (which no user can set) triggers a full
// check at once.
const PollInterval = time.Second

// Checker compares the watched paths with their baseline.
type Checker struct {
	paths     []string
	statePath string
	logger    *slog.Logger

	mu        sync.Mutex
	baseline  Baseline
	changed   map[string]bool // sticky until the baseline is accepted
	lastCheck time.Time
	results   map[string]uint64
	rebuilds  map[string]uint64
	prints    map[string]string // stat fingerprints seen by the last poll
	stateSeen string            // fingerprint of the state file as last read or written
	lock      io.Closer         // the state file's lock (LockState)
}

// Status is what the metrics show.
type Status struct {
	Changed   map[string]bool
	LastCheck time.Time
	Results   map[string]uint64
	Rebuilds  map[string]uint64
}

// New takes the lock of statePath (LockState) until Close, loads the
// baseline from it, rebuilding it (and saying so in the log and the
// rebuild counts) when it is missing or corrupt, adds watched paths it
// lacks, and checks every path once: changes made while the exporter was
// down show at once.
func New(paths []string, statePath string, logger *slog.Logger) (*Checker, error) {
	lock, err := LockState(statePath)
	if err != nil {
		return nil, err
	}
	c := &Checker{
		lock:      lock,
		paths:     slices.Clone(paths),
		statePath: statePath,
		logger:    logger,
		changed:   map[string]bool{},
		results:   map[string]uint64{},
		rebuilds:  map[string]uint64{},
		prints:    map[string]string{},
	}
	if err := c.load(); err != nil {
		lock.Close()
		return nil, err
	}
	c.Check()
	return c, nil
}

// Close gives the state file's lock back.
func (c *Checker) Close() error {
	return c.lock.Close()
}

// load reads the state file into the baseline, rebuilding what it cannot
// trust. Called with mu held or before the checker is shared.
func (c *Checker) load() error {
	baseline, err := LoadState(c.statePath)
	reason := ""
	switch {
	case errors.Is(err, ErrMissing):
		reason = ReasonMissing
		c.logger.Warn("no file integrity baseline: building one from the current content; changes made before now go unnoticed", "state_file", c.statePath)
	case errors.Is(err, ErrCorrupt):
		reason = ReasonCorrupt
		kept := c.statePath + ".corrupt"
		c.logger.Error("file integrity baseline is corrupt and not trusted: rebuilding it from the current content", "err", err, "kept_as", kept)
		if err := os.Rename(c.statePath, kept); err != nil {
			c.logger.Warn("cannot keep the corrupt state file", "err", err)
		}
	case err != nil:
		return err
	}
	if reason != "" {
		c.rebuilds[reason]++
		baseline = Baseline{}
	}
	dirty := reason != ""
	for _, p := range c.paths {
		if _, ok := baseline[p]; ok {
			continue
		}
		snap, err := Take(p)
		if err != nil {
			return fmt.Errorf("baseline %s: %w", p, err)
		}
		if reason == "" {
			c.logger.Info("path added to the integrity watch list: baselined", "path", p)
		}
		baseline[p] = snap
		dirty = true
	}
	for p := range baseline {
		if !slices.Contains(c.paths, p) {
			delete(baseline, p)
			dirty = true
		}
	}
	if dirty {
		// An unwritable state file (a read-only root filesystem) leaves the
		// baseline in memory: changes are still caught while the exporter
		// runs, not those made while it is down. Said loudly, counted as a
		// failed check, not fatal.
		if err := SaveState(c.statePath, baseline); err != nil {
			c.logger.Error("cannot persist the file integrity baseline: changes made while the exporter is down will go unnoticed", "err", err)
			c.results[ResultError]++
		}
	}
	c.baseline = baseline
	clear(c.changed)
	c.stateSeen = fingerprint(c.statePath)
	return nil
}

// Check compares every watched path with its baseline now.
func (c *Checker) Check() {
	c.mu.Lock()
	defer c.mu.Unlock()
	result := ResultUnchanged
	for _, p := range c.paths {
		c.prints[p] = fingerprint(p)
		snap, err := Take(p)
		if err != nil {
			c.logger.Warn("file integrity check failed", "path", p, "err", err)
			result = ResultError
			continue
		}
		if c.baseline[p].Equal(snap) {
			continue
		}
		if result == ResultUnchanged {
			result = ResultChanged
		}
		if !c.changed[p] {
			c.logger.Warn("file integrity change", "path", p, "diff", c.baseline[p].Diff(snap))
		}
		c.changed[p] = true
	}
	c.results[result]++
	c.lastCheck = time.Now()
}

// Status returns a copy of the checker's state for the metrics.
func (c *Checker) Status() Status {
	c.mu.Lock()
	defer c.mu.Unlock()
	changed := map[string]bool{}
	for _, p := range c.paths {
		changed[p] = c.changed[p]
	}
	return Status{Changed: changed, LastCheck: c.lastCheck, Results: maps.Clone(c.results), Rebuilds: maps.Clone(c.rebuilds)}
}

// Run checks promptly when the stat poll sees a watched path change, and
// every interval regardless; a rewritten state file (an accepted baseline)
// is reloaded. It returns when ctx is done.
func (c *Checker) Run(ctx context.Context, interval time.Duration) {
	poll := time.NewTicker(PollInterval)
	defer poll.Stop()
	full := time.NewTicker(interval)
	defer full.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-full.C:
			c.Check()
		case <-poll.C:
			if c.reloadIfAccepted() || c.moved() {
				c.Check()
			}
		}
	}
}

// moved reports whether a watched path's stat fingerprint changed.
func (c *Checker) moved() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, p := range c.paths {
		if fingerprint(p) != c.prints[p] {
			return true
		}
	}
	return false
}

// reloadIfAccepted reloads the baseline when the state file was rewritten
// by someone else (rtsec_exporter --collector.integrity.rebaseline).
func (c *Checker) reloadIfAccepted() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if fingerprint(c.statePath) == c.stateSeen {
		return false
	}
	c.logger.Info("file integrity state file rewritten: reloading the baseline (changes accepted)", "state_file", c.statePath)
	if err := c.load(); err != nil {
		c.logger.Error("reload file integrity baseline", "err", err)
		c.stateSeen = fingerprint(c.statePath)
	}
	return true
}

// Rebaseline accepts the current content of the given watched paths (all of
// them when accept is empty) into the state file.
func Rebaseline(paths []string, statePath string, accept []string) error {
	baseline, err := LoadState(statePath)
	if err != nil {
		baseline = Baseline{}
		accept = nil // nothing trusted to keep: take everything
	}
	for _, p := range accept {
		if !slices.Contains(paths, p) {
			return fmt.Errorf("%s is not on the integrity watch list", p)
		}
	}
	for _, p := range paths {
		if len(accept) > 0 && !slices.Contains(accept, p) {
			if _, ok := baseline[p]; ok {
				continue
			}
		}
		snap, err := Take(p)
		if err != nil {
			return fmt.Errorf("baseline %s: %w", p, err)
		}
		baseline[p] = snap
	}
	for p := range baseline {
		if !slices.Contains(paths, p) {
			delete(baseline, p)
		}
	}
	return SaveState(statePath, baseline)
}
