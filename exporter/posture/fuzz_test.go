package posture

import (
	"os"
	"testing"
)

// Any /proc/<pid>/status either fails with an error or gives a posture
// where privileged means every dangerous capability.
func FuzzParseStatus(f *testing.F) {
	if self, err := os.ReadFile("/proc/self/status"); err == nil {
		f.Add(string(self))
	}
	f.Add("CapEff:\t000001ffffffffff\nSeccomp:\t0\nNoNewPrivs:\t1\nUid:\t0\t0\t0\t0\n")
	f.Add("CapEff: zz\nUid: 1\n")
	f.Fuzz(func(t *testing.T, status string) {
		p, err := parseStatus([]byte(status))
		if err != nil {
			return
		}
		all := true
		for _, c := range DangerousCaps {
			all = all && p.Caps[c.Name]
		}
		if p.Privileged != all {
			t.Fatalf("privileged %v with caps %v", p.Privileged, p.Caps)
		}
	})
}

// Any pair of mountinfo files either fails with an error or gives a
// posture whose sensitive mounts are known classes.
func FuzzMountinfo(f *testing.F) {
	if self, err := os.ReadFile("/proc/self/mountinfo"); err == nil {
		f.Add(string(self), string(self))
	}
	f.Add("1 0 0:1 / / ro - overlay overlay ro\n2 1 0:2 /run/containerd/containerd.sock /run/c.sock rw - tmpfs tmpfs rw\n",
		"1 0 0:2 / /run rw - tmpfs tmpfs rw\n")
	f.Add("1 0 0:1 / /a\\040b rw\n", "x")
	known := map[string]bool{}
	for _, l := range SensitiveMountLabels() {
		known[l] = true
	}
	f.Fuzz(func(t *testing.T, mine, host string) {
		ms, err1 := parseMountinfo(mine)
		hs, err2 := parseMountinfo(host)
		if err1 != nil || err2 != nil {
			return
		}
		readonlyRoot(ms)
		for label := range sensitiveMounts(ms, hs) {
			if !known[label] {
				t.Fatalf("sensitive mount %q is no class", label)
			}
		}
	})
}
