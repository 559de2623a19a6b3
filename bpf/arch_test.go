package bpf

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/btf"
)

// registerReads returns the syscall registers the object's programs read
// through CO-RE relocations, as type.field (e.g. "pt_regs.si",
// "user_pt_regs.regs[1]"), by program.
func registerReads(t *testing.T, object string) map[string][]string {
	t.Helper()
	spec, err := ebpf.LoadCollectionSpec(object)
	if err != nil {
		t.Fatal(err)
	}
	// CORERelocation(byte_off, Struct:"user_pt_regs"[0:0:1], local_id=5)
	relo := regexp.MustCompile(`Struct:"((?:user_)?pt_regs(?:___\w+)?)"\[([0-9:]+)\]`)
	reads := map[string][]string{}
	for name, prog := range spec.Programs {
		for _, ins := range prog.Instructions {
			cr := btf.CORERelocationMetadata(&ins)
			if cr == nil {
				continue
			}
			m := relo.FindStringSubmatch(cr.String())
			if m == nil {
				continue
			}
			field, err := accessorName(spec.Types, m[1], m[2])
			if err != nil {
				t.Fatalf("%s: %s: %v", object, cr, err)
			}
			if !slices.Contains(reads[name], field) {
				reads[name] = append(reads[name], field)
			}
		}
		slices.Sort(reads[name])
	}
	return reads
}

// accessorName spells a CO-RE accessor ("0:13", "0:0:1") of struct typ as
// typ.member[index].
func accessorName(types *btf.Spec, typ, accessor string) (string, error) {
	var st *btf.Struct
	if err := types.TypeByName(typ, &st); err != nil {
		return "", err
	}
	parts := strings.Split(accessor, ":")
	name := typ
	var cur btf.Type = st
	for _, p := range parts[1:] {
		i, err := strconv.Atoi(p)
		if err != nil {
			return "", err
		}
		switch v := btf.UnderlyingType(cur).(type) {
		case *btf.Struct:
			if i >= len(v.Members) {
				return "", fmt.Errorf("member %d of %s", i, v.Name)
			}
			name += "." + v.Members[i].Name
			cur = v.Members[i].Type
		case *btf.Array:
			name += fmt.Sprintf("[%d]", i)
			cur = v.Type
		default:
			return "", fmt.Errorf("accessor %s into %T", accessor, v)
		}
	}
	return name, nil
}

// The file collector reads the open syscalls' arguments from the task's
// registers, whose names differ by architecture: the x86-64 object reads
// pt_regs di/si/dx, the arm64 object user_pt_regs regs[1]/regs[2] and
// orig_x0 (x0 holds the return value at syscall exit), as each kernel's
// syscall ABI puts them, and neither reads the other's layout. The four
// open exits share one subprogram (open_args by kind), so each reads all
// of its object's three.
func TestFileObjectsReadTheirArchitecturesRegisters(t *testing.T) {
	programs := []string{"file_exit_creat", "file_exit_open", "file_exit_openat", "file_exit_openat2"}
	want := map[string][]string{
		"files_x86_bpfel.o":   {"pt_regs.di", "pt_regs.dx", "pt_regs.si"},
		"files_arm64_bpfel.o": {"pt_regs___arm64.orig_x0", "user_pt_regs.regs[1]", "user_pt_regs.regs[2]"},
	}
	for object, fields := range want {
		got := registerReads(t, object)
		var readers []string
		for prog, read := range got {
			if len(read) == 0 {
				continue
			}
			readers = append(readers, prog)
			if !slices.Equal(read, fields) {
				t.Errorf("%s: %s reads registers %v, want %v", object, prog, read, fields)
			}
		}
		if slices.Sort(readers); !slices.Equal(readers, programs) {
			t.Errorf("%s: programs %v read registers, want %v", object, readers, programs)
		}
	}
}

// Every BPF source is GPL-2.0 (its SPDX line, bpf/LICENSE) and every
// program says so to the kernel, which allows GPL-only helpers
// (bpf_probe_read_*, bpf_send_signal…) only to GPL-compatible programs.
func TestBPFLicenses(t *testing.T) {
	text, err := os.ReadFile("LICENSE")
	if err != nil || !strings.Contains(string(text), "GNU GENERAL PUBLIC LICENSE\n                       Version 2, June 1991") {
		t.Errorf("bpf/LICENSE is not the GPL-2.0 (%v)", err)
	}
	sources, _ := filepath.Glob("src/*.bpf.c")
	if len(sources) == 0 {
		t.Fatal("no BPF sources")
	}
	for _, src := range sources {
		data, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		if first, _, _ := strings.Cut(string(data), "\n"); first != "// SPDX-License-Identifier: GPL-2.0" {
			t.Errorf("%s starts %q, want its GPL-2.0 SPDX line", src, first)
		}
	}
	objects, _ := filepath.Glob("*.o")
	for _, object := range objects {
		spec, err := ebpf.LoadCollectionSpec(object)
		if err != nil {
			t.Fatal(err)
		}
		for name, prog := range spec.Programs {
			if prog.License != "GPL" && prog.License != "Dual BSD/GPL" {
				t.Errorf("%s: %s has licence %q, want GPL", object, name, prog.License)
			}
		}
	}
}
