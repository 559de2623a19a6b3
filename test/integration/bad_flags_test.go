package integration

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rtsec/rtsec/exporter/integrity"
	"github.com/rtsec/rtsec/internal/testenv"
	"github.com/rtsec/rtsec/test/exporter"
)

// Every bad value from the table makes the real binary exit 1 within a
// second (loading the BPF programs takes seconds), with one line naming
// the flag, before the first BPF program is loaded (the "starting" log
// line comes right before it), and never a panic.
func TestBadFlags(t *testing.T) {
	testenv.RequireRoot(t)
	binary := exporter.Build(t)
	dir := t.TempDir()
	file := func(name, content string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	comments := file("comments", "# nothing but a comment\n\n")
	// A state file another exporter holds: the test takes its lock.
	held := filepath.Join(dir, "held", "integrity.json")
	lock, err := integrity.LockState(held)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Close()
	protect := file("protect.yaml", "rules:\n  - name: protect-passwd\n    action: kill\n    signals:\n      file_modification: [etc_passwd]\n    where:\n      - namespace: prod\n")
	cases := []struct {
		arg, flag string
		// with are more flags, given after arg.
		with []string
	}{
		{"--web.telemetry-path=metrics", "--web.telemetry-path", nil},
		{"--web.telemetry-path=", "--web.telemetry-path", nil},
		{"--web.listen-address=nope", "--web.listen-address", nil},
		{"--web.listen-address=:99999", "--web.listen-address", nil},
		{"--web.config.file=/dev/zero", "--web.config.file", nil},
		{"--web.config.file=" + filepath.Join(dir, "missing.yml"), "--web.config.file", nil},
		{"--web.config.file=" + file("web.yml", "tls_server_config:\n  cert_file: /nonexistent\n"), "--web.config.file", nil},
		{"--web.config.file=" + file("bad.yml", "basic_auth_users: [\n"), "--web.config.file", nil},
		{"--web.max-requests=-1", "--web.max-requests", nil},
		{"--web.scrape-share-window=-1s", "--web.scrape-share-window", nil},
		{"--collector.file.classes-file=/dev/zero", "--collector.file.classes-file", nil},
		{"--collector.file.classes-file=" + comments, "--collector.file.classes-file", nil},
		{"--collector.process.classes-file=/dev/zero", "--collector.process.classes-file", nil},
		{"--collector.process.classes-file=" + comments, "--collector.process.classes-file", nil},
		{"--collector.process.binary-budget=0", "--collector.process.binary-budget", nil},
		{"--collector.integrity.state-file=/dev/zero", "--collector.integrity.state-file", nil},
		{"--collector.integrity.state-file=" + held, "--collector.integrity.state-file", nil},
		{"--collector.integrity.interval=0s", "--collector.integrity.interval", nil},
		{"--collector.network.cluster-cidr=bad", "--collector.network.cluster-cidr", nil},
		{"--collector.network.novelty-budget=0", "--collector.network.novelty-budget", nil},
		{"--events.redact=(", "--events.redact", nil},
		{"--events.rate-limit=0", "--events.rate-limit", nil},
		{"--container.gone-grace=-1s", "--container.gone-grace", nil},
		{"--host.actors=daemon:/system.slice/x.service", "--host.actors", nil},
		{"--host.actors=runtime:containerd.service", "--host.actors", nil},
		{"--runtime.cri-socket=" + filepath.Join(dir, "no.sock"), "--runtime.cri-socket", nil},
		{"--no-such-flag", "--no-such-flag", nil},
		{"--enforce.policy-file=" + file("typo.yaml", "rules:\n  - name: x\n    action: kil\n"), "--enforce.policy-file", nil},
		// Enforcement needs the collectors whose programs act.
		{"--enforce.policy-file=" + protect, "--collector.process", []string{"--no-collector.process"}},
		{"--enforce.policy-file=" + protect, "--collector.file", []string{"--no-collector.file"}},
		{"--enforce.policy-file=" + protect, "--enforce.refresh-interval", []string{"--enforce.refresh-interval=1ms"}},
	}
	for _, c := range cases {
		t.Run(strings.Join(append([]string{c.arg}, c.with...), " "), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			args := append([]string{"--web.listen-address=127.0.0.1:0", c.arg}, c.with...)
			cmd := exec.CommandContext(ctx, binary, append(args, exporter.StateFile(t, args)...)...)
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			begin := time.Now()
			err := cmd.Run()
			took := time.Since(begin)
			var exit *exec.ExitError
			if !errors.As(err, &exit) || exit.ExitCode() != 1 {
				t.Fatalf("exit: %v, want status 1\n%s", err, out.String())
			}
			if took > time.Second {
				t.Errorf("took %v to fail, want under a second", took)
			}
			msg := strings.TrimSpace(out.String())
			if strings.Count(msg, "\n") > 0 || !strings.Contains(msg, c.flag) {
				t.Errorf("output %q: want one line naming %s", msg, c.flag)
			}
			if strings.Contains(msg, "starting rtsec_exporter") || strings.Contains(msg, "goroutine ") {
				t.Errorf("output %q: got past the checks into loading, or panicked", msg)
			}
		})
	}
}
