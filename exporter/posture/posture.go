// Package posture measures a container's security posture from the
// kernel's view of one of its processes: capabilities, seccomp, no_new_privs
// and uid from /proc/<pid>/status, namespaces shared with the host from
// /proc/<pid>/ns, and its mounts from /proc/<pid>/mountinfo compared with
// the host's. It is what the pod's security context achieved, whatever the
// manifest said. A Cache keeps each container's measure between scrapes and
// reads again only what may have changed.
package posture

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// DangerousCaps are the capabilities reported one by one, by their bit
// number; holding all of them is what privileged means here.
var DangerousCaps = []struct {
	Name string
	Bit  uint
}{
	{"sys_admin", 21}, {"sys_module", 16}, {"sys_ptrace", 19}, {"net_admin", 12}, {"net_raw", 13},
	{"dac_read_search", 2}, {"sys_rawio", 17}, {"bpf", 39}, {"perfmon", 38},
}

// Namespaces are the namespace kinds compared with the host's (the label
// values), and their /proc/<pid>/ns link names.
var Namespaces = []struct{ Label, Link string }{
	{"pid", "pid"}, {"net", "net"}, {"ipc", "ipc"}, {"uts", "uts"}, {"cgroup", "cgroup"}, {"mnt", "mnt"},
}

// Posture is one container's measured posture.
type Posture struct {
	Privileged                                bool
	Caps                                      map[string]bool
	RunningAsRoot, SeccompEnabled, NoNewPrivs bool
	HostNamespaces                            map[string]bool
	ReadonlyRootfs                            bool
	// SensitiveMounts are the classes of sensitive host paths mounted.
	SensitiveMounts map[string]bool
}

// Reader reads postures from a proc filesystem.
type Reader struct {
	// Proc is the proc mount ("/proc"); HostPid a host process whose
	// namespaces and mounts are the host's (1).
	Proc    string
	HostPid int
}

// host is the host's side of the comparison, its namespaces and mounts,
// read once a scrape for all the containers.
type host struct {
	namespaces []string // links, in the order of Namespaces
	mounts     []mount
}

// parseStatus reads CapEff, Seccomp, NoNewPrivs and Uid.
// ErrSettingUp is returned for a container whose first process is still
// the runtime's init: before it drops capabilities and pivots into the
// container's root it has the host's mounts and every capability, and a
// posture read then would report a privileged container.
var ErrSettingUp = errors.New("the container runtime is still setting the container up")

// settingUpFor bounds how long a process named as the runtime's init is
// not measured: a container's own process renamed so cannot hide its
// posture for longer.
const settingUpFor = 10 * time.Second

// runtimeInit reports whether the process of status, whose /proc directory
// is dir, is runc's init setting a container up (runc names its stages
// "runc:[0:PARENT]", "runc:[1:CHILD]", "runc:[2:INIT]"; crun and youki run
// the same way under their own names), for less than settingUpFor.
func runtimeInit(status []byte, dir string) bool {
	name, _, _ := bytes.Cut(bytes.TrimPrefix(status, []byte("Name:\t")), []byte("\n"))
	runtime, stage, _ := bytes.Cut(name, []byte(":["))
	if (string(runtime) != "runc" && string(runtime) != "youki" || len(stage) == 0) && string(name) != "crun" {
		return false
	}
	// Its executable says nothing more: runc runs a copy of itself, which
	// once it pivots into the container's root reads as "/".
	age, ok := processAge(dir)
	return ok && age < settingUpFor
}

// processAge returns how long ago the process of dir started, from its
// stat's starttime (clock ticks after boot, USER_HZ = 100 on every Linux
// ABI) and CLOCK_BOOTTIME.
func processAge(dir string) (time.Duration, bool) {
	b, err := os.ReadFile(filepath.Join(dir, "stat"))
	if err != nil {
		return 0, false
	}
	// comm may hold spaces and parentheses: the fields follow its last ')'.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, false
	}
	fields := strings.Fields(string(b[i+1:]))
	if len(fields) < 20 {
		return 0, false
	}
	ticks, err := strconv.ParseUint(fields[19], 10, 64) // field 22, starttime
	if err != nil {
		return 0, false
	}
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_BOOTTIME, &ts); err != nil {
		return 0, false
	}
	return time.Duration(ts.Nano()) - time.Duration(ticks)*10*time.Millisecond, true
}

func parseStatus(status []byte) (Posture, error) {
	f, err := parseStatusFields(status)
	if err != nil {
		return Posture{}, err
	}
	return f.posture(), nil
}

// statusFields are what a posture takes from a status.
type statusFields struct {
	capEff                   uint64
	root, seccomp, noNewPriv bool
}

func parseStatusFields(status []byte) (statusFields, error) {
	wanted := [...]string{"CapEff", "Seccomp", "NoNewPrivs", "Uid"}
	var values [len(wanted)][]byte
	found := 0
	for line := range bytes.Lines(status) {
		k, v, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			continue
		}
		for i, w := range wanted {
			if string(k) == w && found&(1<<i) == 0 {
				values[i] = bytes.TrimSpace(v)
				found |= 1 << i
			}
		}
	}
	for i, k := range wanted {
		if found&(1<<i) == 0 {
			return statusFields{}, fmt.Errorf("status has no %s", k)
		}
	}
	capEffHex, seccomp, noNewPrivs, uid := values[0], values[1], values[2], values[3]
	capEff, err := strconv.ParseUint(string(capEffHex), 16, 64)
	if err != nil {
		return statusFields{}, fmt.Errorf("CapEff: %w", err)
	}
	uids := bytes.Fields(uid)
	if len(uids) < 2 {
		return statusFields{}, fmt.Errorf("Uid %q: want real and effective uids", uid)
	}
	return statusFields{
		capEff:    capEff,
		root:      string(uids[1]) == "0",
		seccomp:   string(seccomp) != "0",
		noNewPriv: string(noNewPrivs) == "1",
	}, nil
}

// posture is the posture of f, its namespaces and mounts left out.
func (f statusFields) posture() Posture {
	p := Posture{
		Caps:           make(map[string]bool, len(DangerousCaps)),
		RunningAsRoot:  f.root,
		SeccompEnabled: f.seccomp,
		NoNewPrivs:     f.noNewPriv,
		Privileged:     true,
	}
	for _, c := range DangerousCaps {
		p.Caps[c.Name] = f.capEff&(1<<c.Bit) != 0
		p.Privileged = p.Privileged && p.Caps[c.Name]
	}
	return p
}
