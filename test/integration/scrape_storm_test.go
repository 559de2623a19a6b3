package integration

import (
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/rtsec/rtsec/test/exporter"
	"github.com/rtsec/rtsec/test/load"
)

// stormContainers, stormScrapers: the storm of issue 15, 50 scrapers
// against a node of 200 containers. RTSEC_STORM_SECONDS lengthens it for a
// measurement (the report's figures); the test's default is short.
const stormContainers, stormScrapers = 200, 50

// storm64MiB is the RSS the exporter must stay under during the storm.
const storm64MiB = 64 << 20

// Fifty concurrent scrapers of a node with 200 containers cost one
// collection at a time: every scrape answers (200 or, past
// --web.max-requests, 503), none times out or fails, every scraper gets
// whole pages, and the exporter's RSS stays under 64 MiB. Not parallel: it
// measures the exporter's memory.
func TestScrapeStorm(t *testing.T) {
	seconds := 10
	if s := os.Getenv("RTSEC_STORM_SECONDS"); s != "" {
		seconds, _ = strconv.Atoi(s)
	}
	e := exporter.Start(t)
	cs := load.StartContainers(t, "rtsec-storm", stormContainers, "/bin/true", "/bin/sh", "/usr/bin/env", "/bin/ls")
	m := e.Scrape(t)
	listed := 0
	for _, id := range cs.IDs {
		if _, ok := m.Value(t, "rtsec_container_info", map[string]string{"container_id": id}); ok {
			listed++
		}
	}
	if listed != stormContainers {
		t.Fatalf("rtsec_container_info lists %d of the %d containers", listed, stormContainers)
	}
	series := 0
	for _, mf := range m {
		series += len(mf.Metric)
	}
	t.Logf("%d series on the page", series)

	res := load.Storm(e.URL, e.PID(), stormScrapers, time.Duration(seconds)*time.Second, 30*time.Second)
	t.Logf("storm: %s", res)
	if res.Failed > 0 {
		t.Errorf("%d of %d scrapes failed or timed out (first: %s)", res.Failed, res.Scrapes, res.FirstError)
	}
	if res.Completed < stormScrapers {
		t.Errorf("%d scrapes completed in %ds of %d scrapers, want at least one each", res.Completed, seconds, stormScrapers)
	}
	if res.PeakRSS > storm64MiB {
		t.Errorf("the exporter's RSS peaked at %.1f MiB, want under 64 MiB", float64(res.PeakRSS)/(1<<20))
	}
}
