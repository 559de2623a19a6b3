package integration

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/rtsec/rtsec/test/attack"
	"github.com/rtsec/rtsec/test/exporter"
	"github.com/rtsec/rtsec/test/runc"
)

// An OpenMetrics scrape links a counter to the event log line of the last
// event counted in it; the classic text format carries no exemplars.
func TestExemplarsLinkCountersToEvents(t *testing.T) {
	t.Parallel()
	e := exporter.Start(t)
	c := runc.Start(t, runc.Options{Files: map[string][]byte{"bin/rtsec-attack": attack.Program(t)}})
	c.MustExec(t, "/bin/rtsec-attack", "memfd", "/bin/true")
	c.MustExec(t, "/bin/rtsec-attack", "memfd", "/bin/true")

	// Poll until both events are written and scraped: the exemplar names
	// the last event counted.
	var id string
	var ids []string
	var text string
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		text = e.ScrapeOpenMetrics(t)
		id = memfdExemplar(t, text, c.Name())
		ids = eventIDs(e.Output(), c.Name())
		if (len(ids) == 2 && id == ids[1]) || time.Now().After(deadline) {
			break
		}
	}
	if len(ids) != 2 || ids[0] == ids[1] || id != ids[1] {
		t.Errorf("the container's suspicious exec events have ids %q and the memfd series' exemplar names %q; "+
			"want two distinct ids, the exemplar the last. Scrape:\n%s", ids, id, grepLines(text, suspicious))
	}

	m := e.Scrape(t).Series(suspicious, map[string]string{"container_id": c.Name(), "reason": "memfd"})
	if len(m) != 1 || m[0].GetCounter().GetExemplar() != nil {
		t.Errorf("classic text scrape: want the memfd series without exemplar, got %v", m)
	}
}

// memfdExemplar returns the event_id of the exemplar on the container's
// memfd series, or "", and checks the series' count.
func memfdExemplar(t *testing.T, text, containerID string) string {
	t.Helper()
	series := regexp.MustCompile(`(?m)^rtsec_process_suspicious_execs_total\{([^}]*)\} (\S+) # \{event_id="([^"]+)"\} 1(?:\.0)? \S+$`)
	for _, m := range series.FindAllStringSubmatch(text, -1) {
		if strings.Contains(m[1], `container_id="`+containerID+`"`) && strings.Contains(m[1], `reason="memfd"`) {
			if m[2] != "2" && m[2] != "2.0" {
				t.Fatalf("memfd count %s, want 2: %s", m[2], m[0])
			}
			return m[3]
		}
	}
	return ""
}

// eventIDs lists the ids of the container's suspicious exec events in the
// exporter's output.
func eventIDs(output, containerID string) []string {
	var ids []string
	for _, l := range eventLines(output) {
		if l.ContainerID == containerID && len(l.Reasons) > 0 {
			ids = append(ids, l.EventID)
		}
	}
	return ids
}

func grepLines(text, prefix string) string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if strings.HasPrefix(l, prefix) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
