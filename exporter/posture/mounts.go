package posture

import (
	"fmt"
	"path"
	"strings"
)

// mount is one line of mountinfo.
type mount struct {
	device, root, point, fstype string
	readonly                    bool
}

// SensitivePaths are host paths that give a container a way out when
// mounted into it, by label value: the path itself, or (Subtree) also
// anything below it.
var SensitivePaths = []struct {
	Label, Path string
	Subtree     bool
}{
	{"docker_sock", "/run/docker.sock", false}, {"docker_sock", "/var/run/docker.sock", false},
	{"containerd_sock", "/run/containerd/containerd.sock", false}, {"containerd_sock", "/run/containerd", false},
	{"crio_sock", "/run/crio/crio.sock", false}, {"crio_sock", "/run/crio", false},
	{"root", "/", false}, {"var_run", "/run", false}, {"var_run", "/var/run", false},
	{"etc", "/etc", true}, {"proc", "/proc", true}, {"sys", "/sys", true}, {"dev", "/dev", true},
	{"var_lib_kubelet", "/var/lib/kubelet", true}, {"var_lib_docker", "/var/lib/docker", true},
	{"var_lib_containerd", "/var/lib/containerd", true}, {"boot", "/boot", true}, {"root_home", "/root", true},
}

// runtimeDirs hold what runtimes mount into every container of their own
// (hosts, resolv.conf, secrets, emptyDirs, shm, the rootfs): not sensitive.
var runtimeDirs = []string{
	"/var/lib/kubelet/pods", "/var/lib/docker/containers", "/var/lib/docker/overlay2",
	"/var/lib/containerd/io.containerd.grpc.v1.cri/sandboxes", "/run/containerd/io.containerd.grpc.v1.cri/sandboxes",
	"/run/containerd/io.containerd.runtime.v2.task", "/run/containers/storage", "/var/lib/containers/storage",
}

// SensitiveMountLabels are the distinct label values of SensitivePaths.
func SensitiveMountLabels() []string {
	var out []string
	seen := map[string]bool{}
	for _, s := range SensitivePaths {
		if !seen[s.Label] {
			seen[s.Label] = true
			out = append(out, s.Label)
		}
	}
	return out
}

// pseudoFS are the file systems a runtime mounts at their usual places in
// every container; there they are the container's own, not the host's.
var pseudoFS = map[string]bool{"proc": true, "sysfs": true, "devpts": true, "mqueue": true, "tmpfs": true, "cgroup": true, "cgroup2": true}

// unescape undoes mountinfo's octal escapes (\040 for a space…).
func unescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			var c byte
			if _, err := fmt.Sscanf(s[i+1:i+4], "%03o", &c); err == nil {
				b.WriteByte(c)
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func parseMountinfo(s string) ([]mount, error) {
	s = strings.TrimSpace(s)
	out := make([]mount, 0, strings.Count(s, "\n")+1)
	n := 0
	for line := range strings.Lines(s) {
		n++
		line = strings.TrimSuffix(line, "\n")
		if line == "" {
			continue
		}
		pre, post, ok := strings.Cut(line, " - ")
		var f [6]string
		var g [1]string
		if !ok || firstFields(pre, f[:]) < len(f) || firstFields(post, g[:]) < len(g) {
			return nil, fmt.Errorf("mountinfo line %d: %q", n, line)
		}
		readonly := false
		for opt := range strings.SplitSeq(f[5], ",") {
			readonly = readonly || opt == "ro"
		}
		out = append(out, mount{device: f[2], root: unescape(f[3]), point: unescape(f[4]), fstype: g[0], readonly: readonly})
	}
	return out, nil
}

// firstFields fills dst with the first fields of s (as strings.Fields
// splits it) and returns how many it found, without allocating.
func firstFields(s string, dst []string) int {
	n := 0
	for f := range strings.FieldsSeq(s) {
		if n == len(dst) {
			break
		}
		dst[n] = f
		n++
	}
	return n
}

// readonlyRoot reports whether the last mount on / is read-only.
func readonlyRoot(mounts []mount) bool {
	ro := false
	for _, m := range mounts {
		if m.point == "/" {
			ro = m.readonly
		}
	}
	return ro
}

// hostPath maps a container mount to the host path it shows, through the
// host mount of the same device whose root contains it; "" when the device
// is not mounted on the host (an overlay rootfs, a fresh tmpfs…).
func hostPath(m mount, hosts []mount) string {
	best := -1
	bestRoot := -1
	for i, h := range hosts {
		if h.device != m.device || len(h.root) <= bestRoot || !isWithin(m.root, h.root) {
			continue
		}
		bestRoot = len(h.root)
		best = i
	}
	if best < 0 {
		return ""
	}
	rel, _ := within(m.root, hosts[best].root)
	return path.Join(hosts[best].point, rel)
}

func runtimeDir(p string) bool {
	for _, d := range runtimeDirs {
		if isWithin(p, d) {
			return true
		}
	}
	return false
}

// within returns p relative to dir when p is dir or below it.
func within(p, dir string) (string, bool) {
	if !isWithin(p, dir) {
		return "", false
	}
	if dir == "/" {
		return p, true
	}
	if p == dir {
		return "/", true
	}
	return p[len(dir):], true
}

// isWithin reports whether p is dir or below it, as within does, without
// allocating: it runs for every pair of container and host mounts.
func isWithin(p, dir string) bool {
	return dir == "/" || p == dir || (len(p) > len(dir) && p[len(dir)] == '/' && p[:len(dir)] == dir)
}

// sensitiveMounts classifies the container's mounts of sensitive host paths.
func sensitiveMounts(mounts, hosts []mount) map[string]bool {
	out := map[string]bool{}
	for _, m := range mounts {
		hp := hostPath(m, hosts)
		if hp == "" || m.point == "/" || (pseudoFS[m.fstype] && hp == m.point) || runtimeDir(hp) ||
			(strings.HasPrefix(m.fstype, "cgroup") && strings.HasPrefix(m.point, "/sys/fs/cgroup")) {
			continue
		}
		for _, s := range SensitivePaths {
			if hp == s.Path || (s.Subtree && isWithin(hp, s.Path)) {
				out[s.Label] = true
			}
		}
	}
	return out
}
