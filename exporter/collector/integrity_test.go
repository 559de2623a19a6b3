package collector

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/rtsec/rtsec/exporter/integrity"
	"github.com/rtsec/rtsec/exporter/metricdef"
)

// The integrity checker's state: the changed flag of each watched path,
// the checks by result and the baseline rebuilds by reason, after a first
// start (no state file: rebuilt) and one file changed. The paths are the
// test's own, so the exposition is written here rather than in testdata/.
func TestIntegrityGolden(t *testing.T) {
	dir := t.TempDir()
	passwd, shadow := filepath.Join(dir, "passwd"), filepath.Join(dir, "shadow")
	for _, p := range []string{passwd, shadow} {
		if err := os.WriteFile(p, []byte("root:x:0:0\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	checker, err := integrity.New([]string{passwd, shadow}, filepath.Join(dir, "state.json"), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	checker.Check()
	if err := os.WriteFile(shadow, []byte("root:$6$changed:0:0\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	before := time.Now()
	checker.Check()
	c := &scrape{c: newIntegrity(checker, func() {})}
	want := fmt.Sprintf(`# HELP %[1]s %[2]s
# TYPE %[1]s gauge
%[1]s{path=%[3]q} 0
%[1]s{path=%[4]q} 1
`, metricdef.FileIntegrityChanged.Name, metricdef.FileIntegrityChanged.Help, passwd, shadow)
	if err := testutil.CollectAndCompare(c, strings.NewReader(want), metricdef.FileIntegrityChanged.Name); err != nil {
		t.Error(err)
	}
	assertGolden(t, c, "integrity", metricdef.FileIntegrityChecks.Name, metricdef.FileIntegrityBaselineRebuilds.Name)
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(c)
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var last float64
	for _, f := range families {
		if f.GetName() == metricdef.FileIntegrityLastCheck.Name {
			last = f.GetMetric()[0].GetGauge().GetValue()
		}
	}
	if at := time.Unix(0, int64(last*1e9)); at.Before(before.Add(-time.Second)) || at.After(time.Now()) {
		t.Errorf("%s = %v, want the time of the last check", metricdef.FileIntegrityLastCheck.Name, at)
	}
}
