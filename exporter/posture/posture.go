// Package posture measures a container's security posture from the
// kernel's view of one of its processes: capabilities, seccomp, no_new_privs
// and uid from /proc/<pid>/status, namespaces shared with the host from
// /proc/<pid>/ns, and its mounts from /proc/<pid>/mountinfo compared with
// the host's. It is what the pod's security context achieved, whatever the
// manifest said.
package posture

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
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

// Read measures the container whose process is pid.
func (r Reader) Read(pid int) (Posture, error) {
	dir := filepath.Join(r.Proc, strconv.Itoa(pid))
	status, err := os.ReadFile(filepath.Join(dir, "status"))
	if err != nil {
		return Posture{}, fmt.Errorf("posture: %w", err)
	}
	p, err := parseStatus(string(status))
	if err != nil {
		return Posture{}, fmt.Errorf("posture of pid %d: %w", pid, err)
	}
	p.HostNamespaces = map[string]bool{}
	host := filepath.Join(r.Proc, strconv.Itoa(r.HostPid))
	for _, ns := range Namespaces {
		mine, err1 := os.Readlink(filepath.Join(dir, "ns", ns.Link))
		theirs, err2 := os.Readlink(filepath.Join(host, "ns", ns.Link))
		if err1 != nil || err2 != nil {
			return Posture{}, fmt.Errorf("posture of pid %d: namespace %s: %v %v", pid, ns.Link, err1, err2)
		}
		p.HostNamespaces[ns.Label] = mine == theirs
	}
	mine, err := os.ReadFile(filepath.Join(dir, "mountinfo"))
	if err != nil {
		return Posture{}, fmt.Errorf("posture: %w", err)
	}
	hostMounts, err := os.ReadFile(filepath.Join(host, "mountinfo"))
	if err != nil {
		return Posture{}, fmt.Errorf("posture: %w", err)
	}
	mounts, err := parseMountinfo(string(mine))
	if err != nil {
		return Posture{}, fmt.Errorf("posture of pid %d: %w", pid, err)
	}
	hosts, err := parseMountinfo(string(hostMounts))
	if err != nil {
		return Posture{}, fmt.Errorf("posture of host pid %d: %w", r.HostPid, err)
	}
	p.ReadonlyRootfs = readonlyRoot(mounts)
	p.SensitiveMounts = sensitiveMounts(mounts, hosts)
	return p, nil
}

// parseStatus reads CapEff, Seccomp, NoNewPrivs and Uid.
func parseStatus(status string) (Posture, error) {
	fields := map[string]string{}
	for _, line := range strings.Split(status, "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok {
			fields[k] = strings.TrimSpace(v)
		}
	}
	for _, k := range []string{"CapEff", "Seccomp", "NoNewPrivs", "Uid"} {
		if _, ok := fields[k]; !ok {
			return Posture{}, fmt.Errorf("status has no %s", k)
		}
	}
	capEff, err := strconv.ParseUint(fields["CapEff"], 16, 64)
	if err != nil {
		return Posture{}, fmt.Errorf("CapEff: %w", err)
	}
	uids := strings.Fields(fields["Uid"])
	if len(uids) < 2 {
		return Posture{}, fmt.Errorf("Uid %q: want real and effective uids", fields["Uid"])
	}
	p := Posture{
		Caps:           map[string]bool{},
		RunningAsRoot:  uids[1] == "0",
		SeccompEnabled: fields["Seccomp"] != "0",
		NoNewPrivs:     fields["NoNewPrivs"] == "1",
		Privileged:     true,
	}
	for _, c := range DangerousCaps {
		p.Caps[c.Name] = capEff&(1<<c.Bit) != 0
		p.Privileged = p.Privileged && p.Caps[c.Name]
	}
	return p, nil
}
