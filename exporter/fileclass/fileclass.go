// Package fileclass is the table of file path classes that rtsec counts
// modifications and sensitive reads of: the built-in defaults or a YAML file
// that replaces them, checked, and turned into the kernel's lookup tables.
package fileclass

import (
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/rtsec/rtsec/bpf/enums"
	"github.com/rtsec/rtsec/exporter/configfile"
	"github.com/rtsec/rtsec/exporter/metricdef"
)

// Kind says what a class counts.
type Kind string

// The kinds of class.
const (
	// Modify classes label rtsec_file_modifications_total{path_class}.
	Modify Kind = "modify"
	// Read classes label rtsec_file_sensitive_reads_total{file_class}.
	Read Kind = "read"
)

// Class is a named set of path prefixes. A prefix ending in "/" covers a
// directory and everything below it; any other prefix is one exact path.
// "*" may stand for a whole component right below /home or /proc.
type Class struct {
	Name     string   `yaml:"name"`
	Kind     Kind     `yaml:"kind"`
	Prefixes []string `yaml:"prefixes"`
	// Gate lists file names that make a read-only open worth a path lookup
	// (read classes). The base names of exact paths and the names of
	// directories are added; list the names of files nested deeper.
	Gate []string `yaml:"gate,omitempty"`
	// CreatesOnly counts only files, directories and links created here
	// (writes to /dev/null are not modifications of /dev).
	CreatesOnly bool `yaml:"creates_only,omitempty"`
	// LinkTarget counts a link or symlink that points into the class.
	LinkTarget bool `yaml:"link_target,omitempty"`
	// OwnToken marks Kubernetes service-account token paths: a read from
	// inside the reading process's own root is its own pod's token.
	OwnToken bool `yaml:"own_token,omitempty"`
	// Critical sends every successful modification of the class to the
	// event log, with its path (modify classes; every sensitive read is
	// sent anyway).
	Critical bool `yaml:"critical,omitempty"`
	// CriticalOps sends only modifications by these ops (log: unlink and
	// truncate, not the application's own writes).
	CriticalOps []string `yaml:"critical_ops,omitempty"`
	// Dotfiles says names starting with '.' are ordinary in the class (home
	// directories): creating one is not counted as op "hidden" (modify
	// classes).
	Dotfiles bool `yaml:"dotfiles,omitempty"`
	// HostEvents also sends the events of host processes (the initial pid
	// namespace), not only of containers' (the host's package manager,
	// kubelet and runtime write and read their own files all day).
	HostEvents bool `yaml:"host_events,omitempty"`
}

// EventOps is the kernel's bit mask of the ops (bit 1 << op id) whose
// modifications of the class are sent to the event log.
func (c Class) EventOps() uint16 {
	var mask uint16
	for i, op := range metricdef.FileOps {
		// traversal, exec_mode and hidden are counted in addition to an op,
		// whose event is sent
		if !slices.Contains(metricdef.AdditionalOps, op) && (c.Critical || slices.Contains(c.CriticalOps, op)) {
			mask |= 1 << (i + 1)
		}
	}
	return mask
}

// Table is a checked class table.
type Table struct {
	Classes []Class
}

// Fixed modification classes, counted by the kernel without a path
// (enum path_class of files.bpf.c, ids from 1): release_agent files
// wherever cgroupfs is mounted, setuid and x bits set outside every class,
// and a container's writes to files outside its own root (/proc/<pid>/exe
// of the host's runtime binary, /proc/<pid>/root).
var FixedModify = enums.PathClassNames

// Fixed read classes, counted by the kernel without a path table (enum
// file_class of files.bpf.c, ids from 1).
var FixedRead = enums.FileClassNames

// maxClasses keeps class ids in the kernel's byte.
const maxClasses = 240

var (
	namePattern   = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
	maxPrefixLen  = 255
	wildcardRoots = []string{"/home/*/", "/proc/*/"}
)

// Load reads a class table from a YAML file (a list of classes under
// "classes"), or returns the defaults when path is "".
func Load(path string) (*Table, error) {
	if path == "" {
		return New(Defaults())
	}
	data, err := configfile.Read(path, configfile.ClassTable)
	if err != nil {
		return nil, fmt.Errorf("read class table: %w", err)
	}
	return Parse(data, path)
}

// Parse reads a class table's YAML content; path names it in errors.
func Parse(data []byte, path string) (*Table, error) {
	var doc struct {
		Classes []Class `yaml:"classes"`
	}
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	dec.KnownFields(true)
	if err := dec.Decode(&doc); errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("class table %s: empty (only comments and blank lines): want a list of classes under \"classes\"", path)
	} else if err != nil {
		return nil, fmt.Errorf("parse class table %s: %w", path, err)
	}
	t, err := New(doc.Classes)
	if err != nil {
		return nil, fmt.Errorf("class table %s: %w", path, err)
	}
	return t, nil
}

// New checks classes and returns them as a table.
func New(classes []Class) (*Table, error) {
	if len(classes) == 0 {
		return nil, errors.New("no classes")
	}
	if len(classes) > maxClasses {
		return nil, fmt.Errorf("%d classes, at most %d", len(classes), maxClasses)
	}
	seen := map[string]bool{}
	for _, n := range append(append([]string{}, FixedModify...), FixedRead...) {
		seen[n] = true
	}
	prefixes := map[string]string{}
	for _, c := range classes {
		if !namePattern.MatchString(c.Name) {
			return nil, fmt.Errorf("class name %q: want lower-case letters, digits and _", c.Name)
		}
		if seen[c.Name] {
			return nil, fmt.Errorf("class %q defined twice or reserved", c.Name)
		}
		seen[c.Name] = true
		if c.Kind != Modify && c.Kind != Read {
			return nil, fmt.Errorf("class %s: kind %q, want %q or %q", c.Name, c.Kind, Modify, Read)
		}
		if err := checkCritical(c); err != nil {
			return nil, fmt.Errorf("class %s: %w", c.Name, err)
		}
		if len(c.Prefixes) == 0 {
			return nil, fmt.Errorf("class %s: no prefixes", c.Name)
		}
		for _, p := range c.Prefixes {
			if err := checkPrefix(p); err != nil {
				return nil, fmt.Errorf("class %s: %w", c.Name, err)
			}
			key := string(c.Kind) + p
			if other, ok := prefixes[key]; ok {
				return nil, fmt.Errorf("prefix %s is in classes %s and %s", p, other, c.Name)
			}
			prefixes[key] = c.Name
		}
	}
	return &Table{Classes: classes}, nil
}

func checkCritical(c Class) error {
	if c.Kind == Read && (c.Critical || len(c.CriticalOps) > 0) {
		return errors.New("critical and critical_ops are for modify classes: every sensitive read is an event")
	}
	if c.Kind == Read && c.Dotfiles {
		return errors.New("dotfiles is for modify classes: it says where creating a hidden name is ordinary")
	}
	if c.Kind == Modify && c.HostEvents && !c.Critical && len(c.CriticalOps) == 0 {
		return errors.New("host_events without critical or critical_ops: no event to send")
	}
	if c.Critical && len(c.CriticalOps) > 0 {
		return errors.New("critical (every op) and critical_ops (some ops) both set")
	}
	for _, op := range c.CriticalOps {
		if slices.Contains(metricdef.AdditionalOps, op) || !slices.Contains(metricdef.FileOps, op) {
			return fmt.Errorf("critical_ops: unknown op %q (want one of %v but %v)", op, metricdef.FileOps, metricdef.AdditionalOps)
		}
	}
	return nil
}

func checkPrefix(p string) error {
	if !strings.HasPrefix(p, "/") || len(p) > maxPrefixLen || strings.ContainsRune(p, 0) {
		return fmt.Errorf("prefix %q: want an absolute path of at most %d bytes", p, maxPrefixLen)
	}
	for _, part := range strings.Split(strings.Trim(p, "/"), "/") {
		if part == "." || part == ".." || (part == "" && p != "/") {
			return fmt.Errorf("prefix %q: want a normalised path", p)
		}
	}
	if i := strings.Index(p, "*"); i >= 0 {
		ok := false
		for _, root := range wildcardRoots {
			ok = ok || (strings.HasPrefix(p, root) || p+"/" == root) && i == len(root)-2 && !strings.Contains(p[i+1:], "*")
		}
		if !ok {
			return fmt.Errorf("prefix %q: \"*\" only as the component right below /home or /proc", p)
		}
	}
	return nil
}

// Names returns the label values of a kind: the fixed classes, then the
// table's, in id order (id = index + 1).
func (t *Table) Names(kind Kind) []string {
	names := append([]string{}, FixedModify...)
	if kind == Read {
		names = append([]string{}, FixedRead...)
	}
	for _, c := range t.Classes {
		if c.Kind == kind {
			names = append(names, c.Name)
		}
	}
	return names
}
