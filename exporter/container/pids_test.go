package container

import (
	"os"
	"path/filepath"
	"testing"
)

// LiveContainers lists the walked containers with their metadata; a
// container's first pid is the first line of its cgroup.procs, else of a
// cgroup below it, and a container with no process has none.
func TestLiveContainersFirstPid(t *testing.T) {
	r, cg := tempTree(t, ResolverOptions{})
	write := func(path, procs string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(cg, path, "cgroup.procs"), []byte(procs), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("/kubepods/pod"+uid+"/"+hexB, "42\n43\n")
	write("/docker/"+hexA, "")
	write("/docker/"+hexA+"/sub", "7\n")
	containers, err := r.LiveContainers()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for _, c := range containers {
		pid, ok := c.FirstPid()
		if !ok {
			pid = -1
		}
		got[c.Identity.ID] = pid
		if c.Identity.ID == hexB && c.Identity.Pod != podMeta.Pod {
			t.Errorf("%s: pod %q, want the metadata's %q", hexB, c.Identity.Pod, podMeta.Pod)
		}
	}
	for id, want := range map[string]int{hexB: 42, hexA: 7, "mycontainer": -1} {
		if got[id] != want {
			t.Errorf("first pid of %s: %d, want %d (-1: none); all: %v", id, got[id], want, got)
		}
	}
}
