package privileges

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestOlderThan(t *testing.T) {
	cases := []struct {
		release string
		want    bool
	}{
		{"6.18.44-fc-v657", false},
		{"6.5.0", false},
		{"6.5-rc1", false},
		{"6.4.16", true},
		{"6.1.0-27-amd64", true},
		{"5.15.0-1051-aws", true},
		{"7.0.1", false},
		{"garbage", true},
	}
	for _, c := range cases {
		if got := olderThan(c.release, 6, 5); got != c.want {
			t.Errorf("olderThan(%q, 6, 5) = %v, want %v", c.release, got, c.want)
		}
	}
}

func TestRequiredFollowsCollectors(t *testing.T) {
	without := Names(Required([]string{"bpf", "container", "process"}))
	if slices.Contains(without, "CAP_SYS_PTRACE") {
		t.Errorf("Required without the posture collector = %v, want no CAP_SYS_PTRACE", without)
	}
	with := Names(Required([]string{"process", "posture"}))
	if len(with) != len(Documented) {
		t.Errorf("Required with every collector = %v, want all of %v", with, Names(Documented))
	}
}

func TestRuntimeDropsStartupOnly(t *testing.T) {
	got := Names(Runtime([]string{"posture"}))
	for _, name := range []string{"CAP_DAC_READ_SEARCH", "CAP_SYS_PTRACE"} {
		if !slices.Contains(got, name) {
			t.Errorf("Runtime = %v, want %s kept", got, name)
		}
	}
	if slices.Contains(got, "CAP_PERFMON") {
		t.Errorf("Runtime = %v, want CAP_PERFMON dropped", got)
	}
	if slices.Contains(got, "CAP_BPF") != bpfCommandsNeedCap() {
		t.Errorf("Runtime = %v: CAP_BPF kept must follow the kernel (needed: %v)", got, bpfCommandsNeedCap())
	}
}

func TestDocumentedIsConsistent(t *testing.T) {
	seen := map[int]bool{}
	for _, c := range Documented {
		if seen[c.Bit] {
			t.Errorf("%s listed twice", c.Name)
		}
		seen[c.Bit] = true
		if c.Why == "" || !c.Load && c.Missing == "" {
			t.Errorf("%s: want Why, and Missing unless it loads programs", c.Name)
		}
	}
	if got := Mask(Documented[:2]); got != 1<<38|1<<39 {
		t.Errorf("Mask(CAP_BPF, CAP_PERFMON) = %#x, want %#x", got, uint64(1<<38|1<<39))
	}
}

func TestReadStatus(t *testing.T) {
	path := filepath.Join(t.TempDir(), "status")
	status := "Name:\tx\nCapInh:\t0000000000000000\nCapPrm:\t0000000000000004\nCapEff:\t0000000000000004\nCapBnd:\t000000c000000004\nCapAmb:\t0000000000000000\nNoNewPrivs:\t1\nSeccomp:\t2\n"
	if err := os.WriteFile(path, []byte(status), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := ReadStatus(path)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]uint64{"CapInh": 0, "CapPrm": 4, "CapEff": 4, "CapBnd": 0xc000000004, "CapAmb": 0, "NoNewPrivs": 1, "Seccomp": 2}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %#x, want %#x", k, got[k], v)
		}
	}
	if err := os.WriteFile(path, []byte("CapEff:\tzz\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadStatus(path); err == nil {
		t.Error("ReadStatus accepted CapEff zz")
	}
}
