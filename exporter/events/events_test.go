package events

import (
	"bytes"
	"encoding/binary"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/rtsec/rtsec/bpf/enums"
	"github.com/rtsec/rtsec/exporter/container"
)

func encode(t testing.TB, r record) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := binary.Write(&b, binary.LittleEndian, r); err != nil {
		t.Fatal(err)
	}
	if b.Len() != 464 {
		t.Fatalf("record is %d bytes, want 464 like struct rtsec_event", b.Len())
	}
	return b.Bytes()
}

func TestDecode(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	d := Decoder{
		Host:    "node1",
		Resolve: func(id uint64) container.Identity { return container.Identity{ID: "c1", Namespace: "shop"} },
		Redact:  []*regexp.Regexp{regexp.MustCompile(`(--password=).+`)},
		Now:     func() time.Time { return now },
	}
	r := record{CgroupID: 7, Type: 1, Code: 1<<0 | 1<<3, Pid: 10, Ppid: 9, UID: 1000, EUID: 0}
	copy(r.Comm[:], "sh")
	copy(r.Exe[:], "/tmp/sh")
	args := "sh\x00-c\x00--password=hunter2\x00"
	copy(r.Argv[:], args)
	r.ArgvLen = uint32(len(args))
	l, err := d.Decode(encode(t, r))
	if err != nil {
		t.Fatal(err)
	}
	if l.Type != "suspicious_exec" || !slices.Equal(l.Reasons, []string{"stdio_socket", "writable_dir"}) {
		t.Errorf("type %q reasons %v, want suspicious_exec [stdio_socket writable_dir]", l.Type, l.Reasons)
	}
	if want := []string{"sh", "-c", "--password=" + Redacted}; !slices.Equal(l.Argv, want) || l.ArgvTruncated {
		t.Errorf("argv %q (truncated %v), want %q", l.Argv, l.ArgvTruncated, want)
	}
	if l.ContainerID != "c1" || l.Namespace != "shop" || l.Host != "node1" || !l.Time.Equal(now) || l.Exe != "/tmp/sh" || l.UID != 1000 {
		t.Errorf("identity or process fields wrong: %+v", l)
	}

	r = record{Type: 3, Code: 11, Ret: -1}
	r.ArgvLen = uint32(len(r.Argv))
	for i := range r.Argv {
		r.Argv[i] = 'x'
	}
	l, err = d.Decode(encode(t, r))
	if err != nil {
		t.Fatal(err)
	}
	if l.Syscall != "open_by_handle_at" || l.Return == nil || *l.Return != -1 || !l.ArgvTruncated {
		t.Errorf("syscall event decoded as %+v, want open_by_handle_at returning -1 with truncated argv", l)
	}
	if _, err := d.Decode(encode(t, record{Type: 99})); err == nil {
		t.Error("an unknown event type decoded without error")
	}
}

func TestOpen(t *testing.T) {
	if w, err := Open("none", FileOptions{}); w != nil || err != nil {
		t.Errorf("Open(none) = %v, %v; want nil, nil", w, err)
	}
	for _, bad := range []string{"", "file:", "stderr", "/var/log/x"} {
		if _, err := Open(bad, FileOptions{}); err == nil {
			t.Errorf("Open(%q) accepted a bad output", bad)
		}
	}
	w, err := Open("file:"+t.TempDir()+"/events.json", FileOptions{MaxSize: 1 << 20, MaxBackups: 1})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestDecodeEnforcement(t *testing.T) {
	var got struct {
		cgroup       uint64
		code, values uint32
	}
	d := Decoder{
		Resolve: func(uint64) container.Identity { return container.Identity{ID: "c1"} },
		Now:     time.Now,
		Enforcement: func(cgroupID uint64, code, values uint32, out *Line) {
			got.cgroup, got.code, got.values = cgroupID, code, values
			out.PolicyRule = "rule-1"
		},
	}
	// suspicious_exec (1), would_kill (1 << 8), memfd (bit 1)
	l, err := d.Decode(encode(t, record{CgroupID: 7, Type: enums.EventEnforcement, Code: 1 | 1<<8, Ret: 1 << 1}))
	if err != nil {
		t.Fatal(err)
	}
	if l.Type != "enforcement" || l.Action != "would_kill" || l.PolicyRule != "rule-1" {
		t.Errorf("enforcement event decoded as type %q action %q rule %q, want enforcement would_kill rule-1", l.Type, l.Action, l.PolicyRule)
	}
	if got.cgroup != 7 || got.code != 1|1<<8 || got.values != 1<<1 {
		t.Errorf("Enforcement called with %+v, want cgroup 7, code 0x101, values 0x2", got)
	}
}
