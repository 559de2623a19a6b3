package cgroupstat

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/rtsec/rtsec/exporter/sysfile"
)

// Field is one value Read can return.
type Field int

// The fields of Stats. A field the node's layout cannot give (no pids
// controller, no quota set, no memory.peak before Linux 5.19) is missing
// from Stats.Values, not zero.
const (
	CPUUserSeconds Field = iota
	CPUSystemSeconds
	CPUQuotaCores
	CPUPeriods
	CPUThrottledPeriods
	CPUThrottledSeconds
	MemoryBytes
	MemoryPeakBytes
	MemoryLimitBytes
	PidsCurrent
	PidsLimit
	PidsLimitHits
)

// MemoryEvents are the memory.events counters Read returns, those of v2.
// A v1 hierarchy has oom_kill (memory.oom_control) and max (memory.failcnt,
// the charges refused at the limit) only.
var MemoryEvents = []string{"high", "max", "oom", "oom_kill"}

// Stats are one container's values.
type Stats struct {
	Values map[Field]float64
	// Events are memory.events by name (of MemoryEvents).
	Events map[string]float64
	// keyed holds the lines of the keyed file being parsed, buf the file
	// read: both reused by the next ReadInto.
	keyed map[string]float64
	buf   []byte
}

// ErrGone is returned for a container whose cgroup2 directory is gone.
var ErrGone = errors.New("cgroup gone")

// Read reads the values of the container in d, one open per file. Files a
// layout lacks are skipped; a file that exists but does not parse is an
// error naming it.
func (l Layout) Read(d Dirs) (Stats, error) {
	var s Stats
	return s, l.ReadInto(d, &s, nil)
}

// ReadInto is Read into s, whose maps it empties and reuses (one Stats
// serves the containers of a scrape), reading the files kept open in files
// (nil: each file is opened).
func (l Layout) ReadInto(d Dirs, s *Stats, files *Files) error {
	for _, m := range []*map[string]float64{&s.Events, &s.keyed} {
		if *m == nil {
			*m = map[string]float64{}
		}
		clear(*m)
	}
	if s.Values == nil {
		s.Values = map[Field]float64{}
	}
	clear(s.Values)
	if s.buf == nil {
		s.buf = make([]byte, 0, 4096) // memory.stat's size: one buffer serves every file
	}
	r := reader{stats: s, buf: s.buf[:0], files: files}
	defer func() { s.buf = r.buf[:0] }()
	// CPU time: every cgroup2 directory has cpu.stat.
	stat, err := r.keyed(d.Unified, "cpu.stat")
	if errors.Is(err, fs.ErrNotExist) {
		return ErrGone
	}
	r.set(CPUUserSeconds, stat, "user_usec", 1e-6)
	r.set(CPUSystemSeconds, stat, "system_usec", 1e-6)
	if dir, ok := d.controllers[CPU]; ok {
		if l.controllers[CPU].v1 {
			r.cpuV1(dir)
		} else {
			r.set(CPUPeriods, stat, "nr_periods", 1)
			r.set(CPUThrottledPeriods, stat, "nr_throttled", 1)
			r.set(CPUThrottledSeconds, stat, "throttled_usec", 1e-6)
			r.cpuMax(dir)
		}
	}
	if dir, ok := d.controllers[Memory]; ok {
		if l.controllers[Memory].v1 {
			r.memoryV1(dir)
		} else {
			r.memoryV2(dir)
		}
	}
	if dir, ok := d.controllers[Pids]; ok {
		r.number(PidsCurrent, dir, "pids.current", 1)
		r.limit(PidsLimit, dir, "pids.max")
		if ev, err := r.keyed(dir, "pids.events"); err == nil {
			r.set(PidsLimitHits, ev, "max", 1)
		}
	}
	return errors.Join(r.errs...)
}

// reader collects values and parse errors; missing files are skipped.
type reader struct {
	stats *Stats
	errs  []error
	buf   []byte // reused by the reads of one Read
	files *Files
}

func (r *reader) read(dir, name string) (string, error) {
	var (
		data []byte
		err  error
	)
	if r.files != nil {
		data, err = r.files.read(filepath.Join(dir, name), r.buf)
	} else {
		data, err = sysfile.Read(filepath.Join(dir, name), r.buf)
	}
	if data != nil {
		r.buf = data[:0]
	}
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		r.errs = append(r.errs, fmt.Errorf("read %s: %w", filepath.Join(dir, name), err))
	}
	return strings.TrimSpace(string(data)), err
}

func (r *reader) bad(dir, name, content string) {
	r.errs = append(r.errs, fmt.Errorf("%s: cannot parse %q", filepath.Join(dir, name), content))
}

// keyed reads a "key value" per line file (cpu.stat, memory.events…) into
// a map that the next keyed reuses.
func (r *reader) keyed(dir, name string) (map[string]float64, error) {
	text, err := r.read(dir, name)
	if err != nil {
		return nil, err
	}
	out := r.stats.keyed
	clear(out)
	for line := range strings.Lines(text) {
		k, v, ok := strings.Cut(strings.TrimSpace(line), " ")
		n, err := strconv.ParseUint(strings.TrimSpace(v), 10, 64)
		if !ok || err != nil {
			r.bad(dir, name, line)
			continue
		}
		out[k] = float64(n)
	}
	return out, nil
}

func (r *reader) set(f Field, m map[string]float64, key string, scale float64) {
	if v, ok := m[key]; ok {
		r.stats.Values[f] = v * scale
	}
}

// uint reads a file holding one unsigned integer.
func (r *reader) uint(dir, name string) (float64, bool) {
	text, err := r.read(dir, name)
	if err != nil {
		return 0, false
	}
	n, err := strconv.ParseUint(text, 10, 64)
	if err != nil {
		r.bad(dir, name, text)
		return 0, false
	}
	return float64(n), true
}

// number sets f to the integer in a file, times scale.
func (r *reader) number(f Field, dir, name string, scale float64) {
	if v, ok := r.uint(dir, name); ok {
		r.stats.Values[f] = v * scale
	}
}

// limit reads a v2 limit file: a number, or "max" for none (left out).
func (r *reader) limit(f Field, dir, name string) {
	if text, err := r.read(dir, name); err == nil && text != "max" {
		r.number(f, dir, name, 1)
	}
}

// cpuMax reads cpu.max: "QUOTA PERIOD" in µs, QUOTA "max" for none.
func (r *reader) cpuMax(dir string) {
	text, err := r.read(dir, "cpu.max")
	if err != nil {
		return
	}
	quota, period, _ := strings.Cut(text, " ")
	if quota == "max" {
		return
	}
	q, err1 := strconv.ParseFloat(quota, 64)
	p, err2 := strconv.ParseFloat(period, 64)
	if err1 != nil || err2 != nil || p <= 0 {
		r.bad(dir, "cpu.max", text)
		return
	}
	r.stats.Values[CPUQuotaCores] = q / p
}

// cpuV1 reads throttling and the CFS quota of a v1 cpu hierarchy.
func (r *reader) cpuV1(dir string) {
	if stat, err := r.keyed(dir, "cpu.stat"); err == nil {
		r.set(CPUPeriods, stat, "nr_periods", 1)
		r.set(CPUThrottledPeriods, stat, "nr_throttled", 1)
		r.set(CPUThrottledSeconds, stat, "throttled_time", 1e-9)
	}
	text, err := r.read(dir, "cpu.cfs_quota_us")
	if err != nil || text == "-1" {
		return
	}
	quota, err := strconv.ParseFloat(text, 64)
	if err != nil {
		r.bad(dir, "cpu.cfs_quota_us", text)
		return
	}
	if p, ok := r.uint(dir, "cpu.cfs_period_us"); ok && p > 0 {
		r.stats.Values[CPUQuotaCores] = quota / p
	}
}

func (r *reader) memoryV2(dir string) {
	r.number(MemoryBytes, dir, "memory.current", 1)
	r.number(MemoryPeakBytes, dir, "memory.peak", 1)
	r.limit(MemoryLimitBytes, dir, "memory.max")
	if ev, err := r.keyed(dir, "memory.events"); err == nil {
		for _, name := range MemoryEvents {
			if v, ok := ev[name]; ok {
				r.stats.Events[name] = v
			}
		}
	}
}

// v1Unlimited is above any real v1 memory limit: the kernel reports "no
// limit" as PAGE_COUNTER_MAX pages, about 2^63 bytes rounded to a page.
const v1Unlimited = 1 << 62

func (r *reader) memoryV1(dir string) {
	r.number(MemoryBytes, dir, "memory.usage_in_bytes", 1)
	r.number(MemoryPeakBytes, dir, "memory.max_usage_in_bytes", 1)
	if limit, ok := r.uint(dir, "memory.limit_in_bytes"); ok && limit < v1Unlimited {
		r.stats.Values[MemoryLimitBytes] = limit
	}
	if failcnt, ok := r.uint(dir, "memory.failcnt"); ok {
		r.stats.Events["max"] = failcnt
	}
	if ctl, err := r.keyed(dir, "memory.oom_control"); err == nil {
		if v, ok := ctl["oom_kill"]; ok {
			r.stats.Events["oom_kill"] = v
		}
	}
}
