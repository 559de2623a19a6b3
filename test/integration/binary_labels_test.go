package integration

import (
	"strings"
	"testing"
	"time"

	"github.com/rtsec/rtsec/test/exporter"
	"github.com/rtsec/rtsec/test/runc"
)

// Binary names that look like something else keep what they are: a binary
// really named _other shares the overflow series and counts as an
// overflow, " sh" is its own name (not sh), and an exec through a path
// longer than the kernel's scan window is labelled with the file's name,
// not a directory of the path.
func TestBinaryLabelOddities(t *testing.T) {
	t.Parallel()
	e := exporter.Start(t)
	c := runc.Start(t, runc.Options{})
	overflows := map[string]string{"metric": execs}
	before := e.Scrape(t).Sum("rtsec_label_overflows_total", overflows)
	// 15 directories of 250 bytes: a 3 700-byte path.
	long := "/tmp"
	for i := range 15 {
		long += "/" + strings.Repeat(string(rune('a'+i)), 250)
	}
	c.MustExec(t, "sh", "-c", `cp /bin/busybox /bin/_other && cp /bin/busybox "/bin/ sh" && mkdir -p `+long+` && cp /bin/busybox `+long+`/longname`)
	for _, path := range []string{"/bin/_other", "/bin/ sh", long + "/longname"} {
		c.Exec(t, path, "true") // busybox knows no applet of these names: the exec is what counts
	}
	var m exporter.Metrics
	deadline := time.Now().Add(10 * time.Second)
	for {
		m = e.Scrape(t)
		_, a := m.Value(t, execs, map[string]string{"container_id": c.Name(), "binary": "_other"})
		_, b := m.Value(t, execs, map[string]string{"container_id": c.Name(), "binary": "longname"})
		if a && b || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	for _, binary := range []string{"_other", " sh", "longname"} {
		if got, _ := m.Value(t, execs, map[string]string{"container_id": c.Name(), "binary": binary}); got != 1 {
			t.Errorf("%s{binary=%q} = %v, want 1", execs, binary, got)
		}
	}
	if got := m.Sum("rtsec_label_overflows_total", overflows) - before; got < 1 {
		t.Errorf("rtsec_label_overflows_total{metric=%q} grew by %v after an exec of a binary named _other, want at least 1", execs, got)
	}
	for _, s := range m.Series(execs, map[string]string{"container_id": c.Name()}) {
		if b := exporter.Labels(s)["binary"]; strings.Repeat(b[:1], len(b)) == b && len(b) > 1 {
			t.Errorf("an exec is labelled %q, a directory of the long path", b)
		}
	}
}
