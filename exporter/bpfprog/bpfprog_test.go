package bpfprog

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"

	"github.com/rtsec/rtsec/bpf"
	"github.com/rtsec/rtsec/internal/testenv"
)

type badObjects struct {
	Prog *ebpf.Program `ebpf:"bad_prog"`
}

func (o *badObjects) Close() error { return o.Prog.Close() }

func TestVerifierRejectionIsReported(t *testing.T) {
	testenv.RequireRoot(t)
	spec := &ebpf.CollectionSpec{Programs: map[string]*ebpf.ProgramSpec{
		"bad_prog": {
			Name: "bad_prog", Type: ebpf.RawTracepoint, SectionName: "raw_tp/sys_enter", License: "GPL",
			// Returns without setting R0: the verifier refuses.
			Instructions: asm.Instructions{asm.Return()},
		},
	}}
	err := NewSet().Load(spec, &badObjects{})
	if err == nil {
		t.Fatal("Load accepted a program the verifier must reject")
	}
	for _, want := range []string{"BPF verifier rejected", "bad_prog", "verifier log", "R0 !read_ok"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
	if !errors.Is(err, ErrUnsupported) {
		t.Errorf("a verifier rejection is not ErrUnsupported: %v", err)
	}
}

func TestLoadAttachCountClose(t *testing.T) {
	testenv.RequireRoot(t)
	spec, err := bpf.LoadProcess()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := DropMissingTracepoints(spec); err != nil {
		t.Fatal(err)
	}
	set := NewSet()
	var objs bpf.ProcessMaps
	if err := set.Load(spec, &objs); err != nil {
		t.Fatal(err)
	}
	if _, ok := set.Programs()["handle_exec"]; !ok {
		t.Fatalf("programs %v lack handle_exec", set.Programs())
	}
	if _, ok := set.Maps()[".rodata"]; ok {
		t.Error("variable sections are listed as maps")
	}
	if err := exec.Command("/bin/true").Run(); err != nil {
		t.Fatal(err)
	}
	counts, err := Dump[bpf.ProcessExecKey, uint64](objs.ExecCounts)
	if err != nil {
		t.Fatal(err)
	}
	if len(counts) == 0 {
		t.Error("attached exec program counted nothing after an exec")
	}
	if err := set.Close(); err != nil {
		t.Fatal(err)
	}
	if len(set.Programs()) != 0 || len(set.Maps()) != 0 {
		t.Error("Close left programs or maps listed")
	}
}

func TestDropMissingTracepoints(t *testing.T) {
	events := t.TempDir()
	if err := os.MkdirAll(filepath.Join(events, "syscalls", "sys_exit_mount"), 0o755); err != nil {
		t.Fatal(err)
	}
	spec := &ebpf.CollectionSpec{Programs: map[string]*ebpf.ProgramSpec{
		"mount_exit":       {SectionName: "tracepoint/syscalls/sys_exit_mount"},
		"init_module_exit": {SectionName: "tracepoint/syscalls/sys_exit_init_module"},
		"handle_exec":      {SectionName: "tp_btf/sched_process_exec"},
	}}
	dropped, err := dropMissing(spec, events)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"tracepoint/syscalls/sys_exit_init_module"}; !slices.Equal(dropped, want) {
		t.Errorf("dropped %v, want %v", dropped, want)
	}
	if _, ok := spec.Programs["init_module_exit"]; ok || len(spec.Programs) != 2 {
		t.Errorf("programs left %v, want mount_exit and handle_exec", spec.Programs)
	}
}

func TestAttachRefusesOtherHooks(t *testing.T) {
	for _, section := range []string{"kprobe/do_sys_open", "fentry/do_unlinkat", "lsm/bprm_check_security", "tracepoint/nogroup"} {
		if _, err := Attach(section, nil); err == nil {
			t.Errorf("Attach(%q) succeeded, want an error: rtsec attaches only to tracepoints", section)
		}
	}
}
