package preflight

import (
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/rtsec/rtsec/exporter/privileges"
)

const (
	capSysAdmin = unix.CAP_SYS_ADMIN
	capBPF      = unix.CAP_BPF
	capPerfmon  = unix.CAP_PERFMON
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

func TestDegradations(t *testing.T) {
	all := privileges.Required([]string{"posture"})
	cases := []struct {
		name string
		caps uint64
		want []string // capability names warned about, in order
	}{
		{"everything", privileges.Mask(all), nil},
		{"root", 1<<41 - 1, nil},
		{"load only", 1<<capBPF | 1<<capPerfmon, []string{"CAP_DAC_READ_SEARCH", "CAP_SYS_PTRACE"}},
		{"sys_admin does not stand in", 1 << capSysAdmin, []string{"CAP_DAC_READ_SEARCH", "CAP_SYS_PTRACE"}},
		{"no ptrace", privileges.Mask(all) &^ (1 << unix.CAP_SYS_PTRACE), []string{"CAP_SYS_PTRACE"}},
	}
	for _, c := range cases {
		got := degradations(c.caps, all)
		if len(got) != len(c.want) {
			t.Errorf("%s: degradations = %q, want warnings naming %v", c.name, got, c.want)
			continue
		}
		for i, name := range c.want {
			if !strings.HasPrefix(got[i], "no "+name+": ") {
				t.Errorf("%s: warning %q does not start with %q", c.name, got[i], "no "+name+": ")
			}
		}
	}
}
