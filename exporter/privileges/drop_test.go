package privileges

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
)

// childEnv makes TestDropInChild the child that drops its capabilities.
const childEnv = "RTSEC_PRIVILEGES_DROP_CHILD"

// Drop runs in a child process, as it changes the process for good. In a
// build without cgo it empties every set and sets no_new_privs; in a cgo
// build it refuses, says how to build, and changes nothing.
func TestDropInChild(t *testing.T) {
	if os.Getenv(childEnv) == "1" {
		_, err := Drop(nil)
		st, statusErr := ReadStatus("/proc/self/status")
		fmt.Printf("err=%v nnp=%d eff=%x prm=%x amb=%x status=%v\n", err, st["NoNewPrivs"], st["CapEff"], st["CapPrm"], st["CapAmb"], statusErr)
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestDropInChild$")
	cmd.Env = append(os.Environ(), childEnv+"=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	parent, err := ReadStatus("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	want := "err=<nil> nnp=1 eff=0 prm=0 amb=0 status=<nil>"
	if _, _, errno := syscall.AllThreadsSyscall(syscall.SYS_GETPID, 0, 0, 0); errno == syscall.ENOTSUP {
		want = fmt.Sprintf("CGO_ENABLED=0 (make build does), or pass --no-privileges.drop nnp=%d eff=%x prm=%x", parent["NoNewPrivs"], parent["CapEff"], parent["CapPrm"])
	}
	if !strings.Contains(string(out), want) {
		t.Errorf("child printed:\n%s\nwant it to contain %q", out, want)
	}
}
