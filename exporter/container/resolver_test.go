package container

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/rtsec/rtsec/internal/testenv"
	"github.com/rtsec/rtsec/test/rootfs"
)

// inode returns the inode number of dir, the cgroup id on cgroup2.
func inode(t *testing.T, dir string) uint64 {
	t.Helper()
	fi, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Sys().(*syscall.Stat_t).Ino
}

// mkdirs creates each "/"-prefixed cgroup path under root.
func mkdirs(t *testing.T, root string, paths ...string) {
	t.Helper()
	for _, p := range paths {
		if err := os.MkdirAll(filepath.Join(root, p), 0o755); err != nil {
			t.Fatal(err)
		}
	}
}

// writeState writes the runc state.json of container name under root, as
// runc would: the unified cgroup path as seen from another mount point,
// and the configured cgroups path when cfgPath is set.
func writeState(t *testing.T, root, name, cgpath, cfgPath string) {
	t.Helper()
	st := runcStateFile{CgroupPaths: map[string]string{}}
	if cgpath != "" {
		st.CgroupPaths[""] = "/host/sys/fs/cgroup" + cgpath
	}
	st.Config.Cgroups.Path = cfgPath
	b, err := json.Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	mkdirs(t, root, "/"+name)
	if err := os.WriteFile(filepath.Join(root, name, "state.json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// metadata is a MetadataSource backed by a map.
type metadata map[string]Metadata

func (m metadata) Lookup(id string) (Metadata, bool) {
	md, ok := m[id]
	return md, ok
}

var podMeta = Metadata{Namespace: "shop", Pod: "web-0", Container: "nginx", Image: "nginx:1.27"}

// tempTree lays out a fake cgroup tree and runc state roots and returns a
// resolver over them.
func tempTree(t *testing.T, opts ResolverOptions) (*Resolver, string) {
	t.Helper()
	cg, state := t.TempDir(), t.TempDir()
	mkdirs(t, cg,
		"/system.slice/ssh.service",
		"/docker/"+hexA+"/sub",
		"/mycontainer/inner",
		"/default/ctr1",
		"/kubepods/pod"+uid+"/"+hexB,
	)
	runc := filepath.Join(state, "runc")
	ctrd := filepath.Join(state, "containerd", "runc")
	writeState(t, runc, "mycontainer", "/mycontainer", "")
	writeState(t, runc, "ssh.service", "/elsewhere/ssh.service", "") // names another cgroup
	writeState(t, filepath.Join(ctrd, "default"), "ctr1", "", "/default/ctr1")
	writeState(t, filepath.Join(ctrd, "k8s.io"), hexB, "/kubepods/pod"+uid+"/"+hexB, "")
	opts.CgroupRoot = cg
	opts.RuncRoots = []string{runc, filepath.Join(ctrd, "*")}
	opts.Metadata = metadata{hexB: podMeta}
	r, err := NewResolver(opts)
	if err != nil {
		t.Fatal(err)
	}
	return r, cg
}

func TestResolverResolve(t *testing.T) {
	r, cg := tempTree(t, ResolverOptions{})
	cases := []struct {
		path string
		want Identity
	}{
		{"/system.slice", Identity{Container: HostActorOther}},
		{"/system.slice/ssh.service", Identity{Container: HostActorSystemdUnit}},
		{"/docker/" + hexA, Identity{ID: hexA, Runtime: RuntimeDocker}},
		{"/docker/" + hexA + "/sub", Identity{ID: hexA, Runtime: RuntimeDocker}},
		{"/mycontainer", Identity{ID: "mycontainer", Runtime: RuntimeRunc}},
		{"/mycontainer/inner", Identity{ID: "mycontainer", Runtime: RuntimeRunc}},
		{"/default", Identity{Container: HostActorOther}},
		{"/default/ctr1", Identity{ID: "ctr1", Runtime: RuntimeContainerd}},
		{"/kubepods/pod" + uid + "/" + hexB, Identity{ID: hexB, Runtime: RuntimeContainerd, PodUID: uid,
			Namespace: podMeta.Namespace, Pod: podMeta.Pod, Container: podMeta.Container, Image: podMeta.Image}},
	}
	for _, c := range cases {
		t.Run(c.path, func(t *testing.T) {
			id := inode(t, filepath.Join(cg, c.path))
			for range 2 { // uncached, then cached
				if got := r.Resolve(id); got != c.want {
					t.Errorf("Resolve(%s) = %+v; want %+v", c.path, got, c.want)
				}
			}
		})
	}
	if got, want := r.Resolve(hostID), (Identity{Container: HostActorOther}); got != want {
		t.Errorf("Resolve(host) = %+v; want %+v", got, want)
	}
	if got, want := r.Resolve(1<<62), (Identity{ID: UnknownID}); got != want {
		t.Errorf("Resolve(no such cgroup) = %+v; want %+v", got, want)
	}
}

func TestResolverLive(t *testing.T) {
	r, _ := tempTree(t, ResolverOptions{})
	got, err := r.Live()
	if err != nil {
		t.Fatal(err)
	}
	want := []Identity{
		{ID: hexA, Runtime: RuntimeDocker},
		{ID: "ctr1", Runtime: RuntimeContainerd},
		{ID: hexB, Runtime: RuntimeContainerd, PodUID: uid,
			Namespace: podMeta.Namespace, Pod: podMeta.Pod, Container: podMeta.Container, Image: podMeta.Image},
		{ID: "mycontainer", Runtime: RuntimeRunc},
	}
	if !slices.Equal(got, want) {
		t.Errorf("Live() = %+v; want %+v", got, want)
	}
}

func TestResolverExpired(t *testing.T) {
	r, cg := tempTree(t, ResolverOptions{GoneGrace: 10 * time.Minute})
	now := time.Unix(1_000_000, 0)
	r.now = func() time.Time { return now }
	dir := filepath.Join(cg, "docker", hexA)
	id, sub := inode(t, dir), inode(t, filepath.Join(dir, "sub"))
	want := Identity{ID: hexA, Runtime: RuntimeDocker}
	r.Resolve(id)
	r.Resolve(sub)
	unknown := uint64(1 << 62)
	r.Resolve(unknown)

	if got := r.Expired(); len(got) != 0 {
		t.Errorf("Expired() with no cgroup gone long enough = %v; want none", got)
	}
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	now = now.Add(time.Minute)
	if got := r.Expired(); len(got) != 0 {
		t.Errorf("Expired() just after removal = %v; want none", got)
	}
	if got := r.Resolve(id); got != want {
		t.Errorf("Resolve(gone, within grace) = %+v; want %+v", got, want)
	}
	now = now.Add(10 * time.Minute)
	if got := r.Expired(); len(got) != 0 {
		t.Errorf("Expired() after grace, never scraped since gone = %v; want none (the last counts wait for a scrape)", got)
	}
	r.Scraped(now.Add(-time.Second))
	got, wantIDs := r.Expired(), []uint64{id, sub, unknown}
	slices.Sort(wantIDs)
	if !slices.Equal(got, wantIDs) {
		t.Errorf("Expired() after grace = %v; want %v", got, wantIDs)
	}
	if got := r.Expired(); len(got) != 0 {
		t.Errorf("second Expired() = %v; want none (already forgotten)", got)
	}
}

// expireScraped is Expired as the exporter sees it when a scrape comes
// between two of its calls: the first notes the gone cgroups, the scrape
// exports them, the second forgets those past the grace.
func expireScraped(r *Resolver) []uint64 {
	out := r.Expired()
	r.Scraped(r.now().Add(time.Nanosecond))
	out = append(out, r.Expired()...)
	slices.Sort(out)
	return out
}

// A gone container that no scrape exported is kept beyond the grace, and
// given up after UnscrapedHold; a scrape that began before it was seen gone
// does not count.
func TestResolverExpiredWaitsForScrape(t *testing.T) {
	r, cg := tempTree(t, ResolverOptions{GoneGrace: time.Second})
	now := time.Unix(1_000_000, 0)
	r.now = func() time.Time { return now }
	dir := filepath.Join(cg, "docker", hexA)
	id, sub := inode(t, dir), inode(t, filepath.Join(dir, "sub"))
	r.Resolve(id)
	r.Resolve(sub)
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	r.Scraped(now) // began before the cgroup was seen gone
	now = now.Add(time.Millisecond)
	r.Expired() // notes it gone
	now = now.Add(time.Minute)
	if got := r.Expired(); len(got) != 0 {
		t.Errorf("Expired() after the grace, scraped only before it went = %v; want none", got)
	}
	now = now.Add(UnscrapedHold)
	if got, want := r.Expired(), []uint64{min(id, sub), max(id, sub)}; !slices.Equal(got, want) {
		t.Errorf("Expired() after UnscrapedHold without a scrape = %v; want %v", got, want)
	}
}

func TestResolverRecordedPath(t *testing.T) {
	const id = 4242
	recorded := func(got uint64) (RecordedCgroup, bool) {
		return RecordedCgroup{Path: "/system.slice/docker-" + hexA + ".scope", Creator: "systemd"}, got == id
	}
	r, err := NewResolver(ResolverOptions{CgroupRoot: t.TempDir(), Recorded: recorded, RuncRoots: []string{}})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := r.Resolve(id), (Identity{ID: hexA, Runtime: RuntimeDocker}); got != want {
		t.Errorf("Resolve(recorded) = %+v; want %+v", got, want)
	}
	if got, want := expireScraped(r), []uint64{id}; !slices.Equal(got, want) {
		t.Errorf("Expired() of a recorded cgroup that no longer exists = %v; want %v", got, want)
	}
}

// A cgroup an OCI runtime created is a container named by its last component,
// even with no state file left; one anything else created is not.
func TestResolverRecordedCreator(t *testing.T) {
	recorded := map[uint64]RecordedCgroup{
		10: {Path: "/shortlived", Creator: "runc"},
		11: {Path: "/system.slice/cron.service", Creator: "systemd"},
		12: {Path: "/mybox", Creator: "mkdir"},
		13: {Path: "/outer/inner", Creator: "crun"},
		14: {Path: "/kubepods/besteffort/pod0f1c2d3e-0000-4000-8000-000000000001/" + hexA, Creator: "runc"},
	}
	r, err := NewResolver(ResolverOptions{
		CgroupRoot: t.TempDir(), RuncRoots: []string{},
		Recorded: func(id uint64) (RecordedCgroup, bool) { rec, ok := recorded[id]; return rec, ok },
	})
	if err != nil {
		t.Fatal(err)
	}
	want := map[uint64]Identity{
		10: {ID: "shortlived", Runtime: RuntimeRunc},
		11: {Container: HostActorSystemdUnit},
		12: {Container: HostActorOther},
		13: {ID: "inner", Runtime: RuntimeRunc},
		14: {ID: hexA, PodUID: "0f1c2d3e-0000-4000-8000-000000000001", Runtime: RuntimeRunc},
	}
	for id, w := range want {
		if got := r.Resolve(id); got != w {
			t.Errorf("Resolve(%d) of %+v = %+v; want %+v", id, recorded[id], got, w)
		}
	}
}

func TestResolverCacheBound(t *testing.T) {
	cg := t.TempDir()
	paths := []string{"/docker/" + hexA, "/docker/" + hexB, "/system.slice/docker-" + hexA + ".scope"}
	mkdirs(t, cg, paths...)
	r, err := NewResolver(ResolverOptions{CgroupRoot: cg, MaxEntries: 2, RuncRoots: []string{}})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range paths {
		want, _ := ParseCgroupPath(p)
		if got := r.Resolve(inode(t, filepath.Join(cg, p))); got != want {
			t.Errorf("Resolve(%s) = %+v; want %+v", p, got, want)
		}
	}
	if got := len(r.cache); got != 2 {
		t.Errorf("cache holds %d entries; want the bound, 2", got)
	}
	if err := os.RemoveAll(filepath.Join(cg, "docker")); err != nil {
		t.Fatal(err)
	}
	if got := expireScraped(r); len(got) != 2 {
		t.Errorf("Expired() = %v; want the 2 cached docker cgroups", got)
	}
}

func TestResolverConcurrent(t *testing.T) {
	r, cg := tempTree(t, ResolverOptions{})
	id := inode(t, filepath.Join(cg, "docker", hexA))
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 100 {
				if got := r.Resolve(id); got.ID != hexA {
					t.Errorf("Resolve = %+v; want ID %s", got, hexA)
				}
				r.Expired()
			}
		})
	}
	wg.Wait()
}

func TestNewResolverErrors(t *testing.T) {
	cases := []struct {
		name string
		opts ResolverOptions
	}{
		{"negative grace", ResolverOptions{CgroupRoot: t.TempDir(), GoneGrace: -time.Second}},
		{"negative bound", ResolverOptions{CgroupRoot: t.TempDir(), MaxEntries: -1}},
		{"bad runc root pattern", ResolverOptions{CgroupRoot: t.TempDir(), RuncRoots: []string{"/run/["}}},
		{"missing cgroup root", ResolverOptions{CgroupRoot: filepath.Join(t.TempDir(), "nope")}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if _, err := NewResolver(c.opts); err == nil {
				t.Errorf("NewResolver(%+v) succeeded; want an error", c.opts)
			}
		})
	}
}

func TestCgroup2Mount(t *testing.T) {
	const (
		hybrid = `22 1 0:21 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw
25 22 0:23 / /sys/fs/cgroup rw,relatime shared:9 - tmpfs tmpfs rw,mode=755
26 25 0:24 / /sys/fs/cgroup/unified rw,relatime shared:10 - cgroup2 cgroup2 rw
27 25 0:25 / /sys/fs/cgroup/cpu rw,relatime shared:11 - cgroup cgroup rw,cpu
`
		pure    = "30 22 0:26 / /sys/fs/cgroup rw,nosuid shared:4 - cgroup2 cgroup2 rw,nsdelegate\n"
		both    = "40 1 0:30 / /mnt/cg\\040two rw - cgroup2 none rw\n" + pure
		escaped = "40 1 0:30 / /mnt/cg\\040two rw - cgroup2 none rw\n"
		v1only  = "27 25 0:25 / /sys/fs/cgroup/cpu rw,relatime shared:11 - cgroup cgroup rw,cpu\n"
	)
	cases := []struct {
		name, mountinfo, want string
		wantErr               bool
	}{
		{"hybrid", hybrid, "/sys/fs/cgroup/unified", false},
		{"pure v2", pure, "/sys/fs/cgroup", false},
		{"standard place preferred", both, "/sys/fs/cgroup", false},
		{"escaped mount point", escaped, "/mnt/cg two", false},
		{"v1 only", v1only, "", true},
		{"garbage", "- cgroup2\n\n1 2 -\n", "", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := cgroup2Mount(strings.NewReader(c.mountinfo))
			if got != c.want || (err != nil) != c.wantErr {
				t.Errorf("cgroup2Mount = %q, %v; want %q, error %v", got, err, c.want, c.wantErr)
			}
		})
	}
}

// randomName returns a cgroup or container name unique to this test run.
func randomName(t *testing.T) string {
	t.Helper()
	return fmt.Sprintf("rtsec-test-%d-%x", os.Getpid(), rand.Uint64())
}

// TestResolverRealCgroup is privileged: it creates cgroups on the host's
// cgroup2 mount and resolves them by file handle.
func TestResolverRealCgroup(t *testing.T) {
	testenv.RequireRoot(t)
	r, err := NewResolver(ResolverOptions{GoneGrace: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if !r.handles {
		testenv.Unavailable(t, "cgroup root %s is not a cgroup2 mount", r.root)
	}
	now := time.Now()
	r.now = func() time.Time { return now }
	parent := filepath.Join(r.root, randomName(t))
	rel := strings.TrimPrefix(parent, r.root) + "/docker-" + hexA + ".scope"
	dir := filepath.Join(r.root, rel)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		os.Remove(dir)
		os.Remove(parent)
	})
	id := inode(t, dir)

	if got, err := r.handlePath(id); got != rel || err != nil {
		t.Errorf("handlePath(%d) = %q, %v; want %q", id, got, err, rel)
	}
	r.handles = false // found by walking the tree, as without CAP_DAC_READ_SEARCH
	if got, _, ok := r.path(id); got != rel || !ok {
		t.Errorf("path(%d) by walking the tree = %q, %v; want %q", id, got, ok, rel)
	}
	r.handles = true
	want := Identity{ID: hexA, Runtime: RuntimeDocker}
	if got := r.Resolve(id); got != want {
		t.Errorf("Resolve(%d) = %+v; want %+v", id, got, want)
	}
	live, err := r.Live()
	if err != nil || !slices.Contains(live, want) {
		t.Errorf("Live() = %+v, %v; want it to hold %+v", live, err, want)
	}
	if got := r.Expired(); slices.Contains(got, id) {
		t.Errorf("Expired() = %v while cgroup %d exists", got, id)
	}
	if err := os.Remove(dir); err != nil {
		t.Fatal(err)
	}
	if _, err := r.handlePath(id); !isGone(err) {
		t.Errorf("handlePath(removed cgroup) error = %v; want ESTALE", err)
	}
	if got := r.Expired(); slices.Contains(got, id) {
		t.Errorf("Expired() = %v within the grace", got)
	}
	if got := r.Resolve(id); got != want {
		t.Errorf("Resolve(removed, within grace) = %+v; want %+v", got, want)
	}
	now = now.Add(time.Hour)
	if got := expireScraped(r); !slices.Equal(got, []uint64{id}) {
		t.Errorf("Expired() after the grace = %v; want [%d]", got, id)
	}
}

// TestResolverRealRunc is privileged: it runs a busybox container with runc
// under its own state root and resolves the container's cgroup ("/<name>").
func TestResolverRealRunc(t *testing.T) {
	testenv.RequireRoot(t)
	runc := testenv.RequireCommand(t, "runc")
	bundle, stateRoot, name := t.TempDir(), t.TempDir(), randomName(t)
	if err := rootfs.Busybox(filepath.Join(bundle, "rootfs")); err != nil {
		testenv.Unavailable(t, "busybox rootfs: %v", err)
	}
	run := func(args ...string) ([]byte, error) {
		cmd := exec.Command(runc, append([]string{"--root", stateRoot}, args...)...)
		cmd.Dir = bundle
		return cmd.Output()
	}
	if _, err := run("spec"); err != nil {
		t.Fatalf("runc spec: %v", err)
	}
	setProcess(t, filepath.Join(bundle, "config.json"), "sleep", "300")
	t.Cleanup(func() { run("delete", "--force", name) })
	// Detached: the container keeps its stdio, so none may be a pipe.
	log, err := os.Create(filepath.Join(t.TempDir(), "runc.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer log.Close()
	cmd := exec.Command(runc, "--root", stateRoot, "run", "-d", name)
	cmd.Dir, cmd.Stdout, cmd.Stderr = bundle, log, log
	if err := cmd.Run(); err != nil {
		out, _ := os.ReadFile(log.Name())
		t.Fatalf("runc run: %v: %s", err, out)
	}
	out, err := run("state", name)
	if err != nil {
		t.Fatalf("runc state: %v", err)
	}
	var state struct{ Pid int }
	if err := json.Unmarshal(out, &state); err != nil {
		t.Fatal(err)
	}

	r, err := NewResolver(ResolverOptions{RuncRoots: []string{stateRoot}})
	if err != nil {
		t.Fatal(err)
	}
	path := unifiedCgroup(t, state.Pid)
	if path != "/"+name {
		t.Errorf("runc container cgroup = %q; want %q", path, "/"+name)
	}
	id := inode(t, filepath.Join(r.root, path))
	want := Identity{ID: name, Runtime: RuntimeRunc}
	if got := r.Resolve(id); got != want {
		t.Errorf("Resolve(runc container) = %+v; want %+v", got, want)
	}
	live, err := r.Live()
	if err != nil || !slices.Contains(live, want) {
		t.Errorf("Live() = %+v, %v; want it to hold %+v", live, err, want)
	}
	if _, err := run("delete", "--force", name); err != nil {
		t.Fatalf("runc delete: %v", err)
	}
	if got := expireScraped(r); !slices.Equal(got, []uint64{id}) {
		t.Errorf("Expired() after runc delete, no grace = %v; want [%d]", got, id)
	}
}

// setProcess rewrites a runc config.json to run args without a terminal.
func setProcess(t *testing.T, file string, args ...string) {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var cfg map[string]any
	if err := json.Unmarshal(b, &cfg); err != nil {
		t.Fatal(err)
	}
	proc := cfg["process"].(map[string]any)
	proc["terminal"], proc["args"] = false, args
	if b, err = json.Marshal(cfg); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// unifiedCgroup returns the cgroup2 path of pid from /proc/<pid>/cgroup.
func unifiedCgroup(t *testing.T, pid int) string {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cgroup", pid))
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.Lines(string(b)) {
		if p, ok := strings.CutPrefix(strings.TrimSpace(line), "0::"); ok {
			return p
		}
	}
	t.Fatalf("no cgroup2 line in /proc/%d/cgroup: %s", pid, b)
	return ""
}

// OnHost is told of every host cgroup resolved, before it was asked and
// after, once while it stays cached, and of no container and not the root.
func TestResolverOnHost(t *testing.T) {
	r, cg := tempTree(t, ResolverOptions{})
	ssh, slice := inode(t, filepath.Join(cg, "/system.slice/ssh.service")), inode(t, filepath.Join(cg, "/system.slice"))
	docker := inode(t, filepath.Join(cg, "/docker/"+hexA))
	r.Resolve(ssh)
	r.Resolve(docker)
	r.Resolve(hostID)
	var mu sync.Mutex
	var told []uint64
	r.OnHost(func(id uint64) {
		mu.Lock()
		defer mu.Unlock()
		told = append(told, id)
	})
	r.Resolve(slice)
	r.Resolve(slice)
	r.Resolve(ssh)
	if want := []uint64{ssh, slice}; !slices.Equal(told, want) {
		t.Errorf("OnHost told %v, want %v (the host cgroup resolved before, then the new one, once each)", told, want)
	}
}
