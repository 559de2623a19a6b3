package main

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"path/filepath"
	"slices"

	"github.com/alecthomas/kingpin/v2"
	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
	"github.com/cilium/ebpf/ringbuf"

	"github.com/rtsec/rtsec/bpf"
	"github.com/rtsec/rtsec/exporter/bpfprog"
	"github.com/rtsec/rtsec/exporter/cgrouppaths"
	"github.com/rtsec/rtsec/exporter/collector"
	"github.com/rtsec/rtsec/exporter/container"
)

// attached is what a column holds loaded while its rows run: the programs
// whose run time is read, and what detaches them.
type attached struct {
	programs map[string]*ebpf.Program
	close    func() error
}

// column is one way of running the rows: nothing attached, or a set of
// programs attached for the column's rows and detached after.
type column struct {
	name   string
	attach func() (*attached, error)
}

func nothing() (*attached, error) {
	return &attached{close: func() error { return nil }}, nil
}

// defaultFlags sets rtsec's flags to their defaults, but for the
// integrity baseline, kept in dir rather than below /var/lib, and the event
// log, written to a file in dir rather than over the table; with a policy
// file, the enforcement policy too.
func defaultFlags(dir, policy string) error {
	args := []string{
		"--collector.integrity.state-file=" + filepath.Join(dir, "integrity.json"),
		"--events.output=file:" + filepath.Join(dir, "events.log"),
	}
	if policy != "" {
		args = append(args, "--enforce.policy-file="+policy)
	}
	_, err := kingpin.CommandLine.Parse(args)
	return err
}

// rtsec loads and attaches what rtsec_exporter does with default flags:
// the cgroup path recorder and every default collector, event log
// included (nobody scrapes, so userspace work stays out of the rows).
func rtsec() (*attached, error) {
	logger := slog.New(slog.DiscardHandler)
	set := bpfprog.NewSet()
	recorder, err := cgrouppaths.Load(set)
	if err != nil {
		set.Close()
		return nil, err
	}
	resolver, err := container.NewResolver(container.ResolverOptions{Recorded: recorder.Lookup, Logger: logger})
	if err != nil {
		set.Close()
		return nil, err
	}
	signals, err := collector.New(collector.Env{Logger: logger, BPF: set, Resolver: resolver}, collector.Enabled())
	if err != nil {
		set.Close()
		return nil, err
	}
	return &attached{programs: set.Programs(), close: func() error {
		return errors.Join(signals.Close(), set.Close())
	}}, nil
}

// loaders are every object rtsec loads; hookSet keeps the programs of
// those the default collectors attach.
var loaders = []func() (*ebpf.CollectionSpec, error){
	bpf.LoadCgroups, bpf.LoadFiles, bpf.LoadNetwork, bpf.LoadProcess, bpf.LoadResources,
}

// hookSet returns, by program name, the specs of the programs rtsec with
// default flags attaches: it loads rtsec once and keeps the programs of
// its objects that are loaded, so the floor follows rtsec's real hooks.
func hookSet() (map[string]*ebpf.ProgramSpec, error) {
	r, err := rtsec()
	if err != nil {
		return nil, err
	}
	defer r.close()
	hooks := map[string]*ebpf.ProgramSpec{}
	for _, load := range loaders {
		spec, err := load()
		if err != nil {
			return nil, err
		}
		for name, p := range spec.Programs {
			if _, ok := r.programs[name]; !ok {
				continue
			}
			if other, dup := hooks[name]; dup && other.SectionName != p.SectionName {
				return nil, fmt.Errorf("two objects have a program %s (%s, %s)", name, other.SectionName, p.SectionName)
			}
			hooks[name] = p
		}
	}
	if len(hooks) != len(r.programs) {
		return nil, fmt.Errorf("found %d of rtsec's %d programs in its objects", len(hooks), len(r.programs))
	}
	return hooks, nil
}

// sections lists the hooks' section names, sorted and without repeats.
func sections(hooks map[string]*ebpf.ProgramSpec) []string {
	var s []string
	for _, p := range hooks {
		s = append(s, p.SectionName)
	}
	slices.Sort(s)
	return slices.Compact(s)
}

// eventsMap is the ring buffer of the per-event column.
const eventsMap = "events"

// eventSize is a per-event record: Falco's and Tracee's carry a header
// (time, ids, syscall) and the arguments; 64 bytes is their small end.
const eventSize = 64

// emptyBody returns at once: the floor of any program on a hook.
var emptyBody = asm.Instructions{asm.Mov.Imm(asm.R0, 0), asm.Return()}

// ringBody reserves a record, writes the time and ids in it and submits it,
// waking the reader: every event delivered to userspace.
var ringBody = asm.Instructions{
	asm.LoadMapPtr(asm.R1, 0).WithReference(eventsMap),
	asm.Mov.Imm(asm.R2, eventSize),
	asm.Mov.Imm(asm.R3, 0),
	asm.FnRingbufReserve.Call(),
	asm.JEq.Imm(asm.R0, 0, "out"),
	asm.Mov.Reg(asm.R6, asm.R0),
	asm.FnKtimeGetNs.Call(),
	asm.StoreMem(asm.R6, 0, asm.R0, asm.DWord),
	asm.FnGetCurrentPidTgid.Call(),
	asm.StoreMem(asm.R6, 8, asm.R0, asm.DWord),
	asm.FnGetCurrentUidGid.Call(),
	asm.StoreMem(asm.R6, 16, asm.R0, asm.DWord),
	asm.Mov.Reg(asm.R1, asm.R6),
	asm.Mov.Imm(asm.R2, 0),
	asm.FnRingbufSubmit.Call(),
	asm.Mov.Imm(asm.R0, 0).WithSymbol("out"),
	asm.Return(),
}

// substitutes loads, for each of rtsec's hooks, a program of the same
// type and attach point running body instead, and returns a column that
// attaches them (loaded once: a turn pays attaching, not verifying); with
// ring set, a ring buffer and a goroutine reading every record from it.
// release frees the programs.
func substitutes(hooks map[string]*ebpf.ProgramSpec, body asm.Instructions, ring bool) (attach func() (*attached, error), release func(), err error) {
	spec := &ebpf.CollectionSpec{Programs: map[string]*ebpf.ProgramSpec{}, Maps: map[string]*ebpf.MapSpec{}}
	for name, p := range hooks {
		c := p.Copy()
		c.Instructions = slices.Clone(body)
		c.License = "GPL"
		spec.Programs[name] = c
	}
	if ring {
		spec.Maps[eventsMap] = &ebpf.MapSpec{Name: eventsMap, Type: ebpf.RingBuf, MaxEntries: 8 << 20}
	}
	coll, err := ebpf.NewCollection(spec)
	if err != nil {
		return nil, nil, fmt.Errorf("load substitute programs: %w", err)
	}
	attach = func() (*attached, error) {
		var links []io.Closer
		detach := func() error {
			var errs []error
			for _, l := range links {
				errs = append(errs, l.Close())
			}
			return errors.Join(errs...)
		}
		for name, p := range coll.Programs {
			l, err := bpfprog.Attach(hooks[name].SectionName, p)
			if err != nil {
				return nil, errors.Join(fmt.Errorf("attach %s: %w", hooks[name].SectionName, err), detach())
			}
			links = append(links, l)
		}
		a := &attached{programs: coll.Programs, close: detach}
		if !ring {
			return a, nil
		}
		reader, err := ringbuf.NewReader(coll.Maps[eventsMap])
		if err != nil {
			return nil, errors.Join(err, detach())
		}
		done := make(chan struct{})
		go func() {
			defer close(done)
			var rec ringbuf.Record
			for reader.ReadInto(&rec) == nil {
			}
		}()
		a.close = func() error {
			// Detached first, so the reader drains what is left.
			err := detach()
			err = errors.Join(err, reader.Close())
			<-done
			return err
		}
		return a, nil
	}
	return attach, coll.Close, nil
}

// runNs returns the total run time so far (kernel BPF statistics) of the
// programs on the sections hooks names, of all with hooks nil.
func runNs(programs map[string]*ebpf.Program, sections map[string]*ebpf.ProgramSpec, hooks []string) (float64, error) {
	var total float64
	for _, name := range slices.Sorted(maps.Keys(programs)) {
		if hooks != nil && !slices.Contains(hooks, sections[name].SectionName) {
			continue
		}
		st, err := programs[name].Stats()
		if err != nil {
			return 0, fmt.Errorf("%s statistics: %w", name, err)
		}
		total += float64(st.Runtime.Nanoseconds())
	}
	return total, nil
}
