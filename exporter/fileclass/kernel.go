package fileclass

import (
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/cilium/ebpf"

	"github.com/rtsec/rtsec/bpf"
	"github.com/rtsec/rtsec/bpf/enums"
)

// GateLen is how many bytes of a file name the kernel's read gate compares.
const GateLen = enums.GateLen - 1

// Entry is one prefix of the kernel's LPM trie and what it classifies as.
type Entry struct {
	// Key is the prefix's bytes; an exact path ends with a NUL.
	Key       string
	ModClass  uint8
	ReadClass uint8
	Flags     uint8
	// EventOps are the critical ops of the modification class (Class.EventOps).
	EventOps uint16
}

// Entries returns the trie entries. Each prefix gets the modification
// class and the read class of the longest prefix of either kind that
// covers it, so one longest-prefix lookup answers both questions.
func (t *Table) Entries() []Entry {
	type owner struct {
		class *Class
		id    uint8
	}
	byKey := map[string][2]*owner{}
	modIDs, readIDs := len(FixedModify), len(FixedRead)
	for i := range t.Classes {
		c := &t.Classes[i]
		var id uint8
		slot := 0
		if c.Kind == Modify {
			modIDs++
			id = uint8(modIDs)
		} else {
			readIDs++
			id, slot = uint8(readIDs), 1
		}
		for _, p := range c.Prefixes {
			for _, k := range keys(p) {
				o := byKey[k]
				o[slot] = &owner{c, id}
				byKey[k] = o
			}
		}
	}
	all := make([]string, 0, len(byKey))
	for k := range byKey {
		all = append(all, k)
	}
	slices.Sort(all)
	entries := make([]Entry, 0, len(all))
	for _, k := range all {
		e := Entry{Key: k}
		for slot := range 2 {
			var best *owner
			bestLen := -1
			for _, other := range all {
				if o := byKey[other][slot]; o != nil && strings.HasPrefix(k, other) && len(other) > bestLen {
					best, bestLen = o, len(other)
				}
			}
			if best == nil {
				continue
			}
			if slot == 0 {
				e.ModClass = best.id
				e.EventOps = best.class.EventOps()
				if best.class.CreatesOnly {
					e.Flags |= enums.CfCreatesOnly
				}
				if best.class.LinkTarget {
					e.Flags |= enums.CfLinkTarget
				}
				if best.class.HostEvents {
					e.Flags |= enums.CfModHostEvents
				}
				if best.class.Dotfiles {
					e.Flags |= enums.CfDotfiles
				}
			} else {
				e.ReadClass = best.id
				if best.class.OwnToken {
					e.Flags |= enums.CfOwnToken
				}
				if best.class.HostEvents {
					e.Flags |= enums.CfReadHostEvents
				}
			}
		}
		entries = append(entries, e)
	}
	return entries
}

// keys returns the trie keys of a prefix: a directory prefix covers the
// directory itself and what is below it.
func keys(p string) []string {
	if strings.HasSuffix(p, "/") {
		if p == "/" {
			return []string{"/"}
		}
		return []string{p, strings.TrimSuffix(p, "/") + "\x00"}
	}
	return []string{p + "\x00"}
}

// releaseAgents are the cgroup v1 files whose write is the release agent
// escape, counted by name wherever they are (cgroup_release_agent). The
// kernel looks a write-open's name up in the gate only when its length is
// one of theirs (enums.ReleaseAgentLen, enums.NotifyOnReleaseLen).
var releaseAgents = []string{"release_agent", "notify_on_release"}

// Gate returns the read gate: file names (cut to GateLen bytes) whose
// read-only opens the kernel looks at more closely, and how.
func (t *Table) Gate() map[string]uint8 {
	gate := map[string]uint8{}
	add := func(name string, v uint8) {
		if name == "" || name == "*" {
			return
		}
		if len(name) > GateLen {
			name = name[:GateLen]
		}
		if _, fixed := gate[name]; !fixed || v != enums.GatePath {
			gate[name] = v
		}
	}
	for _, c := range t.Classes {
		if c.Kind != Read {
			continue
		}
		for _, p := range c.Prefixes {
			add(path.Base(p), enums.GatePath)
		}
		for _, g := range c.Gate {
			add(g, enums.GatePath)
		}
	}
	for name, v := range map[string]uint8{
		"environ": enums.GateProcEnviron, "mem": enums.GateProcMem, "kcore": enums.GateKcore,
	} {
		add(name, v)
	}
	for _, name := range releaseAgents {
		add(name, enums.GateReleaseAgent)
	}
	first, _ := t.firstComponents()
	for name := range first {
		gate[name] |= enums.GateFirst
	}
	return gate
}

// firstComponents returns the first components (cut to GateLen bytes) of
// the trie keys that have a modification class, and whether a key covers
// every path ("/"). A write-open whose path starts with none of them has
// no class (may_have_class in files.bpf.c): every key is "/", a first
// component and then '/' or the NUL of an exact path.
func (t *Table) firstComponents() (map[string]bool, bool) {
	first := map[string]bool{}
	all := false
	for _, e := range t.Entries() {
		if e.ModClass == 0 {
			continue
		}
		name, _, _ := strings.Cut(strings.TrimPrefix(e.Key, "/"), "/")
		name = strings.TrimSuffix(name, "\x00")
		if name == "" {
			all = true
			continue
		}
		first[name[:min(len(name), GateLen)]] = true
	}
	return first, all
}

// GateFilter returns the kernel's cheap pre-checks of the gate: entry
// min(len, GateLen) has bit (first byte & 63) set for each read gate
// name, entry GateFilterFirst + min(len, GateLen) for each first
// component of a modification class, and entry GateFilterAll is 1 when a
// class covers every path.
func (t *Table) GateFilter() [enums.GateFilterAll + 1]uint64 {
	var filter [enums.GateFilterAll + 1]uint64
	for name, v := range t.Gate() {
		if v&enums.GateMask != 0 {
			filter[min(len(name), GateLen)] |= 1 << (name[0] & 63)
		}
		if v&enums.GateFirst != 0 {
			filter[enums.GateFilterFirst+min(len(name), GateLen)] |= 1 << (name[0] & 63)
		}
	}
	if _, all := t.firstComponents(); all {
		filter[enums.GateFilterAll] = 1
	}
	return filter
}

// Fill writes the table into the kernel's trie (file_classes), read gate
// (read_gate) and its filter (gate_filter) of files.bpf.c.
func (t *Table) Fill(classes, gate, filter *ebpf.Map) error {
	for _, e := range t.Entries() {
		var key bpf.FilesPathKey
		key.Prefixlen = uint32(8 * len(e.Key))
		for i := 0; i < len(e.Key); i++ {
			key.Path[i] = int8(e.Key[i])
		}
		val := bpf.FilesClassVal{ModClass: e.ModClass, ReadClass: e.ReadClass, Flags: e.Flags, EventOps: e.EventOps}
		if err := classes.Put(&key, &val); err != nil {
			return fmt.Errorf("file class prefix %q: %w", strings.TrimSuffix(e.Key, "\x00"), err)
		}
	}
	for name, v := range t.Gate() {
		var key bpf.FilesGateKey
		for i := 0; i < len(name); i++ {
			key.Name[i] = int8(name[i])
		}
		if err := gate.Put(&key, v); err != nil {
			return fmt.Errorf("read gate %q: %w", name, err)
		}
	}
	for i, bits := range t.GateFilter() {
		if err := filter.Put(uint32(i), bits); err != nil {
			return fmt.Errorf("read gate filter: %w", err)
		}
	}
	return nil
}
