// Command overhead prints one table of what rtsec's BPF programs cost the
// syscalls they hook, next to the floor (an empty program on each of the
// same hooks) and the per-event ring-buffer model (every event reserved,
// submitted and read by a userspace goroutine, as Falco and Tracee
// deliver them). Each round times every row with nothing attached, then
// under each column in turn, so a shared machine's drift falls on all of
// them; ratios are the median over rounds of the time under a column over
// the same round's time with nothing attached, with a 95 % bootstrap
// interval. The A/A control row times one loop with nothing attached in
// each column's turn, right after it detaches: how far a ratio moves when
// nothing differs. Run as root; figures, not assertions
// (docs/benchmarks.md, "The overhead table").
package main

import (
	"flag"
	"fmt"
	"os"
	"regexp"
	"runtime"
	"strings"
	"time"

	"github.com/rtsec/rtsec/test/bench/bpfstats"
)

func main() {
	rounds := flag.Int("rounds", 9, "interleaved rounds (≥ 9)")
	scale := flag.Float64("scale", 1, "multiplies every row's operations per round (0.01-100)")
	policy := flag.String("policy", "", "an enforcement policy file the rtsec column loads, as --enforce.policy-file does (docs/enforcement.md)")
	only := flag.String("rows", "", "a regular expression: measure only the rows whose name it matches (default: every row)")
	flag.Parse()
	if err := run(*rounds, *scale, *policy, *only); err != nil {
		fmt.Fprintln(os.Stderr, "overhead:", err)
		os.Exit(1)
	}
}

func rtsecName(policy string) string {
	if policy == "" {
		return "rtsec"
	}
	return "rtsec, policy loaded"
}

// minRounds is the fewest rounds the table's medians and intervals take.
const minRounds = 9

func run(rounds int, scale float64, policy, only string) error {
	match, err := regexp.Compile(only)
	if err != nil {
		return fmt.Errorf("-rows=%q: %w", only, err)
	}
	if rounds < minRounds {
		return fmt.Errorf("-rounds=%d: want at least %d", rounds, minRounds)
	}
	if scale < 0.01 || scale > 100 {
		return fmt.Errorf("-scale=%g: want 0.01-100", scale)
	}
	stats, err := bpfstats.Enable()
	if err != nil {
		return err
	}
	defer stats.Close()
	dir, err := os.MkdirTemp("", "rtsec-overhead-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if err := defaultFlags(dir, policy); err != nil {
		return err
	}
	all, cleanup, err := rows(dir, scale)
	if err != nil {
		return err
	}
	defer cleanup()
	var rs []row
	for _, r := range all {
		if match.MatchString(r.name) {
			rs = append(rs, r)
		}
	}
	if len(rs) == 0 {
		return fmt.Errorf("-rows=%q matches no row", only)
	}
	hooks, err := hookSet()
	if err != nil {
		return err
	}
	floor, closeFloor, err := substitutes(hooks, emptyBody, false)
	if err != nil {
		return err
	}
	defer closeFloor()
	ring, closeRing, err := substitutes(hooks, ringBody, true)
	if err != nil {
		return err
	}
	defer closeRing()
	columns := []column{
		{"nothing", nothing},
		{"empty programs (floor)", floor},
		{rtsecName(policy), rtsec},
		{"per-event ring buffer", ring},
	}
	// One thread: the syscall loops run where the timer reads.
	runtime.LockOSThread()
	begin := time.Now()
	m := newMeasurement(len(rs), len(columns))
	for round := range rounds {
		for c, col := range columns {
			if err := m.column(round, c, col, rs, hooks); err != nil {
				return fmt.Errorf("%s: %w", col.name, err)
			}
		}
	}
	load, _ := os.ReadFile("/proc/loadavg")
	fmt.Printf("rtsec overhead: %d interleaved rounds in %s, load average %s; %d programs on %d hooks:\n%s\n\n",
		rounds, time.Since(begin).Round(time.Second), strings.Join(strings.Fields(string(load))[:3], " "),
		len(hooks), len(sections(hooks)), strings.Join(sections(hooks), " "))
	fmt.Print(m.table(rs, columns))
	return nil
}
