package render

import (
	"regexp"
	"slices"
	"strings"
	"testing"
)

// The words unlessOperands looks for: an unless, the on (…) or
// ignoring (…) after it, and a set operator outside any parenthesis.
var (
	unlessWord   = regexp.MustCompile(`\bunless\b`)
	matchingLead = regexp.MustCompile(`^\s*(on|ignoring)\s*\([^)]*\)`)
	setOperator  = regexp.MustCompile(`^\s(or|and|unless)\b`)
)

// unlessOperands returns, for each `unless` of expr, the text before it and
// its right operand: from after its on (…) or ignoring (…) to the end of
// the parenthesis it is in, or to the next or, and or unless outside any.
func unlessOperands(expr string) [][2]string {
	var out [][2]string
	for _, at := range unlessWord.FindAllStringIndex(expr, -1) {
		rest := expr[at[1]:]
		if m := matchingLead.FindStringIndex(rest); m != nil {
			rest = rest[m[1]:]
		}
		end, depth := len(rest), 0
	scan:
		for i := 0; i < len(rest); i++ {
			switch rest[i] {
			case '(':
				depth++
			case ')':
				if depth--; depth < 0 {
					end = i
					break scan
				}
			default:
				if depth == 0 && setOperator.MatchString(rest[i:]) {
					end = i
					break scan
				}
			}
		}
		out = append(out, [2]string{expr[:at[0]], rest[:end]})
	}
	return out
}

// TestUnlessExceptionsAreConsistent checks that no alert's exception (the
// right operand of an `unless`) can lag what it excepts. Each rule of a
// group is its own query, and each group runs on its own schedule: an
// exception read from a record of another group, or from a rule of the
// same group evaluated before the excepted record, can miss the scrape the
// excepted record saw, and the alert then fires, with for: 0m, for the
// one evaluation in between (RtsecShellConfigRead could so for an
// interactive shell whose tty_shell exec was not recorded yet). So a
// record an exception reads must be one the alert's left side reads too
// (one query sees both alike), be read at an offset (the past does not
// race), or be recorded later in the group of every record of the left
// side (a later rule reads at least what an earlier one read); an
// exception may also read the counters themselves.
func TestUnlessExceptionsAreConsistent(t *testing.T) {
	type place struct {
		group string
		index int
	}
	recorded := map[string][]place{}
	for _, g := range loadRules(t, "alerts/rtsec-rules.yaml").Groups {
		for i, r := range g.Rules {
			if r.Record != "" {
				recorded[r.Record] = append(recorded[r.Record], place{g.Name, i})
			}
		}
	}
	records := func(text string) []string {
		var out []string
		for _, n := range ruleName.FindAllString(text, -1) {
			if _, ok := recorded[n]; ok && !slices.Contains(out, n) {
				out = append(out, n)
			}
		}
		return out
	}
	// later tells whether every rule recording exception comes after every
	// rule recording each of left, in one group.
	later := func(exception string, left []string) bool {
		for _, e := range recorded[exception] {
			for _, l := range left {
				for _, p := range recorded[l] {
					if p.group != e.group || p.index >= e.index {
						return false
					}
				}
			}
		}
		return true
	}
	checked := 0
	for _, g := range loadRules(t, "alerts/rtsec-alerts.yaml").Groups {
		for _, r := range g.Rules {
			if r.Alert == "" {
				continue
			}
			for _, op := range unlessOperands(r.Expr) {
				left, right := records(op[0]), op[1]
				if strings.Contains(right, " offset ") {
					continue
				}
				for _, e := range records(right) {
					checked++
					if slices.Contains(left, e) || later(e, left) {
						continue
					}
					t.Errorf("%s: its exception reads %s, which can lag %v (another group, or recorded before them): read the counter in the alert's query instead\n%s", r.Alert, e, left, r.Expr)
				}
			}
		}
	}
	if checked == 0 {
		t.Fatal("no alert has an exception that reads a record: the parsing of the rules is broken")
	}
}

// TestUnlessOperands checks the operands the test above reads.
func TestUnlessOperands(t *testing.T) {
	got := unlessOperands("(a:x > 0)\nand on (c)\n(b:y unless on (c, d) group by (c) (e:z{k=\"v\"}[5m]))\nunless ignoring (i) f:w or g:v")
	want := [][2]string{
		{"(a:x > 0)\nand on (c)\n(b:y ", " group by (c) (e:z{k=\"v\"}[5m])"},
		{"(a:x > 0)\nand on (c)\n(b:y unless on (c, d) group by (c) (e:z{k=\"v\"}[5m]))\n", " f:w"},
	}
	if !slices.Equal(got, want) {
		t.Errorf("unlessOperands = %q, want %q", got, want)
	}
}
