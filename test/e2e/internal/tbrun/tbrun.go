// Package tbrun runs harness code written for tests (it takes a testing.TB)
// inside a command: failures print and stop the run, cleanups run in
// reverse order when it ends, also after a failure or a signal.
package tbrun

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// T is a testing.TB for commands. Only the methods harness code uses are
// implemented; the embedded nil TB provides the interface's unexported
// method, and calling any other method panics.
type T struct {
	testing.TB
	name string
	ctx  context.Context

	mu       sync.Mutex
	cleanups []func()
	failed   bool
	tempDirs int
	tempRoot string
}

// errStop is the panic value of Fatal and Skip, recovered by Run.
var errStop = errors.New("tbrun: stop")

// Run calls f with a T named name whose Context is ctx, then runs the
// cleanups f registered. It returns an error when f failed or stopped.
func Run(ctx context.Context, name string, f func(t *T)) (err error) {
	t := &T{name: name, ctx: ctx}
	defer func() {
		t.runCleanups()
		if t.Failed() && err == nil {
			err = fmt.Errorf("%s failed", name)
		}
	}()
	defer func() {
		if r := recover(); r != nil && r != errStop {
			panic(r)
		}
	}()
	f(t)
	return nil
}

func (t *T) runCleanups() {
	for {
		t.mu.Lock()
		n := len(t.cleanups)
		if n == 0 {
			t.mu.Unlock()
			break
		}
		f := t.cleanups[n-1]
		t.cleanups = t.cleanups[:n-1]
		t.mu.Unlock()
		f()
	}
	if t.tempRoot != "" {
		os.RemoveAll(t.tempRoot)
	}
}

// Cleanup registers f to run when Run ends, last registered first.
func (t *T) Cleanup(f func()) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.cleanups = append(t.cleanups, f)
}

// Helper does nothing: there is no call-site reporting in a command.
func (t *T) Helper() {}

// Name returns the run's name.
func (t *T) Name() string { return t.name }

// Context returns the context Run was given (cancelled by signals).
func (t *T) Context() context.Context { return t.ctx }

// Output is standard error.
func (t *T) Output() io.Writer { return os.Stderr }

// Log prints args.
func (t *T) Log(args ...any) { fmt.Fprintln(os.Stderr, args...) }

// Logf prints a formatted line.
func (t *T) Logf(format string, args ...any) { fmt.Fprintf(os.Stderr, format+"\n", args...) }

// Fail marks the run failed and continues.
func (t *T) Fail() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.failed = true
}

// Failed reports whether the run failed.
func (t *T) Failed() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.failed
}

// Error prints args and marks the run failed.
func (t *T) Error(args ...any) { t.Log(args...); t.Fail() }

// Errorf prints a formatted line and marks the run failed.
func (t *T) Errorf(format string, args ...any) { t.Logf(format, args...); t.Fail() }

// FailNow marks the run failed and stops it. Call it from Run's goroutine only.
func (t *T) FailNow() { t.Fail(); panic(errStop) }

// Fatal is Error and FailNow.
func (t *T) Fatal(args ...any) { t.Error(args...); panic(errStop) }

// Fatalf is Errorf and FailNow.
func (t *T) Fatalf(format string, args ...any) { t.Errorf(format, args...); panic(errStop) }

// SkipNow stops the run as failed: a command cannot do without what a test
// may skip for (root, a Debian package).
func (t *T) SkipNow() { t.Fail(); panic(errStop) }

// Skip prints args and stops the run as failed.
func (t *T) Skip(args ...any) { t.Log(args...); t.SkipNow() }

// Skipf prints a formatted line and stops the run as failed.
func (t *T) Skipf(format string, args ...any) { t.Logf(format, args...); t.SkipNow() }

// Skipped is always false: Skip fails a command.
func (t *T) Skipped() bool { return false }

// TempDir returns a new directory removed when Run ends.
func (t *T) TempDir() string {
	dir, err := t.newTempDir()
	if err != nil {
		t.Fatalf("temp dir: %v", err)
	}
	return dir
}

func (t *T) newTempDir() (string, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.tempRoot == "" {
		root, err := os.MkdirTemp("", "rtsec-"+t.name+"-")
		if err != nil {
			return "", err
		}
		t.tempRoot = root
	}
	t.tempDirs++
	dir := filepath.Join(t.tempRoot, fmt.Sprintf("%03d", t.tempDirs))
	return dir, os.Mkdir(dir, 0o755)
}
