package collector

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"testing"

	"github.com/alecthomas/kingpin/v2"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/rtsec/rtsec/bpf"
	"github.com/rtsec/rtsec/exporter/bpfprog"
	"github.com/rtsec/rtsec/exporter/container"
	"github.com/rtsec/rtsec/internal/testenv"
)

func TestMain(m *testing.M) {
	// The collectors' flags get their defaults from parsing.
	if _, err := kingpin.CommandLine.Parse(nil); err != nil {
		panic(err)
	}
	os.Exit(m.Run())
}

// fakeContainerBase keeps the benchmark's cgroup ids clear of real ones.
const fakeContainerBase = 1 << 40

// BenchmarkProcessScrape measures one scrape of the process collector with
// 1 000 containers × 20 binaries in the kernel map.
func BenchmarkProcessScrape(b *testing.B) {
	testenv.RequireRoot(b)
	testenv.RequireTracefs(b)
	const containers, binaries = 1000, 20
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	resolver, err := container.NewResolver(container.ResolverOptions{
		Logger: logger,
		Recorded: func(id uint64) (container.RecordedCgroup, bool) {
			if id < fakeContainerBase {
				return container.RecordedCgroup{}, false
			}
			return container.RecordedCgroup{Path: fmt.Sprintf("/docker/%064x", id), Creator: "dockerd"}, true
		},
	})
	if err != nil {
		b.Fatal(err)
	}
	set := bpfprog.NewSet()
	defer set.Close()
	events := newEventLog(logger, resolver)
	defer events.Close()
	c, err := newProcessCollector(Env{Logger: logger, BPF: set, Resolver: resolver, events: events})
	if err != nil {
		b.Fatal(err)
	}
	pc := c.(*processCollector)
	for i := range containers {
		for j := range binaries {
			var key bpf.ProcessExecKey
			key.CgroupId = fakeContainerBase + uint64(i)
			for k, ch := range fmt.Sprintf("binary-%02d", j) {
				key.Binary[k] = int8(ch)
			}
			if err := pc.maps.execCounts.Put(key, uint64(i+j+1)); err != nil {
				b.Fatal(err)
			}
		}
	}
	// The map also holds the host's real execs: drain as a registry would.
	ch := make(chan prometheus.Metric, 1024)
	counted := make(chan int)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		go func() {
			n := 0
			for range ch {
				n++
			}
			counted <- n
		}()
		if err := pc.Update(ch); err != nil {
			b.Fatal(err)
		}
		close(ch)
		if n := <-counted; n < containers*binaries {
			b.Fatalf("scrape produced %d metrics, want at least %d", n, containers*binaries)
		}
		ch = make(chan prometheus.Metric, 1024)
	}
}
