package main

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Enum is one named C enum of a BPF source.
type Enum struct {
	// Tag is the enum's tag (enum TAG { … }), File the source it is in.
	Tag, File string
	// Doc is the comment right before the enum, without its markers.
	Doc     string
	Members []Member
	// Label names the metric label the enum's values stand for, from a
	// "(label NAME)" in Doc; "" for an enum of plain ids.
	Label string
}

// Member is one enumerator.
type Member struct {
	Name  string
	Value int64
}

var (
	// enumPattern matches a named enum definition and the block comment
	// right before it.
	enumPattern  = regexp.MustCompile(`(?s)(?:/\*((?:[^*]|\*+[^*/])*)\*+/[ \t]*\n)?[ \t]*enum[ \t]+(\w+)[ \t\n]*\{(.*?)\}[ \t\n]*;`)
	labelPattern = regexp.MustCompile(`\(label (\w+)\)`)
	comments     = regexp.MustCompile(`(?s)/\*.*?\*/|//[^\n]*`)
	identPattern = regexp.MustCompile(`^[A-Z][A-Z0-9_]*$`)
)

// parse returns the named enums of one C source, in their order. An
// enumerator's value is implicit, an integer literal or an enumerator
// defined before it; anything else is an error.
func parse(file, src string) ([]Enum, error) {
	var enums []Enum
	for _, m := range enumPattern.FindAllStringSubmatch(src, -1) {
		e := Enum{Tag: m[2], File: file, Doc: cleanDoc(m[1])}
		if l := labelPattern.FindStringSubmatch(e.Doc); l != nil {
			e.Label = l[1]
		}
		known := map[string]int64{}
		next := int64(0)
		for _, entry := range strings.Split(comments.ReplaceAllString(m[3], ""), ",") {
			entry = strings.TrimSpace(entry)
			if entry == "" {
				continue
			}
			name, expr, explicit := strings.Cut(entry, "=")
			name = strings.TrimSpace(name)
			if !identPattern.MatchString(name) {
				return nil, fmt.Errorf("%s: enum %s: enumerator %q: want an upper-case C identifier", file, e.Tag, name)
			}
			if _, dup := known[name]; dup {
				return nil, fmt.Errorf("%s: enum %s: enumerator %s defined twice", file, e.Tag, name)
			}
			if explicit {
				v, err := value(strings.TrimSpace(expr), known)
				if err != nil {
					return nil, fmt.Errorf("%s: enum %s: %s: %w", file, e.Tag, name, err)
				}
				next = v
			}
			known[name] = next
			e.Members = append(e.Members, Member{Name: name, Value: next})
			next++
		}
		if len(e.Members) == 0 {
			return nil, fmt.Errorf("%s: enum %s has no enumerators", file, e.Tag)
		}
		enums = append(enums, e)
	}
	return enums, nil
}

// value evaluates an enumerator's initialiser: a C integer literal
// (decimal, 0x hexadecimal, 0 octal) or an enumerator defined before.
func value(expr string, known map[string]int64) (int64, error) {
	if v, ok := known[expr]; ok {
		return v, nil
	}
	s, base := expr, 10
	switch {
	case strings.HasPrefix(s, "0x") || strings.HasPrefix(s, "0X"):
		s, base = s[2:], 16
	case len(s) > 1 && s[0] == '0':
		s, base = s[1:], 8
	}
	v, err := strconv.ParseInt(s, base, 64)
	if err != nil {
		return 0, fmt.Errorf("value %q: want an integer literal or an enumerator defined before", expr)
	}
	return v, nil
}

// cleanDoc turns a block comment's body into plain text lines.
func cleanDoc(body string) string {
	var lines []string
	for line := range strings.Lines(body) {
		line = strings.TrimSpace(line)
		line = strings.TrimSpace(strings.TrimPrefix(line, "*"))
		if line != "" {
			lines = append(lines, line)
		}
	}
	return strings.Join(lines, "\n")
}

// LabelValues returns the values of the enum's label: the enumerators
// named after the tag (TAG_VALUE, upper case) but TAG_NONE, lower-cased
// without the prefix. They must be consecutive from 0, or from 1 when
// TAG_NONE is 0, so that a value indexes the list (minus 1 with a NONE).
// Enumerators without the prefix (a count, a stride) are ids only.
func (e Enum) LabelValues() (values []string, first int64, err error) {
	prefix := strings.ToUpper(e.Tag) + "_"
	hasNone := false
	for _, m := range e.Members {
		if m.Name == prefix+"NONE" {
			if m.Value != 0 {
				return nil, 0, fmt.Errorf("%s: enum %s: %s is %d, want 0", e.File, e.Tag, m.Name, m.Value)
			}
			hasNone = true
			continue
		}
		v, ok := strings.CutPrefix(m.Name, prefix)
		if !ok {
			continue
		}
		if len(values) == 0 {
			first = m.Value
		}
		want := first + int64(len(values))
		if m.Value != want {
			return nil, 0, fmt.Errorf("%s: enum %s: %s is %d, want %d: label values are consecutive", e.File, e.Tag, m.Name, m.Value, want)
		}
		values = append(values, strings.ToLower(v))
	}
	switch {
	case len(values) == 0:
		return nil, 0, fmt.Errorf("%s: enum %s (label %s): no enumerator named %s*", e.File, e.Tag, e.Label, prefix)
	case hasNone && first != 1:
		return nil, 0, fmt.Errorf("%s: enum %s: the first label value %s is %d, want 1 after %sNONE", e.File, e.Tag, values[0], first, prefix)
	case !hasNone && first != 0:
		return nil, 0, fmt.Errorf("%s: enum %s: the first label value %s is %d, want 0 (or a %sNONE = 0 before it)", e.File, e.Tag, values[0], first, prefix)
	}
	return values, first, nil
}

// initialisms are the words Go spells in capitals (golint's list and
// rtsec's own: BPF, OOM).
var initialisms = map[string]bool{
	"ACL": true, "API": true, "BPF": true, "CPU": true, "DNS": true, "HTTP": true, "HTTPS": true,
	"ID": true, "IP": true, "OOM": true, "SMTP": true, "SSH": true, "TCP": true, "TLS": true,
	"TTL": true, "UDP": true, "UID": true, "URL": true, "VM": true,
}

// goName turns a C identifier into a Go one: REASON_TTY_SHELL → ReasonTtyShell,
// PORT_DNS → PortDNS.
func goName(c string) string {
	var b strings.Builder
	for _, part := range strings.Split(c, "_") {
		switch {
		case part == "":
		case initialisms[part]:
			b.WriteString(part)
		default:
			b.WriteString(part[:1] + strings.ToLower(part[1:]))
		}
	}
	return b.String()
}
