package preflight

import (
	"strings"
	"testing"
)

func TestParseCapEff(t *testing.T) {
	cases := []struct {
		status  string
		want    uint64
		wantErr bool
	}{
		{"Name:\tx\nCapInh:\t0000000000000000\nCapEff:\t000001ffffffffff\n", 0x1ffffffffff, false},
		{"CapEff:\t0000000000000000\n", 0, false},
		{"Name:\tx\n", 0, true},
		{"CapEff:\tzz\n", 0, true},
	}
	for _, c := range cases {
		got, err := parseCapEff(strings.NewReader(c.status))
		if (err != nil) != c.wantErr || got != c.want {
			t.Errorf("parseCapEff(%q) = %#x, %v; want %#x, error %v", c.status, got, err, c.want, c.wantErr)
		}
	}
}

func TestMissingPrivilege(t *testing.T) {
	cases := []struct {
		name string
		caps uint64
		want string // substring; "" means no complaint
	}{
		{"root", 1<<capSysAdmin | 1<<capBPF | 1<<capPerfmon, ""},
		{"sys_admin only", 1 << capSysAdmin, ""},
		{"bpf and perfmon", 1<<capBPF | 1<<capPerfmon, ""},
		{"nothing", 0, "missing CAP_BPF and CAP_PERFMON"},
		{"bpf only", 1 << capBPF, "missing CAP_PERFMON (or CAP_SYS_ADMIN)"},
		{"perfmon only", 1 << capPerfmon, "missing CAP_BPF (or CAP_SYS_ADMIN)"},
	}
	for _, c := range cases {
		got := missingPrivilege(c.caps)
		if (c.want == "") != (got == "") || !strings.Contains(got, c.want) {
			t.Errorf("%s: missingPrivilege = %q, want it to contain %q", c.name, got, c.want)
		}
	}
}
