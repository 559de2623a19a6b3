package events

import (
	"testing"
	"time"

	"github.com/rtsec/rtsec/bpf/enums"
	"github.com/rtsec/rtsec/exporter/container"
)

// A compat_syscall event's code is its class and ia32 syscall number, as
// bpf/src/process/compat.h packs them.
func TestDecodeCompatSyscall(t *testing.T) {
	d := Decoder{Resolve: func(uint64) container.Identity { return container.Identity{ID: "c1"} }, Now: time.Now}
	cases := []struct {
		class, nr         uint32
		wantClass, wantSC string
	}{
		{enums.CompatNamespace, 310, "namespace", "unshare"},
		{enums.CompatPrivilege, 208, "privilege", "setresuid32"},
		{enums.CompatModule, 350, "module", "finit_module"},
		{enums.CompatMount, 999, "mount", "ia32_999"},
	}
	for _, c := range cases {
		l, err := d.Decode(encode(t, record{CgroupID: 7, Type: enums.EventCompatSyscall, Code: c.class | c.nr<<8}))
		if err != nil {
			t.Fatal(err)
		}
		if l.Type != "compat_syscall" || l.Class != c.wantClass || l.Syscall != c.wantSC {
			t.Errorf("code %d|%d<<8 decoded as type %q class %q syscall %q, want compat_syscall %s %s",
				c.class, c.nr, l.Type, l.Class, l.Syscall, c.wantClass, c.wantSC)
		}
	}
}
