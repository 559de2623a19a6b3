// Package bpfprog loads rtsec's BPF objects, attaches their programs to the
// hooks their section names give, and keeps the list of what is loaded so
// the exporter can report on its own programs and maps.
package bpfprog

import (
	"errors"
	"fmt"
	"io"
	"maps"
	"strings"
	"sync"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/btf"
	"github.com/cilium/ebpf/link"
)

// verifierLogLines is how much of a verifier rejection is reported: the end
// of the log is where the verifier says why.
const verifierLogLines = 20

// Set is every BPF program and map rtsec has loaded, and the links that
// attach the programs.
type Set struct {
	mu       sync.Mutex
	programs map[string]*ebpf.Program
	maps     map[string]*ebpf.Map
	// iters are the links of the iterator programs, by program name: a
	// read of one runs its program.
	iters   map[string]*link.Iter
	closers []io.Closer
}

// NewSet returns an empty set.
func NewSet() *Set {
	return &Set{programs: map[string]*ebpf.Program{}, maps: map[string]*ebpf.Map{}, iters: map[string]*link.Iter{}}
}

// Load loads spec into the kernel, assigns its programs and maps to objs (a
// bpf2go *Objects struct, or a part of one such as *Maps), attaches every
// program, and remembers them. Programs and maps objs does not take stay
// loaded, owned by the set. On failure nothing stays loaded; a verifier
// rejection is reported with the program's name and the end of the
// verifier log.
func (s *Set) Load(spec *ebpf.CollectionSpec, objs io.Closer) error {
	return s.LoadWithMaps(spec, objs, nil)
}

// LoadWithMaps is Load with some of spec's maps replaced by maps already
// loaded (by name), so that objects share them: for example the event ring
// buffer every object that emits events writes to.
func (s *Set) LoadWithMaps(spec *ebpf.CollectionSpec, objs io.Closer, replacements map[string]*ebpf.Map) error {
	coll, err := ebpf.NewCollectionWithOptions(spec, ebpf.CollectionOptions{MapReplacements: replacements})
	if err != nil {
		return describeLoadError(err)
	}
	programs := maps.Clone(coll.Programs)
	objMaps := map[string]*ebpf.Map{}
	for name, m := range coll.Maps {
		// Skip .rodata, .bss and friends (they hold variables, not data),
		// and shared maps, listed by the object that owns them.
		if _, shared := replacements[name]; !strings.HasPrefix(name, ".") && !shared {
			objMaps[name] = m
		}
	}
	if err := coll.Assign(objs); err != nil {
		coll.Close()
		return fmt.Errorf("assign BPF objects: %w", err)
	}

	var links []io.Closer
	iters := map[string]*link.Iter{}
	for name, prog := range programs {
		l, err := Attach(spec.Programs[name].SectionName, prog)
		if err != nil {
			closeAll(links)
			objs.Close()
			coll.Close()
			return fmt.Errorf("attach BPF program %s (%s): %w", name, spec.Programs[name].SectionName, err)
		}
		links = append(links, l)
		if it, ok := l.(*link.Iter); ok {
			iters[name] = it
		}
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	maps.Copy(s.programs, programs)
	maps.Copy(s.maps, objMaps)
	maps.Copy(s.iters, iters)
	// Close detaches links before closing the objects they attach. coll
	// holds what objs did not take.
	s.closers = append(s.closers, objs, collection{coll})
	s.closers = append(s.closers, links...)
	return nil
}

// Programs returns the loaded programs by name.
func (s *Set) Programs() map[string]*ebpf.Program {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.programs)
}

// Maps returns the loaded maps by name.
func (s *Set) Maps() map[string]*ebpf.Map {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.maps)
}

// Close detaches every program and releases every object, newest first.
func (s *Set) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var errs []error
	for i := len(s.closers) - 1; i >= 0; i-- {
		errs = append(errs, s.closers[i].Close())
	}
	s.closers = nil
	clear(s.programs)
	clear(s.maps)
	clear(s.iters)
	return errors.Join(errs...)
}

// Iter returns the link of the loaded iterator program name, if any.
func (s *Set) Iter(name string) (*link.Iter, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	it, ok := s.iters[name]
	return it, ok
}

// Attach attaches prog to the hook named by its ELF section: tp_btf/NAME,
// raw_tp/NAME or raw_tracepoint/NAME, tracepoint/GROUP/NAME or tp/GROUP/NAME,
// or iter/NAME (an iterator, which runs when its link is read). These are
// the hooks that work under kernel lockdown; anything else is a
// programming error.
func Attach(section string, prog *ebpf.Program) (link.Link, error) {
	kind, hook, _ := strings.Cut(section, "/")
	switch kind {
	case "tp_btf":
		return link.AttachTracing(link.TracingOptions{Program: prog})
	case "raw_tp", "raw_tracepoint":
		return link.AttachRawTracepoint(link.RawTracepointOptions{Name: hook, Program: prog})
	case "tracepoint", "tp":
		group, name, ok := strings.Cut(hook, "/")
		if !ok {
			return nil, fmt.Errorf("section %q names no tracepoint group/name", section)
		}
		return link.Tracepoint(group, name, prog, nil)
	case "iter":
		return link.AttachIter(link.IterOptions{Program: prog})
	}
	return nil, fmt.Errorf("unsupported section %q: rtsec attaches only to tracepoints", section)
}

// ErrUnsupported marks a load failure that comes from the running kernel:
// the verifier rejected a program, or a helper, kfunc, type or map type is
// missing. The object cannot work on this kernel, whatever the flags.
var ErrUnsupported = errors.New("not supported by this kernel")

// describeLoadError turns a verifier rejection into a short report: which
// program, and the last lines of the log, where the reason is.
func describeLoadError(err error) error {
	var ve *ebpf.VerifierError
	if !errors.As(err, &ve) {
		if errors.Is(err, ebpf.ErrNotSupported) || errors.Is(err, btf.ErrNotFound) {
			return fmt.Errorf("load BPF objects: %w: %w", ErrUnsupported, err)
		}
		return fmt.Errorf("load BPF objects: %w", err)
	}
	lines := ve.Log
	if len(lines) > verifierLogLines {
		lines = lines[len(lines)-verifierLogLines:]
	}
	// err's text names the program ("program handle_exec: load program: ...").
	first, _, _ := strings.Cut(err.Error(), ": "+ve.Cause.Error())
	return fmt.Errorf("BPF verifier rejected %s (%w): %w\nverifier log (last %d lines):\n%s",
		first, ErrUnsupported, ve.Cause, len(lines), strings.Join(lines, "\n"))
}

// collection makes an *ebpf.Collection an io.Closer.
type collection struct{ *ebpf.Collection }

func (c collection) Close() error {
	c.Collection.Close()
	return nil
}

func closeAll(cs []io.Closer) {
	for _, c := range cs {
		c.Close()
	}
}
