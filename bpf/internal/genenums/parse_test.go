package main

import (
	"slices"
	"strings"
	"testing"
)

func TestParseAndLabelValues(t *testing.T) {
	src := `
#define NOT_AN_ENUM 3
/* Colours of a thing
 * (label colour). */
enum colour {
	COLOUR_NONE,
	COLOUR_DARK_RED, /* a comment */
	COLOUR_K8S_BLUE,
	COLOURS, // how many
};

struct s { enum colour c; };

/* ids */
enum id {
	ID_A = 0x10,
	ID_B,
	ID_C = 010,
	ID_D = ID_A,
};
`
	enums, err := parse("x.h", src)
	if err != nil {
		t.Fatal(err)
	}
	if len(enums) != 2 {
		t.Fatalf("got %d enums, want 2: %+v", len(enums), enums)
	}
	c := enums[0]
	if c.Tag != "colour" || c.Label != "colour" || c.Doc != "Colours of a thing\n(label colour)." {
		t.Errorf("enum colour parsed as %+v", c)
	}
	values, first, err := c.LabelValues()
	if err != nil || first != 1 || !slices.Equal(values, []string{"dark_red", "k8s_blue"}) {
		t.Errorf("label values %v from %d (%v), want [dark_red k8s_blue] from 1", values, first, err)
	}
	var got []int64
	for _, m := range enums[1].Members {
		got = append(got, m.Value)
	}
	if want := []int64{16, 17, 8, 16}; !slices.Equal(got, want) || enums[1].Label != "" {
		t.Errorf("enum id values %v label %q, want %v and none", got, enums[1].Label, want)
	}
	code, err := generate(enums)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"ColourK8sBlue = 2", "Colours       = 3", `var ColourNames = []string{"dark_red", "k8s_blue"}`, "IDD = 16"} {
		if !strings.Contains(string(code), want) {
			t.Errorf("generated code lacks %q:\n%s", want, code)
		}
	}
}

// Bad enums are named in the error, never turned into wrong constants.
func TestBadEnums(t *testing.T) {
	cases := []struct{ src, want string }{
		{"enum e { E_A = 1 + 2 };", `x.h: enum e: E_A: value "1 + 2"`},
		{"enum e { e_a };", `enumerator "e_a"`},
		{"enum e { E_A, E_A };", "E_A defined twice"},
		{"enum e { };", "enum e has no enumerators"},
		{"/* (label l) */\nenum e { E_A, E_B = 3 };", "E_B is 3, want 1"},
		{"/* (label l) */\nenum e { E_A = 1 };", "want 0 (or a E_NONE = 0 before it)"},
		{"/* (label l) */\nenum e { X_A };", "no enumerator named E_*"},
		{"/* (label l) */\nenum e { E_NONE = 2, E_A };", "E_NONE is 2, want 0"},
		{"enum e { E_A };\nenum f { E_A };", "E_A and E_A are both EA in Go"},
	}
	for _, c := range cases {
		enums, err := parse("x.h", c.src)
		if err == nil {
			_, err = generate(enums)
		}
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: error %v, want one containing %q", c.src, err, c.want)
		}
	}
}
