package cgroupstat

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rtsec/rtsec/internal/testenv"
)

// benchContainers is the node size the scrape cost is measured at.
const benchContainers = 1000

// BenchmarkRead1000Containers reads the files of 1 000 real cgroups, one
// scrape of the resources collector's cgroup reads on a node running 1 000
// containers: made in every hierarchy the layout reads (each v1 one under
// the benchmark's own cgroup there), removed at the end.
func BenchmarkRead1000Containers(b *testing.B) {
	testenv.RequireRoot(b)
	l, err := Detect(detectUnified(b))
	if err != nil {
		b.Fatal(err)
	}
	self := selfV1Paths(b)
	name := fmt.Sprintf("rtsec-bench-%d", os.Getpid())
	var made []string
	b.Cleanup(func() {
		for i := len(made) - 1; i >= 0; i-- {
			os.Remove(made[i])
		}
	})
	mkdir := func(dir string) {
		if err := os.Mkdir(dir, 0o755); err != nil {
			b.Fatalf("make cgroup: %v", err)
		}
		made = append(made, dir)
	}
	parents := map[string]string{}
	for c, h := range l.controllers {
		parent := filepath.Join(h.mount, name)
		if h.v1 {
			parent = filepath.Join(h.mount, strings.TrimPrefix(self[c], h.root), name)
		}
		if _, ok := parents[parent]; !ok {
			mkdir(parent)
		}
		parents[c] = parent
	}
	unified := filepath.Join(l.Unified, name)
	if _, ok := parents[unified]; !ok && !strings.HasPrefix(parents[CPU], unified) {
		mkdir(unified)
	}
	dirs := make([]Dirs, benchContainers)
	for i := range dirs {
		child := fmt.Sprintf("c%04d", i)
		d := Dirs{Unified: filepath.Join(unified, child), controllers: map[string]string{}, found: true}
		mkdir(d.Unified)
		for c, parent := range parents {
			if dir := filepath.Join(parent, child); dir == d.Unified {
				d.controllers[c] = dir
			} else {
				mkdir(dir)
				d.controllers[c] = dir
			}
		}
		dirs[i] = d
	}
	b.ResetTimer()
	for b.Loop() {
		for _, d := range dirs {
			if _, err := l.Read(d); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1e6, "ms/scrape")
}

func detectUnified(b *testing.B) string {
	for _, p := range []string{"/sys/fs/cgroup/unified", "/sys/fs/cgroup"} {
		if _, err := os.Stat(filepath.Join(p, "cgroup.controllers")); err == nil {
			return p
		}
	}
	b.Skip("no cgroup2 mount")
	return ""
}

// selfV1Paths returns this process's v1 cgroup paths by controller.
func selfV1Paths(b *testing.B) map[string]string {
	data, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		b.Fatal(err)
	}
	out := map[string]string{}
	for line := range strings.Lines(string(data)) {
		parts := strings.SplitN(strings.TrimSpace(line), ":", 3)
		if len(parts) == 3 {
			for _, c := range strings.Split(parts[1], ",") {
				out[c] = parts[2]
			}
		}
	}
	return out
}
