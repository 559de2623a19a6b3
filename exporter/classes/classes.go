// Package classes maps binary names to classes (shell, network_tool,
// miner…) for the class label of rtsec_process_class_execs_total. The
// kernel looks each exec's base name up in the list, so a class is counted
// even when the exec's own name overflowed its container's budget.
//
// A classes file has one class a line: its name, a colon and the binary
// names, separated by spaces; '#' starts a comment. A binary belongs to one
// class. For example:
//
//	# class: binaries…
//	shell: sh bash dash
//	miner: xmrig minerd
package classes

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"regexp"
	"strings"

	"github.com/rtsec/rtsec/exporter/configfile"
)

// MaxClasses bounds the class label; MaxBinaries the kernel's name map.
const (
	MaxClasses  = 32
	MaxBinaries = 4096
	// MaxNameLen is the longest binary name the kernel compares (its
	// buffer is 32 bytes with the NUL).
	MaxNameLen = 31
)

// Shell is the class whose binaries count as shells for the tty_shell
// reason; Miner the class also counted for an exec whose arguments name a
// mining pool (stratum+tcp://…).
const (
	Shell = "shell"
	Miner = "miner"
)

var className = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// List is a parsed class list.
type List struct {
	// Classes are the class names; a class's id in the kernel is its
	// index plus one (0 means no class).
	Classes []string
	// Binaries maps a binary name to its class's id.
	Binaries map[string]uint8
}

// ID returns the kernel id of a class, 0 when the list has no such class.
func (l List) ID(class string) uint8 {
	for i, c := range l.Classes {
		if c == class {
			return uint8(i + 1)
		}
	}
	return 0
}

// Load reads a classes file; "" gives the built-in list.
func Load(path string) (List, error) {
	if path == "" {
		return Default(), nil
	}
	data, err := configfile.Read(path, configfile.ClassTable)
	if err != nil {
		return List{}, fmt.Errorf("classes file: %w", err)
	}
	return Parse(bytes.NewReader(data), path)
}

// Parse reads a classes file's content; name is used in errors.
func Parse(r io.Reader, name string) (List, error) {
	l := List{Binaries: map[string]uint8{}}
	s := bufio.NewScanner(r)
	for n := 1; s.Scan(); n++ {
		line, _, _ := strings.Cut(s.Text(), "#")
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		if err := l.add(line); err != nil {
			return List{}, fmt.Errorf("%s:%d: %w", name, n, err)
		}
	}
	if err := s.Err(); err != nil {
		return List{}, fmt.Errorf("%s: %w", name, err)
	}
	if len(l.Classes) == 0 {
		return List{}, fmt.Errorf("%s: no classes (only comments and blank lines): want lines \"class: binary…\"", name)
	}
	return l, nil
}

func (l *List) add(line string) error {
	class, names, ok := strings.Cut(line, ":")
	class = strings.TrimSpace(class)
	if !ok {
		return fmt.Errorf("want \"class: binary…\", got %q", line)
	}
	if !className.MatchString(class) {
		return fmt.Errorf("class name %q: want lower case letters, digits and _", class)
	}
	if l.ID(class) != 0 {
		return fmt.Errorf("class %q listed twice", class)
	}
	if len(l.Classes) == MaxClasses {
		return fmt.Errorf("more than %d classes", MaxClasses)
	}
	l.Classes = append(l.Classes, class)
	id := uint8(len(l.Classes))
	for _, b := range strings.Fields(names) {
		if len(b) > MaxNameLen || strings.Contains(b, "/") {
			return fmt.Errorf("binary %q: want a base name of at most %d bytes", b, MaxNameLen)
		}
		if other, dup := l.Binaries[b]; dup {
			return fmt.Errorf("binary %q is already in class %q", b, l.Classes[other-1])
		}
		if len(l.Binaries) == MaxBinaries {
			return fmt.Errorf("more than %d binaries", MaxBinaries)
		}
		l.Binaries[b] = id
	}
	return nil
}
