// Command netoverhead measures what rtsec's network programs cost a process
// that connects to and accepts from a loopback listener in a loop (blocking
// connect, accept, close on both ends): rounds with nothing attached and
// rounds with the programs attached are interleaved, and the median ratio is
// printed. Run as root; figures, not assertions (the machine is shared).
package main

import (
	"errors"
	"flag"
	"fmt"
	"maps"
	"os"
	"slices"
	"time"

	"golang.org/x/sys/unix"

	"github.com/rtsec/rtsec/bpf"
	"github.com/rtsec/rtsec/exporter/bpfprog"
	"github.com/rtsec/rtsec/exporter/netclass"
	"github.com/rtsec/rtsec/test/bench/bpfstats"
	"github.com/rtsec/rtsec/test/bench/interleave"
)

func main() {
	rounds := flag.Int("rounds", 7, "interleaved baseline/attached rounds (≥ 5)")
	conns := flag.Int("conns", 5000, "connect+accept pairs per round (≤ 100000)")
	flag.Parse()
	if err := run(*rounds, *conns); err != nil {
		fmt.Fprintln(os.Stderr, "netoverhead:", err)
		os.Exit(1)
	}
}

func run(rounds, conns int) error {
	if conns < 1 || conns > 100000 {
		return fmt.Errorf("-conns=%d: want 1-100000", conns)
	}
	stats, err := bpfstats.Enable()
	if err != nil {
		return err
	}
	defer stats.Close()
	r, err := interleave.Run(rounds, func() (time.Duration, error) { return loop(conns) }, withPrograms)
	if err != nil {
		return err
	}
	ratio := r.Ratio(0)
	fmt.Printf("network overhead: %d rounds × %d loopback connect+accept+close\n", rounds, conns)
	fmt.Printf("  per connection, nothing attached: median %.1f µs\n", r.BaseNs(conns).Median()/1e3)
	fmt.Printf("  per connection, added by rtsec:   median %.2f µs (wall clock, noisy)\n", r.AddedNs(0, conns).Median()/1e3)
	fmt.Printf("  BPF run time per connection:      median %.0f ns (all network programs, kernel BPF statistics)\n", r.Figure(0).Median()/float64(conns))
	fmt.Printf("  ratio attached/nothing:           median %.3f× (min %.3f, max %.3f)\n", ratio.Median(), ratio.Min(), ratio.Max())
	names := slices.Sorted(maps.Keys(perProgram))
	for _, name := range names {
		var runs, ns interleave.Sample
		for _, round := range perProgram[name] {
			runs = append(runs, round[0]/float64(conns))
			ns = append(ns, round[1])
		}
		fmt.Printf("  %-22s %.1f runs per connection, median %.0f ns per run\n", name+":", runs.Median(), ns.Median())
	}
	return nil
}

// withPrograms runs f with the network programs attached as the exporter
// loads them (default tables), and returns the programs' total run time.
func withPrograms(f interleave.Loop) (time.Duration, float64, error) {
	set := bpfprog.NewSet()
	defer set.Close()
	spec, err := bpf.LoadNetwork()
	if err != nil {
		return 0, 0, err
	}
	if err := (netclass.Config{}).SetTables(spec); err != nil {
		return 0, 0, err
	}
	var objs bpf.NetworkObjects
	if err := set.Load(spec, &objs); err != nil {
		return 0, 0, err
	}
	d, err := f()
	if err != nil {
		return 0, 0, err
	}
	var total time.Duration
	var runs uint64
	for name, p := range set.Programs() {
		st, err := p.Stats()
		if err != nil {
			return 0, 0, fmt.Errorf("program statistics: %w", err)
		}
		total += st.Runtime
		runs += st.RunCount
		if st.RunCount > 0 {
			perProgram[name] = append(perProgram[name], [2]float64{float64(st.RunCount), float64(st.Runtime.Nanoseconds()) / float64(st.RunCount)})
		}
	}
	if runs == 0 {
		return 0, 0, errors.New("no network program ran: the hooks are not attached")
	}
	return d, float64(total.Nanoseconds()), nil
}

// loop makes n blocking loopback connections to a listener that accepts
// and closes them in the same thread order: connect, accept, close, close.
func loop(n int) (time.Duration, error) {
	lfd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM, 0)
	if err != nil {
		return 0, err
	}
	defer unix.Close(lfd)
	if err := unix.Bind(lfd, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		return 0, err
	}
	if err := unix.Listen(lfd, 128); err != nil {
		return 0, err
	}
	sa, err := unix.Getsockname(lfd)
	if err != nil {
		return 0, err
	}
	begin := time.Now()
	for range n {
		cfd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM, 0)
		if err != nil {
			return 0, err
		}
		// SO_LINGER 0: close with a RST, so no TIME_WAIT piles up across rounds.
		unix.SetsockoptLinger(cfd, unix.SOL_SOCKET, unix.SO_LINGER, &unix.Linger{Onoff: 1, Linger: 0})
		if err := unix.Connect(cfd, sa); err != nil {
			unix.Close(cfd)
			return 0, fmt.Errorf("connect: %w", err)
		}
		afd, _, err := unix.Accept4(lfd, unix.SOCK_CLOEXEC)
		if err != nil {
			unix.Close(cfd)
			return 0, fmt.Errorf("accept: %w", err)
		}
		unix.Close(cfd)
		unix.Close(afd)
	}
	return time.Since(begin), nil
}

// perProgram holds each program's runs and mean ns per run, per round.
var perProgram = map[string][][2]float64{}
