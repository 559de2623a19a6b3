package integration

import (
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/rtsec/rtsec/internal/testenv"
	"github.com/rtsec/rtsec/test/exporter"
)

// runExporter runs the exporter to completion and returns its exit code and
// what it printed.
func runExporter(t *testing.T, prefix []string, args ...string) (int, string) {
	t.Helper()
	bin := exporter.Build(t)
	args = append(append([]string{"--web.listen-address=" + exporter.FreeAddress(t)}, args...), exporter.StateFile(t, args)...)
	cmd := exec.Command(prefix[0], append(append(prefix[1:], bin), args...)...)
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return exit.ExitCode(), string(out)
	}
	if err != nil {
		t.Fatalf("%v: %v", cmd, err)
	}
	return 0, string(out)
}

func TestRefusesWithoutPrivileges(t *testing.T) {
	testenv.RequireRoot(t)
	testenv.RequireCommand(t, "setpriv")
	// nobody must be able to reach the binary.
	if err := os.Chmod(filepath.Dir(exporter.Build(t)), 0o755); err != nil {
		t.Fatal(err)
	}
	code, out := runExporter(t, []string{"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all", "--bounding-set=-all"})
	if code != 1 {
		t.Errorf("exit code %d, want 1\n%s", code, out)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 1 || !strings.Contains(out, "insufficient privileges to load BPF programs: missing CAP_BPF and CAP_PERFMON") {
		t.Errorf("want one line naming the missing capabilities, got:\n%s", out)
	}
}

func TestBadFlagsAreFatal(t *testing.T) {
	testenv.RequireRoot(t)
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"--collector.process.binary-budget=0"}, "--collector.process.binary-budget=0: must be between 1 and 4096"},
		{[]string{"--collector.process.host-binary-budget=100000"}, "--collector.process.host-binary-budget=100000: must be between 1 and 4096"},
		{[]string{"--collector.nosuch"}, "unknown long flag '--collector.nosuch'"},
		{[]string{"--log.level=loud"}, "loud"},
		{[]string{"--runtime.cri-socket=/nonexistent/cri.sock"}, "/nonexistent/cri.sock"},
		{[]string{"--container.gone-grace=-1s"}, "--container.gone-grace=-1s: must not be negative"},
		{[]string{"--web.config.file=/nonexistent/web.yml"}, "/nonexistent/web.yml"},
		{[]string{"--no-such-flag"}, "unknown long flag '--no-such-flag'"},
	}
	for _, c := range cases {
		code, out := runExporter(t, []string{"env"}, c.args...)
		if code == 0 || !strings.Contains(out, c.want) {
			t.Errorf("%v: exit %d, output %q; want non-zero exit and %q", c.args, code, out, c.want)
		}
		if strings.Contains(out, "panic") || strings.Contains(out, "goroutine ") {
			t.Errorf("%v panicked:\n%s", c.args, out)
		}
	}
}

func TestLandingPageAndBasicAuth(t *testing.T) {
	hash, err := bcrypt.GenerateFromPassword([]byte("s3cret"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	config := filepath.Join(t.TempDir(), "web.yml")
	if err := os.WriteFile(config, []byte("basic_auth_users:\n  prom: "+string(hash)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	e := exporter.StartWith(t, exporter.Auth{User: "prom", Password: "s3cret"}, "--web.config.file="+config)

	root := strings.TrimSuffix(e.URL, "metrics")
	resp, err := http.Get(e.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("GET /metrics without credentials: %s, want 401", resp.Status)
	}
	req, _ := http.NewRequest("GET", root, nil)
	req.SetBasicAuth("prom", "s3cret")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "rtsec_exporter") || !strings.Contains(string(body), `href="/metrics"`) {
		t.Errorf("landing page: %s\n%s", resp.Status, body)
	}
	if m := e.Scrape(t); m["rtsec_build_info"] == nil {
		t.Error("authenticated scrape lacks rtsec_build_info")
	}
}

// On a host where tracefs is not mounted, the exporter mounts it itself.
func TestMountsTracefs(t *testing.T) {
	testenv.RequireRoot(t)
	testenv.RequireCommand(t, "unshare")
	// A private mount namespace without tracefs; the exporter runs --version
	// after preflight would be too late, so run it briefly and look.
	script := `umount /sys/kernel/tracing 2>/dev/null; umount /sys/kernel/debug/tracing 2>/dev/null
test -e /sys/kernel/tracing/events && { echo "tracefs still mounted"; exit 2; }
"$0" --web.listen-address=127.0.0.1:0 --runtime.cri-socket=none "$1" & pid=$!
for i in $(seq 50); do test -e /sys/kernel/tracing/events && break; sleep 0.1; done
kill -TERM $pid; wait $pid; code=$?
test -e /sys/kernel/tracing/events || { echo "tracefs not mounted by the exporter"; exit 3; }
exit $code`
	out, err := exec.Command("unshare", "--mount", "--propagation", "private", "sh", "-c", script, exporter.Build(t), exporter.StateFile(t, nil)[0]).CombinedOutput()
	if err != nil {
		t.Errorf("%v\n%s", err, out)
	}
}
