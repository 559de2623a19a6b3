// Package entry builds rtsec-entry, the entrypoint the e2e harness gives a
// container when it runs a scenario's attack as the container's own init
// (PID 1) instead of through `runc exec`: it waits for the harness's go
// file, runs the attack's commands one after another, reports each on its
// standard output, then either keeps running or exits.
package entry

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/rtsec/rtsec/test/gobuild"
)

// Paths inside the container.
const (
	// Binary is where the harness installs rtsec-entry.
	Binary = "/bin/rtsec-entry"
	// StepsFile holds the commands, JSON-encoded []Step.
	StepsFile = "/.rtsec-steps.json"
	// GoFile appears when the harness's setup is done: the commands start.
	GoFile = "/.rtsec-go"
)

// Lines rtsec-entry writes to its standard output.
const (
	// DoneLine ends every run, after the commands' lines.
	DoneLine = "rtsec-entry: done"
	// FailPrefix starts the line of a required command that failed.
	FailPrefix = "rtsec-entry: FAIL "
)

// Step is one command of an attack. MayFail marks a command whose failure
// is expected (a network tool without a network): its exec is what counts.
type Step struct {
	Args    []string `json:"args"`
	MayFail bool     `json:"may_fail,omitempty"`
}

// String is the command as a shell would show it.
func (s Step) String() string { return strings.Join(s.Args, " ") }

// Encode is the steps file's content.
func Encode(steps []Step) ([]byte, error) {
	for i, s := range steps {
		if len(s.Args) == 0 {
			return nil, fmt.Errorf("step %d has no command", i)
		}
	}
	return json.Marshal(steps)
}

// Args is the container's init command line: hold keeps it running after
// the commands, otherwise it exits (a short-lived container).
func Args(hold bool) []string {
	then := "exit"
	if hold {
		then = "hold"
	}
	return []string{Binary, "-steps", StepsFile, "-go", GoFile, "-then", then}
}

// Program returns the rtsec-entry binary, built once per test binary
// (static, CGO_ENABLED=0, so it runs on the busybox rootfs).
func Program(t testing.TB) []byte {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	return gobuild.Static(t, filepath.Dir(file), "./cmd/rtsec-entry")
}
