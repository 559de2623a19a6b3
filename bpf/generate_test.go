package bpf

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/rtsec/rtsec/internal/testenv"
)

// TestGeneratedFresh rebuilds every object from its C source and fails when
// a committed file differs: run `make generate` and commit the result.
func TestGeneratedFresh(t *testing.T) {
	testenv.RequireCommand(t, "clang-14")
	testenv.RequireCommand(t, "llvm-strip")
	src, err := os.ReadFile("gen.go")
	if err != nil {
		t.Fatal(err)
	}
	var commands [][]string
	for line := range strings.Lines(string(src)) {
		if args, ok := strings.CutPrefix(strings.TrimSpace(line), "//go:generate go tool bpf2go "); ok {
			commands = append(commands, splitArgs(args))
		}
	}
	if len(commands) == 0 {
		t.Fatal("gen.go has no bpf2go directives")
	}
	for _, args := range commands {
		out := t.TempDir()
		cmd := exec.Command("go", append([]string{"tool", "bpf2go", "-output-dir", out}, args...)...)
		cmd.Env = append(os.Environ(), "GOPACKAGE=bpf")
		if msg, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("bpf2go %v: %v\n%s", args, err, msg)
		}
		files, _ := filepath.Glob(filepath.Join(out, "*"))
		if len(files) == 0 {
			t.Fatalf("bpf2go %v wrote nothing", args)
		}
		for _, fresh := range files {
			name := filepath.Base(fresh)
			want, _ := os.ReadFile(fresh)
			got, err := os.ReadFile(name)
			if err != nil || !bytes.Equal(got, want) {
				t.Errorf("bpf/%s is stale or missing (%v): run make generate and commit it", name, err)
			}
		}
	}
}

// TestEnumsFresh regenerates the Go constants of the C enums into a
// temporary file and fails when the committed file differs.
func TestEnumsFresh(t *testing.T) {
	src, err := os.ReadFile("gen.go")
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for line := range strings.Lines(string(src)) {
		args, ok := strings.CutPrefix(strings.TrimSpace(line), "//go:generate go run ./internal/genenums ")
		if !ok {
			continue
		}
		found = true
		list := splitArgs(args)
		i := slices.Index(list, "-o")
		if i < 0 || i+1 >= len(list) {
			t.Fatalf("genenums directive %q has no -o FILE", args)
		}
		committed := list[i+1]
		fresh := filepath.Join(t.TempDir(), "enums.go")
		list[i+1] = fresh
		if msg, err := exec.Command("go", append([]string{"run", "./internal/genenums"}, list...)...).CombinedOutput(); err != nil {
			t.Fatalf("genenums %v: %v\n%s", list, err, msg)
		}
		want, _ := os.ReadFile(fresh)
		got, err := os.ReadFile(committed)
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("bpf/%s is stale or missing (%v): run make generate and commit it", committed, err)
		}
	}
	if !found {
		t.Fatal("gen.go has no genenums directive")
	}
}

// splitArgs splits a go:generate argument list, honouring double quotes.
func splitArgs(s string) []string {
	var args []string
	var cur strings.Builder
	quoted, inArg := false, false
	for _, r := range s {
		switch {
		case r == '"':
			quoted = !quoted
			inArg = true
		case r == ' ' && !quoted:
			if inArg {
				args = append(args, cur.String())
				cur.Reset()
				inArg = false
			}
		default:
			cur.WriteRune(r)
			inArg = true
		}
	}
	if inArg {
		args = append(args, cur.String())
	}
	return args
}
