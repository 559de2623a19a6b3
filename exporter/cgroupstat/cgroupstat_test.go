package cgroupstat

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/rtsec/rtsec/internal/testenv"
)

// write creates files (name → content) under dir.
func write(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestDetect(t *testing.T) {
	hybrid := strings.Join([]string{
		"30 25 0:26 / /sys/fs/cgroup/unified rw,nosuid - cgroup2 cgroup2 rw",
		"31 25 0:27 / /sys/fs/cgroup/cpu rw,nosuid - cgroup cgroup rw,cpu",
		"32 25 0:28 / /sys/fs/cgroup/memory rw,nosuid - cgroup cgroup rw,memory",
		"33 25 0:29 /kubepods /sys/fs/cgroup/pids rw,nosuid - cgroup cgroup rw,pids",
	}, "\n")
	cases := []struct {
		name      string
		v2        []string
		mountinfo string
		want      map[string]string
	}{
		{"pure v2", []string{"cpuset", "cpu", "io", "memory", "pids"}, "30 25 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw", map[string]string{"cpu": "v2", "memory": "v2", "pids": "v2"}},
		{"hybrid", []string{"hugetlb"}, hybrid, map[string]string{"cpu": "v1", "memory": "v1", "pids": "v1"}},
		{"hybrid, pids moved to v2", []string{"pids"}, hybrid, map[string]string{"cpu": "v1", "memory": "v1", "pids": "v2"}},
		{"no controllers", nil, "", map[string]string{}},
	}
	for _, c := range cases {
		l, err := detect("/sys/fs/cgroup/unified", c.v2, strings.NewReader(c.mountinfo))
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if got := l.Controllers(); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: controllers = %v, want %v", c.name, got, c.want)
		}
	}
}

func TestReadV2(t *testing.T) {
	root := t.TempDir()
	write(t, filepath.Join(root, "c1"), map[string]string{
		"cpu.stat":       "usage_usec 3500000\nuser_usec 3000000\nsystem_usec 500000\nnr_periods 40\nnr_throttled 10\nthrottled_usec 250000\n",
		"cpu.max":        "150000 100000\n",
		"memory.current": "1048576\n",
		"memory.peak":    "2097152\n",
		"memory.max":     "max\n",
		"memory.events":  "low 0\nhigh 2\nmax 7\noom 1\noom_kill 1\noom_group_kill 0\n",
		"pids.current":   "5\n",
		"pids.max":       "64\n",
		"pids.events":    "max 3\n",
	})
	l, err := detect(root, []string{"cpu", "memory", "pids"}, strings.NewReader(""))
	if err != nil {
		t.Fatal(err)
	}
	d, err := l.DirsOf("/c1", "/proc")
	if err != nil {
		t.Fatal(err)
	}
	s, err := l.Read(d)
	if err != nil {
		t.Fatal(err)
	}
	want := map[Field]float64{
		CPUUserSeconds: 3, CPUSystemSeconds: 0.5, CPUQuotaCores: 1.5, CPUPeriods: 40, CPUThrottledPeriods: 10, CPUThrottledSeconds: 0.25,
		MemoryBytes: 1 << 20, MemoryPeakBytes: 2 << 20, PidsCurrent: 5, PidsLimit: 64, PidsLimitHits: 3,
	}
	if !reflect.DeepEqual(s.Values, want) {
		t.Errorf("values = %v, want %v (no memory limit: memory.max is max)", s.Values, want)
	}
	if wantEv := map[string]float64{"high": 2, "max": 7, "oom": 1, "oom_kill": 1}; !reflect.DeepEqual(s.Events, wantEv) {
		t.Errorf("events = %v, want %v", s.Events, wantEv)
	}

	// A Stats reused for the next container holds that container's values
	// only: nothing of c1's is left where c2 has no file.
	write(t, filepath.Join(root, "c2"), map[string]string{"cpu.stat": "user_usec 1000000\nsystem_usec 0\n", "memory.current": "4096\n"})
	if d, err = l.DirsOf("/c2", "/proc"); err != nil {
		t.Fatal(err)
	}
	if err := l.ReadInto(d, &s, nil); err != nil {
		t.Fatal(err)
	}
	if want := map[Field]float64{CPUUserSeconds: 1, CPUSystemSeconds: 0, MemoryBytes: 4096}; !reflect.DeepEqual(s.Values, want) {
		t.Errorf("reused for c2: values = %v, want %v", s.Values, want)
	}
	if len(s.Events) != 0 {
		t.Errorf("reused for c2: events = %v, want none", s.Events)
	}
}

// On a hybrid node the v1 directories come from a process of the
// container, and count only when named like its cgroup2 directory.
func TestReadHybrid(t *testing.T) {
	root := t.TempDir()
	unified, cpu, memory, pids, proc := filepath.Join(root, "unified"), filepath.Join(root, "cpu"), filepath.Join(root, "memory"), filepath.Join(root, "pids"), filepath.Join(root, "proc")
	write(t, filepath.Join(unified, "box"), map[string]string{"cgroup.procs": "42\n", "cpu.stat": "usage_usec 10\nuser_usec 7\nsystem_usec 3\n"})
	write(t, filepath.Join(unified, "moved"), map[string]string{"cgroup.procs": "43\n", "cpu.stat": "usage_usec 10\nuser_usec 7\nsystem_usec 3\n"})
	write(t, filepath.Join(proc, "42"), map[string]string{"cgroup": "8:pids:/box\n4:memory:/runtime/box\n1:cpu:/box\n0::/box\n"})
	write(t, filepath.Join(proc, "43"), map[string]string{"cgroup": "8:pids:/\n4:memory:/runtime\n1:cpu:/\n0::/moved\n"})
	write(t, filepath.Join(cpu, "box"), map[string]string{"cpu.stat": "nr_periods 5\nnr_throttled 2\nthrottled_time 1500000000\n", "cpu.cfs_quota_us": "50000\n", "cpu.cfs_period_us": "100000\n"})
	write(t, filepath.Join(memory, "runtime", "box"), map[string]string{
		"memory.usage_in_bytes": "4096\n", "memory.max_usage_in_bytes": "8192\n", "memory.limit_in_bytes": "33554432\n",
		"memory.failcnt": "9\n", "memory.oom_control": "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n",
	})
	write(t, filepath.Join(pids, "box"), map[string]string{"pids.current": "3\n", "pids.max": "max\n", "pids.events": "max 0\n"})
	mountinfo := strings.Join([]string{
		"31 25 0:27 / " + cpu + " rw - cgroup cgroup rw,cpu",
		"32 25 0:28 / " + memory + " rw - cgroup cgroup rw,memory",
		"33 25 0:29 / " + pids + " rw - cgroup cgroup rw,pids",
	}, "\n")
	l, err := detect(unified, nil, strings.NewReader(mountinfo))
	if err != nil {
		t.Fatal(err)
	}
	d, err := l.DirsOf("/box", proc)
	if err != nil || !d.Found() {
		t.Fatalf("DirsOf(/box) = %v, %v", d, err)
	}
	s, err := l.Read(d)
	if err != nil {
		t.Fatal(err)
	}
	want := map[Field]float64{
		CPUUserSeconds: 7e-6, CPUSystemSeconds: 3e-6, CPUQuotaCores: 0.5, CPUPeriods: 5, CPUThrottledPeriods: 2, CPUThrottledSeconds: 1.5,
		MemoryBytes: 4096, MemoryPeakBytes: 8192, MemoryLimitBytes: 32 << 20, PidsCurrent: 3, PidsLimitHits: 0,
	}
	if !reflect.DeepEqual(s.Values, want) {
		t.Errorf("values = %v, want %v", s.Values, want)
	}
	if wantEv := map[string]float64{"max": 9, "oom_kill": 2}; !reflect.DeepEqual(s.Events, wantEv) {
		t.Errorf("events = %v, want %v", s.Events, wantEv)
	}

	// A process moved into a cgroup2 directory by hand is in its
	// parent's v1 cgroups: only the CPU time of cgroup2 is its own.
	d, err = l.DirsOf("/moved", proc)
	if err != nil {
		t.Fatal(err)
	}
	s, err = l.Read(d)
	if err != nil {
		t.Fatal(err)
	}
	if want := map[Field]float64{CPUUserSeconds: 7e-6, CPUSystemSeconds: 3e-6}; !reflect.DeepEqual(s.Values, want) {
		t.Errorf("moved: values = %v, want %v", s.Values, want)
	}
}

func TestReadErrors(t *testing.T) {
	root := t.TempDir()
	write(t, filepath.Join(root, "bad"), map[string]string{"cpu.stat": "user_usec 1\n", "pids.current": "lots\n"})
	l, err := detect(root, []string{"pids"}, strings.NewReader(""))
	if err != nil {
		t.Fatal(err)
	}
	d, _ := l.DirsOf("/bad", "/proc")
	if _, err := l.Read(d); err == nil || !strings.Contains(err.Error(), "pids.current") {
		t.Errorf("Read of an unparsable pids.current: err = %v, want one naming the file", err)
	}
	d, _ = l.DirsOf("/gone", "/proc")
	if _, err := l.Read(d); err != ErrGone {
		t.Errorf("Read of a removed cgroup: err = %v, want ErrGone", err)
	}
}

// Files reads kept descriptors again from offset 0, so a changed file
// gives its new content, and closes at End what the scrape did not read.
func TestFilesKept(t *testing.T) {
	root := t.TempDir()
	write(t, filepath.Join(root, "c1"), map[string]string{"cpu.stat": "user_usec 1000000\nsystem_usec 0\n", "memory.current": "4096\n"})
	write(t, filepath.Join(root, "c2"), map[string]string{"cpu.stat": "user_usec 2000000\nsystem_usec 0\n"})
	l, err := detect(root, []string{"memory"}, strings.NewReader(""))
	if err != nil {
		t.Fatal(err)
	}
	files := NewFiles(100)
	var s Stats
	read := func(c string) map[Field]float64 {
		t.Helper()
		d, err := l.DirsOf("/"+c, "/proc")
		if err != nil {
			t.Fatal(err)
		}
		if err := l.ReadInto(d, &s, files); err != nil {
			t.Fatal(err)
		}
		return s.Values
	}
	files.Begin()
	read("c1")
	read("c2")
	files.End()
	// c1's cpu.stat, memory.current (and the missing memory.peak, memory.max
	// and memory.events, not kept), c2's cpu.stat.
	if got := files.Len(); got != 3 {
		t.Errorf("%d files kept after reading c1 and c2, want 3", got)
	}
	write(t, filepath.Join(root, "c1"), map[string]string{"memory.current": "8192\n"})
	files.Begin()
	if got := read("c1")[MemoryBytes]; got != 8192 {
		t.Errorf("memory after the file changed = %v, want 8192", got)
	}
	files.End()
	if got := files.Len(); got != 2 {
		t.Errorf("%d files kept after a scrape that read c1 only, want c1's 2", got)
	}
	none := NewFiles(0)
	d, _ := l.DirsOf("/c2", "/proc")
	if err := l.ReadInto(d, &s, none); err != nil || s.Values[CPUUserSeconds] != 2 || none.Len() != 0 {
		t.Errorf("with no descriptors to keep: %v, %v, %d kept", s.Values, err, none.Len())
	}
}

// A kept file of a removed cgroup reports the cgroup gone, and its files
// are closed by the end of the scrape.
func TestFilesRemovedCgroup(t *testing.T) {
	testenv.RequireRoot(t)
	unified := ""
	for _, p := range []string{"/sys/fs/cgroup/unified", "/sys/fs/cgroup"} {
		var st unix.Statfs_t
		if unix.Statfs(p, &st) == nil && st.Type == unix.CGROUP2_SUPER_MAGIC {
			unified = p
			break
		}
	}
	if unified == "" {
		testenv.Unavailable(t, "no cgroup2 mount")
	}
	l, err := Detect(unified)
	if err != nil {
		t.Fatal(err)
	}
	rel := fmt.Sprintf("/rtsec-test-files-%d", os.Getpid())
	if err := os.Mkdir(unified+rel, 0o755); err != nil {
		t.Fatal(err)
	}
	defer os.Remove(unified + rel)
	d, err := l.DirsOf(rel, "/proc")
	if err != nil {
		t.Fatal(err)
	}
	files := NewFiles(100)
	defer files.Close()
	var s Stats
	files.Begin()
	if err := l.ReadInto(d, &s, files); err != nil {
		t.Fatal(err)
	}
	if _, ok := s.Values[CPUUserSeconds]; !ok || files.Len() == 0 {
		t.Fatalf("a live cgroup: values %v, %d files kept", s.Values, files.Len())
	}
	files.End()
	if err := os.Remove(unified + rel); err != nil {
		t.Fatal(err)
	}
	files.Begin()
	if err := l.ReadInto(d, &s, files); err != ErrGone {
		t.Errorf("ReadInto of the removed cgroup through kept files: %v, want ErrGone", err)
	}
	files.End()
	if n := files.Len(); n != 0 {
		t.Errorf("%d files still kept for the removed cgroup after the scrape", n)
	}
}
