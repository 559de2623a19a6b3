package e2e

import (
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// daemon is a server process of the stack (Prometheus, Alertmanager) whose
// output goes to a log file in its directory.
type daemon struct {
	name string
	cmd  *exec.Cmd
	log  string
	done chan error
}

// startDaemon runs path with args, logging to dir/<name>.log, waits until
// readyURL answers 200 and registers a cleanup that stops it with SIGTERM.
func startDaemon(t testing.TB, name, dir, readyURL, path string, args ...string) *daemon {
	t.Helper()
	d := &daemon{name: name, log: filepath.Join(dir, name+".log"), done: make(chan error, 1)}
	logFile, err := os.Create(d.log)
	if err != nil {
		t.Fatalf("%s log: %v", name, err)
	}
	defer logFile.Close()
	d.cmd = exec.Command(path, args...)
	d.cmd.Stdout, d.cmd.Stderr = logFile, logFile
	// Its own process group: a Ctrl-C meant for cmd/stack does not reach
	// it, cmd/stack stops it.
	d.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := d.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	go func() { d.done <- d.cmd.Wait() }()
	t.Cleanup(func() {
		if err := d.stop(); err != nil {
			t.Errorf("%s did not stop cleanly: %v\n%s", name, err, d.output())
		}
	})
	if err := d.waitReady(readyURL, 30*time.Second); err != nil {
		t.Fatalf("%s: %v\n%s", name, err, d.output())
	}
	return d
}

// waitReady polls url until it answers 200, the process exits or timeout.
func (d *daemon) waitReady(url string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = fmt.Errorf("GET %s: %s", url, resp.Status)
		}
		select {
		case exit := <-d.done:
			d.done <- exit
			return exited("exited before ready", exit)
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not ready within %v: %w", timeout, err)
		}
	}
}

// stop sends SIGTERM and waits up to 10s, then kills.
func (d *daemon) stop() error {
	select {
	case err := <-d.done:
		d.done <- err
		return exited("exited before it was stopped", err)
	default:
	}
	if err := d.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		return fmt.Errorf("signal: %w", err)
	}
	select {
	case err := <-d.done:
		d.done <- err
		return err
	case <-time.After(10 * time.Second):
		d.cmd.Process.Kill()
		<-d.done
		return fmt.Errorf("no exit within 10s of SIGTERM, killed")
	}
}

// output returns the end of the daemon's log.
func (d *daemon) output() string {
	data, err := os.ReadFile(d.log)
	if err != nil {
		return err.Error()
	}
	const tail = 4000
	if len(data) > tail {
		data = data[len(data)-tail:]
	}
	return string(data)
}

// exited describes a process exit the harness did not ask for.
func exited(what string, err error) error {
	if err == nil {
		return errors.New(what + " (status 0)")
	}
	return fmt.Errorf("%s: %w", what, err)
}
