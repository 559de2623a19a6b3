// Package preflight checks, before any BPF is loaded, that the host gives
// rtsec what it needs, and says in one line what is missing and how to fix it.
package preflight

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/cilium/ebpf/rlimit"
	"golang.org/x/sys/unix"

	"github.com/rtsec/rtsec/exporter/privileges"
)

// BTFPath is where the kernel exposes its own type information.
const BTFPath = "/sys/kernel/btf/vmlinux"

// Result is what the checks found that is not fatal.
type Result struct {
	// Warnings name features that will be degraded.
	Warnings []string
}

// Check runs every check for the enabled collectors. The error, if any, is
// one line for the user.
func Check(collectors []string) (Result, error) {
	var res Result
	caps, err := effectiveCaps("/proc/self/status")
	if err != nil {
		return res, fmt.Errorf("cannot read own capabilities: %w", err)
	}
	if msg := missingPrivilege(caps); msg != "" {
		return res, fmt.Errorf("%s", msg)
	}
	res.Warnings = append(res.Warnings, degradations(caps, privileges.Required(collectors))...)
	if _, err := os.Stat(BTFPath); err != nil {
		return res, fmt.Errorf("kernel BTF not found at %s: rtsec needs a kernel built with CONFIG_DEBUG_INFO_BTF=y (Linux 5.15 or newer with BTF)", BTFPath)
	}
	if err := rlimit.RemoveMemlock(); err != nil {
		return res, fmt.Errorf("cannot lift the locked-memory limit for BPF maps: %w (on kernels before 5.11 run with CAP_SYS_RESOURCE or raise ulimit -l)", err)
	}
	return res, nil
}

// missingPrivilege says what is wrong when caps cannot load and attach
// tracing programs: the documented Load capabilities (CAP_BPF with
// CAP_PERFMON, 5.8+), or CAP_SYS_ADMIN.
func missingPrivilege(caps uint64) string {
	if has(caps, unix.CAP_SYS_ADMIN) {
		return ""
	}
	var missing []string
	for _, c := range privileges.Documented {
		if c.Load && !has(caps, c.Bit) {
			missing = append(missing, c.Name)
		}
	}
	if len(missing) == 0 {
		return ""
	}
	return fmt.Sprintf("insufficient privileges to load BPF programs: missing %s (or CAP_SYS_ADMIN); run as root, e.g. sudo make run, or see docs/deploy.md", strings.Join(missing, " and "))
}

// degradations names each required capability that caps lack, with what
// degrades without it. CAP_SYS_ADMIN does not stand in for them.
func degradations(caps uint64, required []privileges.Capability) []string {
	var out []string
	for _, c := range required {
		if !c.Load && !has(caps, c.Bit) {
			out = append(out, fmt.Sprintf("no %s: %s (it is needed to %s)", c.Name, c.Missing, c.Why))
		}
	}
	return out
}

func has(caps uint64, bit int) bool {
	return caps&(1<<bit) != 0
}

// effectiveCaps reads the CapEff line of a /proc/PID/status file.
func effectiveCaps(path string) (uint64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	return parseCapEff(f)
}

func parseCapEff(r io.Reader) (uint64, error) {
	s := bufio.NewScanner(r)
	for s.Scan() {
		if v, ok := strings.CutPrefix(s.Text(), "CapEff:"); ok {
			return strconv.ParseUint(strings.TrimSpace(v), 16, 64)
		}
	}
	if err := s.Err(); err != nil {
		return 0, err
	}
	return 0, fmt.Errorf("no CapEff line")
}
