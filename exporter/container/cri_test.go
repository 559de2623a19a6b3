package container

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"google.golang.org/grpc"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/rtsec/rtsec/test/containerd"
)

// TestCRIContainerd looks up a pod started on a real containerd after the
// CRI source was created, so the answer comes from a refresh on miss.
// Privileged: needs root and containerd (test/containerd).
func TestCRIContainerd(t *testing.T) {
	d := containerd.Start(t)
	c, err := NewCRI(d.Socket(), slog.New(slog.NewTextHandler(t.Output(), nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	id := d.RunPod(t, "ns1", "web", "app", "sleep", "3600")

	start := time.Now()
	got, ok := c.Lookup(id)
	for !ok && time.Since(start) < 5*time.Second {
		time.Sleep(50 * time.Millisecond)
		got, ok = c.Lookup(id)
	}
	want := Metadata{Namespace: "ns1", Pod: "web", Container: "app", Image: containerd.BusyboxImage}
	// The sandbox's labels, for enforcement's pod_labels selectors.
	if got.PodLabels[labelPodName] != "web" || got.PodLabels[labelPodNamespace] != "ns1" {
		t.Errorf("Lookup(%s).PodLabels = %v, want the sandbox's labels", id, got.PodLabels)
	}
	got.PodLabels = nil
	if !ok || !reflect.DeepEqual(got, want) {
		t.Fatalf("Lookup(%s) = %+v, %v; want %+v, true", id, got, ok, want)
	}
	t.Logf("found by Lookup %v after the pod started", time.Since(start).Round(time.Millisecond))
	if md, ok := c.Lookup(strings.Repeat("0", 64)); ok {
		t.Errorf("Lookup(unknown) = %+v, true; want false", md)
	}
	cgroup, err := os.ReadFile("/proc/" + strconv.Itoa(d.Pid(t, id)) + "/cgroup")
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.Lines(string(cgroup)) {
		if strings.HasPrefix(line, "0::") {
			t.Logf("containerd (cgroupfs driver) cgroup2 path: %s", strings.TrimSpace(line))
		}
	}
}

func TestNewCRIErrors(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	notGRPC := filepath.Join(dir, "raw.sock")
	l, err := net.Listen("unix", notGRPC)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			conn.Close()
		}
	}()
	notCRI := filepath.Join(dir, "grpc.sock")
	serveCRI(t, notCRI, nil)

	cases := []struct{ name, endpoint, want string }{
		{"nothing there", filepath.Join(dir, "none.sock"), "none.sock"},
		{"regular file", "unix://" + file, file},
		{"not gRPC", notGRPC, notGRPC},
		{"gRPC but not CRI", notCRI, notCRI},
		{"tcp endpoint", "tcp://127.0.0.1:1", "tcp://127.0.0.1:1"},
		{"empty", "", "empty"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := NewCRI(tc.endpoint, slog.New(slog.DiscardHandler))
			if err == nil {
				c.Close()
				t.Fatalf("NewCRI(%q) = nil error", tc.endpoint)
			}
			t.Log(err)
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("NewCRI(%q) error %q does not name %q", tc.endpoint, err, tc.want)
			}
		})
	}
}

func TestDetectCRISocket(t *testing.T) {
	dir := t.TempDir()
	file, sock1, sock2 := filepath.Join(dir, "file"), filepath.Join(dir, "1.sock"), filepath.Join(dir, "2.sock")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{sock1, sock2} {
		l, err := net.Listen("unix", p)
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
	}
	saved := criSockets
	t.Cleanup(func() { criSockets = saved })
	missing := filepath.Join(dir, "missing.sock")
	cases := []struct {
		name       string
		candidates []string
		want       string
	}{
		{"none exist", []string{missing}, ""},
		{"not a socket", []string{missing, file, dir}, ""},
		{"first socket wins", []string{missing, file, sock2, sock1}, sock2},
	}
	for _, tc := range cases {
		criSockets = tc.candidates
		if got := DetectCRISocket(); got != tc.want {
			t.Errorf("%s: DetectCRISocket() = %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestCRIBuildCache(t *testing.T) {
	const (
		idA = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		idB = "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
	)
	podLabels := map[string]string{labelPodNamespace: "ns1", labelPodName: "web"}
	pods := []*runtimeapi.PodSandbox{{Id: "pod1", Labels: podLabels}}
	names := imageNames([]*runtimeapi.Image{
		{Id: idA, RepoTags: []string{"nginx:1.27", "nginx:latest"}},
		{Id: idB, RepoDigests: []string{"docker.io/library/redis@sha256:cc"}},
	})
	hostile := "pod\xff" + strings.Repeat("é", 100)
	cases := []struct {
		name string
		ctr  *runtimeapi.Container
		want Metadata
	}{
		{"kubelet with user-specified image", &runtimeapi.Container{
			PodSandboxId: "pod1", Metadata: &runtimeapi.ContainerMetadata{Name: "app"},
			Image: &runtimeapi.ImageSpec{Image: idA, UserSpecifiedImage: "nginx"}, ImageRef: idA,
		}, Metadata{"ns1", "web", "app", "nginx", nil}},
		{"image id resolved to its first tag", &runtimeapi.Container{
			PodSandboxId: "pod1", Metadata: &runtimeapi.ContainerMetadata{Name: "app"},
			Image: &runtimeapi.ImageSpec{Image: idA}, ImageRef: idA,
		}, Metadata{"ns1", "web", "app", "nginx:1.27", nil}},
		{"untagged image id resolved to its digest", &runtimeapi.Container{
			PodSandboxId: "pod1", Image: &runtimeapi.ImageSpec{Image: idB},
		}, Metadata{"ns1", "web", "", "docker.io/library/redis@sha256:cc", nil}},
		{"unknown image id kept", &runtimeapi.Container{
			PodSandboxId: "pod1", ImageRef: "sha256:" + strings.Repeat("c", 64),
		}, Metadata{"ns1", "web", "", "sha256:" + strings.Repeat("c", 64), nil}},
		{"name in Image.Image", &runtimeapi.Container{
			PodSandboxId: "pod1", Image: &runtimeapi.ImageSpec{Image: "busybox:1.36"}, ImageRef: idA,
		}, Metadata{"ns1", "web", "", "busybox:1.36", nil}},
		{"repo digest in ImageRef", &runtimeapi.Container{
			PodSandboxId: "pod1", Image: &runtimeapi.ImageSpec{Image: strings.Repeat("d", 64)}, ImageRef: "quay.io/x/y@sha256:dd",
		}, Metadata{"ns1", "web", "", "quay.io/x/y@sha256:dd", nil}},
		{"sandbox not listed: container labels", &runtimeapi.Container{
			PodSandboxId: "gone",
			Labels:       map[string]string{labelPodNamespace: "ns2", labelPodName: "db", labelContainerName: "pg"},
		}, Metadata{"ns2", "db", "pg", "", nil}},
		{"hostile values clamped", &runtimeapi.Container{
			PodSandboxId: "gone", Metadata: &runtimeapi.ContainerMetadata{Name: hostile},
			Labels: map[string]string{labelPodName: hostile},
		}, Metadata{"", clampLabel(hostile), clampLabel(hostile), "", nil}},
	}
	for _, tc := range cases {
		tc.ctr.Id = "c1"
		got := buildCache(pods, []*runtimeapi.Container{tc.ctr}, names)
		md := got["c1"]
		// A listed sandbox gives its labels, for pod_labels selectors only.
		if listed := tc.ctr.PodSandboxId == "pod1"; listed != (md.PodLabels != nil) || (listed && md.PodLabels[labelPodName] != "web") {
			t.Errorf("%s: PodLabels = %v, want the sandbox's labels when it is listed", tc.name, md.PodLabels)
		}
		md.PodLabels = nil
		if len(got) != 1 || !reflect.DeepEqual(md, tc.want) {
			t.Errorf("%s: got %+v, want %+v", tc.name, got, tc.want)
		}
	}
}

func TestCRIClampLabel(t *testing.T) {
	cases := []struct {
		name, in string
		wantLen  int
	}{
		{"short", "web", 3},
		{"invalid UTF-8", "a\xffb", 5},
		{"long ASCII", strings.Repeat("a", 300), MaxLabelBytes},
		{"long two-byte runes", strings.Repeat("é", 100), MaxLabelBytes},
		{"long three-byte runes", strings.Repeat("€", 100), MaxLabelBytes - MaxLabelBytes%3},
	}
	for _, tc := range cases {
		got := clampLabel(tc.in)
		if len(got) != tc.wantLen || !utf8.ValidString(got) {
			t.Errorf("%s: clampLabel = %q (%d bytes, valid %v), want %d valid bytes",
				tc.name, got, len(got), utf8.ValidString(got), tc.wantLen)
		}
	}
}

// TestCRIMissRefresh checks that misses refresh the cache in the
// background, at most once per gap however many misses there are.
func TestCRIMissRefresh(t *testing.T) {
	f := &fakeCRI{}
	path := filepath.Join(t.TempDir(), "cri.sock")
	serveCRI(t, path, f)
	c, err := newCRI(path, slog.New(slog.DiscardHandler), time.Hour, 500*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()

	start := time.Now()
	for range 1000 {
		if _, ok := c.Lookup("new"); ok {
			t.Fatal("Lookup(new) before the runtime lists it = true")
		}
	}
	if d := time.Since(start); d > 100*time.Millisecond {
		t.Errorf("1000 missing Lookups took %v; they must not wait for the runtime", d)
	}
	f.add(&runtimeapi.Container{Id: "new", Metadata: &runtimeapi.ContainerMetadata{Name: "app"}})
	waitLookup(t, c, "new", 3*time.Second)
	if n := f.listCalls(); n > 3 {
		t.Errorf("ListContainers called %d times for 1000 misses within a second, want at most 3", n)
	}
}

// TestCRIMissLooksUpNow checks that a container the runtime started after
// the last listing is named by its first Lookup, once the gap has passed:
// its first scrape already carries its namespace, pod and container.
func TestCRIMissLooksUpNow(t *testing.T) {
	f := &fakeCRI{}
	path := filepath.Join(t.TempDir(), "cri.sock")
	serveCRI(t, path, f)
	c, err := newCRI(path, slog.New(slog.DiscardHandler), time.Hour, 50*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	time.Sleep(100 * time.Millisecond)
	f.add(&runtimeapi.Container{Id: "new", Metadata: &runtimeapi.ContainerMetadata{Name: "app"}})
	md, ok := c.Lookup("new")
	if !ok || md.Container != "app" {
		t.Errorf("first Lookup(new) = %+v, %v; want container app, true", md, ok)
	}
}

// TestCRIMissLooksUpEachNewContainer checks that containers started a
// moment apart, within one minimum gap, are each named by their first
// Lookup: a pod's replicas starting together are not left without their
// names at their first scrape.
func TestCRIMissLooksUpEachNewContainer(t *testing.T) {
	f := &fakeCRI{}
	path := filepath.Join(t.TempDir(), "cri.sock")
	serveCRI(t, path, f)
	c, err := newCRI(path, slog.New(slog.DiscardHandler), time.Hour, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, id := range []string{"first", "second", "third"} {
		f.add(&runtimeapi.Container{Id: id, Metadata: &runtimeapi.ContainerMetadata{Name: id + "-app"}})
		if md, ok := c.Lookup(id); !ok || md.Container != id+"-app" {
			t.Errorf("first Lookup(%s) = %+v, %v; want container %s-app, true", id, md, ok, id)
		}
	}
	// An id the runtime never lists costs one refresh, then none within the gap.
	before := f.listCalls()
	for range 100 {
		if _, ok := c.Lookup("unlisted"); ok {
			t.Fatal("Lookup(unlisted) = true")
		}
	}
	if n := f.listCalls() - before; n != 1 {
		t.Errorf("100 Lookups of an unlisted id made %d listings, want 1", n)
	}
}

// TestCRIRuntimeGone stops the runtime: lookups keep the last listing, the
// outage is logged once, and the source reconnects when it comes back.
func TestCRIRuntimeGone(t *testing.T) {
	f := &fakeCRI{}
	f.add(&runtimeapi.Container{Id: "old", Metadata: &runtimeapi.ContainerMetadata{Name: "app"}})
	path := filepath.Join(t.TempDir(), "cri.sock")
	srv := serveCRI(t, path, f)
	var logs lockedBuffer
	c, err := newCRI(path, slog.New(slog.NewTextHandler(&logs, nil)), 20*time.Millisecond, 10*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()

	srv.Stop()
	deadline := time.Now().Add(500 * time.Millisecond)
	for time.Now().Before(deadline) {
		c.Lookup("missing")
		time.Sleep(5 * time.Millisecond)
	}
	if _, ok := c.Lookup("old"); !ok {
		t.Error("Lookup(old) = false while the runtime is away, want the last listing kept")
	}
	if n := strings.Count(logs.String(), "unreachable"); n != 1 {
		t.Errorf("outage logged %d times, want once:\n%s", n, logs.String())
	}

	f.add(&runtimeapi.Container{Id: "new", Metadata: &runtimeapi.ContainerMetadata{Name: "app"}})
	serveCRI(t, path, f)
	waitLookup(t, c, "new", 10*time.Second)
	if !strings.Contains(logs.String(), "reachable again") {
		t.Errorf("reconnection not logged:\n%s", logs.String())
	}
}

// A container the runtime no longer lists (its pod was deleted) keeps its
// metadata for criRetain, so its last series keep their pod labels.
func TestCRIKeepsRemovedContainers(t *testing.T) {
	f := &fakeCRI{}
	f.add(&runtimeapi.Container{Id: "job", Metadata: &runtimeapi.ContainerMetadata{Name: "task"}})
	path := filepath.Join(t.TempDir(), "cri.sock")
	serveCRI(t, path, f)
	c, err := newCRI(path, slog.New(slog.DiscardHandler), time.Hour, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	now := time.Unix(1_000_000, 0)
	c.now = func() time.Time { return now }
	refresh := func() {
		ctx, cancel := context.WithTimeout(context.Background(), criRPCTimeout)
		defer cancel()
		if err := c.refresh(ctx); err != nil {
			t.Fatal(err)
		}
	}
	f.remove("job")
	refresh()
	if md, ok := c.Lookup("job"); !ok || md.Container != "task" {
		t.Errorf("Lookup(job) just after its removal = %+v, %v; want its metadata kept", md, ok)
	}
	now = now.Add(criRetain - time.Second)
	refresh()
	if _, ok := c.Lookup("job"); !ok {
		t.Error("Lookup(job) within criRetain of its removal = false, want true")
	}
	now = now.Add(time.Second)
	refresh()
	if _, ok := c.Lookup("job"); ok {
		t.Error("Lookup(job) criRetain after its removal = true, want it forgotten")
	}
	if len(c.removed) != 0 {
		t.Errorf("removed ids still tracked: %v", c.removed)
	}
}

// waitLookup fails the test unless id is found within timeout.
func waitLookup(t *testing.T, c *CRI, id string, timeout time.Duration) {
	t.Helper()
	for start := time.Now(); time.Since(start) < timeout; time.Sleep(10 * time.Millisecond) {
		if _, ok := c.Lookup(id); ok {
			return
		}
	}
	t.Fatalf("Lookup(%s) still false after %v", id, timeout)
}

// fakeCRI is a CRI runtime that lists what a test adds.
type fakeCRI struct {
	runtimeapi.UnimplementedRuntimeServiceServer
	mu    sync.Mutex
	ctrs  []*runtimeapi.Container
	lists int
}

func (f *fakeCRI) add(ctr *runtimeapi.Container) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.ctrs = append(f.ctrs, ctr)
}

func (f *fakeCRI) remove(id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.ctrs = slices.DeleteFunc(f.ctrs, func(c *runtimeapi.Container) bool { return c.GetId() == id })
}

func (f *fakeCRI) listCalls() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.lists
}

func (f *fakeCRI) Version(context.Context, *runtimeapi.VersionRequest) (*runtimeapi.VersionResponse, error) {
	return &runtimeapi.VersionResponse{RuntimeName: "fake"}, nil
}

func (f *fakeCRI) ListPodSandbox(context.Context, *runtimeapi.ListPodSandboxRequest) (*runtimeapi.ListPodSandboxResponse, error) {
	return &runtimeapi.ListPodSandboxResponse{}, nil
}

func (f *fakeCRI) ListContainers(context.Context, *runtimeapi.ListContainersRequest) (*runtimeapi.ListContainersResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.lists++
	return &runtimeapi.ListContainersResponse{Containers: f.ctrs}, nil
}

// serveCRI serves f (or no service at all when f is nil) on a unix socket
// until the test ends.
func serveCRI(t *testing.T, path string, f *fakeCRI) *grpc.Server {
	t.Helper()
	l, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	if f != nil {
		runtimeapi.RegisterRuntimeServiceServer(srv, f)
	}
	go srv.Serve(l)
	t.Cleanup(srv.Stop)
	return srv
}

// lockedBuffer is a bytes.Buffer safe for the logger's goroutine and the test.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
