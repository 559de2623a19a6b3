package collector

import (
	"bytes"
	"encoding/json"
	"flag"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"google.golang.org/protobuf/proto"

	"github.com/rtsec/rtsec/exporter/container"
)

// The golden tests run the collectors' real Update on fixed kernel map
// contents (bpfprogtest.Map) and a fixed node: a cgroup tree in a
// temporary directory that the real container.Resolver reads. They need
// neither root nor BPF. Each compares the exposition with a file of
// testdata/; after a deliberate change of the output, rewrite the files
// with
//
//	go test ./exporter/collector/ -run Golden -update
//
// and review the diff.
var update = flag.Bool("update", false, "rewrite the golden files of testdata/ from the collectors' output")

// Container ids of the fixed node.
const (
	hexWeb = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	hexJob = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
	podUID = "11111111-2222-3333-4444-555555555555"
)

// Cgroup paths of the fixed node: a Kubernetes container with metadata, a
// docker container without, two systemd services (one host actor class)
// and a login session.
const (
	cgWeb     = "/kubepods/pod" + podUID + "/" + hexWeb
	cgJob     = "/docker/" + hexJob
	cgSSH     = "/system.slice/ssh.service"
	cgCron    = "/system.slice/cron.service"
	cgSession = "/user.slice/user-0.slice/session-1.scope"
	// cgHost is the cgroup2 root: the host, actor class other.
	cgHost = "/"
)

// hostRootID is the cgroup id of the cgroup2 root.
const hostRootID = 1

// node is a fixed node for the golden tests.
type node struct {
	root     string
	runc     string // the runc state root
	resolver *container.Resolver
}

// metadata is a container.MetadataSource backed by a map.
type metadata map[string]container.Metadata

func (m metadata) Lookup(id string) (container.Metadata, bool) {
	md, ok := m[id]
	return md, ok
}

// newNode lays out the fixed node's cgroup tree, the cgroups of extra too,
// and returns a resolver over it that keeps gone containers for grace.
// md adds to the Kubernetes metadata of hexWeb; recorded are cgroups the
// kernel recorded at creation that have no directory.
func newNode(t *testing.T, grace time.Duration, md metadata, recorded map[uint64]container.RecordedCgroup, extra ...string) *node {
	t.Helper()
	n := &node{root: t.TempDir(), runc: t.TempDir()}
	for _, p := range append([]string{cgWeb, cgJob, cgSSH, cgCron, cgSession}, extra...) {
		if err := os.MkdirAll(filepath.Join(n.root, p), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	all := metadata{hexWeb: {Namespace: "shop", Pod: "web-0", Container: "nginx", Image: "nginx:1.27"}}
	for id, m := range md {
		all[id] = m
	}
	r, err := container.NewResolver(container.ResolverOptions{
		CgroupRoot: n.root,
		RuncRoots:  []string{n.runc},
		Metadata:   all,
		Recorded: func(id uint64) (container.RecordedCgroup, bool) {
			rec, ok := recorded[id]
			return rec, ok
		},
		GoneGrace: grace,
		Logger:    slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	n.resolver = r
	return n
}

// id returns the cgroup id of path: its directory's inode, as on cgroup2.
func (n *node) id(t *testing.T, path string) uint64 {
	t.Helper()
	if path == cgHost {
		return hostRootID
	}
	fi, err := os.Stat(filepath.Join(n.root, path))
	if err != nil {
		t.Fatal(err)
	}
	return fi.Sys().(*syscall.Stat_t).Ino
}

// runcContainer creates the cgroup of a plain runc container at
// "/<name>" and its runc state file, which names it as runc's own.
func (n *node) runcContainer(t *testing.T, name string) {
	t.Helper()
	for _, dir := range []string{filepath.Join(n.root, name), filepath.Join(n.runc, name)} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	state, err := json.Marshal(map[string]any{"config": map[string]any{"cgroups": map[string]string{"path": "/" + name}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(n.runc, name, "state.json"), state, 0o644); err != nil {
		t.Fatal(err)
	}
}

// remove removes the cgroup at path, as the runtime does when its
// container stops.
func (n *node) remove(t *testing.T, path string) {
	t.Helper()
	if err := os.Remove(filepath.Join(n.root, path)); err != nil {
		t.Fatal(err)
	}
}

// ordered returns paths sorted by cgroup id: the order in which a table
// admits the new values of one identity's cgroups.
func (n *node) ordered(t *testing.T, paths ...string) []string {
	t.Helper()
	out := slices.Clone(paths)
	slices.SortFunc(out, func(a, b string) int {
		ia, ib := n.id(t, a), n.id(t, b)
		switch {
		case ia < ib:
			return -1
		case ia > ib:
			return 1
		}
		return 0
	})
	return out
}

// scrape is a collector as the registry runs it: unchecked (it describes
// nothing), its Update's error kept.
type scrape struct {
	c   Collector
	err error
}

func (s *scrape) Describe(chan<- *prometheus.Desc) {}

func (s *scrape) Collect(ch chan<- prometheus.Metric) { s.err = s.c.Update(ch) }

// assertGolden compares the exposition of c's metrics named names (all
// when none) with testdata/<golden>.prom, and checks that it is valid.
func assertGolden(t *testing.T, c prometheus.Collector, golden string, names ...string) {
	t.Helper()
	path := filepath.Join("testdata", golden+".prom")
	got := exposition(t, c, names...)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to write it)", err)
	}
	// Compared as the exporter serves it, through NewGatherer.
	if err := testutil.GatherAndCompare(gathered{c}, bytes.NewReader(want), names...); err != nil {
		t.Errorf("%s: %v", path, err)
	}
	if s, ok := c.(*scrape); ok && s.err != nil {
		t.Errorf("Update: %v", s.err)
	}
}

// exposition returns c's metrics named names (all when none) in the text
// format, after checking that Prometheus parses it back with every label
// value valid UTF-8.
func exposition(t *testing.T, c prometheus.Collector, names ...string) []byte {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(c)
	families, err := reg.Gather()
	if err != nil {
		t.Fatalf("gather: %v", err)
	}
	var buf bytes.Buffer
	for _, f := range families {
		if len(names) > 0 && !slices.Contains(names, f.GetName()) {
			continue
		}
		if _, err := expfmt.MetricFamilyToText(&buf, f); err != nil {
			t.Fatal(err)
		}
	}
	if !utf8.Valid(buf.Bytes()) {
		t.Errorf("exposition is not valid UTF-8:\n%s", buf.String())
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	parsed, err := parser.TextToMetricFamilies(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Errorf("exposition does not parse: %v\n%s", err, buf.String())
	}
	for _, f := range parsed {
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if !utf8.ValidString(l.GetValue()) {
					t.Errorf("%s: label %s=%q is not valid UTF-8", f.GetName(), l.GetName(), l.GetValue())
				}
			}
		}
	}
	return buf.Bytes()
}

// unchecked is a Registry that describes nothing: the exporter registers
// the Registry with a plain prometheus.Registry, which checks no
// descriptor, while CollectAndCompare's pedantic one checks those
// described.
type unchecked struct{ *Registry }

func (unchecked) Describe(chan<- *prometheus.Desc) {}

// gathered gathers a collector through NewGatherer.
type gathered struct{ c prometheus.Collector }

func (g gathered) Gather() ([]*dto.MetricFamily, error) {
	families, done, err := NewGatherer(g.c, nil).Gather()
	defer done()
	// The samples go back to their pool: the caller gets copies.
	out := make([]*dto.MetricFamily, len(families))
	for i, f := range families {
		out[i] = proto.Clone(f).(*dto.MetricFamily)
	}
	return out, err
}
