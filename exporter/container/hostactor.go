package container

import (
	"fmt"
	"path"
	"slices"
	"strings"
)

// Host actor classes: on the host (Identity.ID ""), Identity.Container is
// the class of the node's actor whose cgroup the event came from, so that
// the mixin tells the node's own daemons from an intruder. The set is fixed:
// configured rules pick among these values, which keeps the label bounded.
const (
	// HostActorRuntime is the container runtime's unit (containerd, CRI-O,
	// docker) and what it runs there: shims, conmon, CNI plugins.
	HostActorRuntime = "runtime"
	// HostActorCNI is a network daemon of the node run as a unit of its own.
	HostActorCNI = "cni"
	// HostActorKubelet is the kubelet's unit.
	HostActorKubelet = "kubelet"
	// HostActorPackageManager is a package manager run by its service or timer.
	HostActorPackageManager = "package_manager"
	// HostActorSystemd is the init process (init.scope).
	HostActorSystemd = "systemd"
	// HostActorSystemdUnit is any other system service.
	HostActorSystemdUnit = "systemd_unit"
	// HostActorSession is an interactive login (session-N.scope) or a user's
	// own service manager.
	HostActorSession = "session"
	// HostActorOther is everything else: the root cgroup (on a systemd node
	// only kernel threads, and what an escape through release_agent or
	// core_pattern runs), and cgroups no rule names.
	HostActorOther = "other"
)

// HostActorClasses lists every host actor class, the values of the
// container label on the host.
var HostActorClasses = []string{
	HostActorRuntime, HostActorCNI, HostActorKubelet, HostActorPackageManager,
	HostActorSystemd, HostActorSystemdUnit, HostActorSession, HostActorOther,
}

// DefaultHostActorRules are the rules (CLASS:PATTERN, first match wins) of
// --host.actors: systemd's layout of containerd, CRI-O, docker, the kubelet
// (and k3s), the package managers' services and timers of Debian, Ubuntu
// and the RHEL family, init, the other system services and login sessions.
var DefaultHostActorRules = []string{
	"runtime:/system.slice/containerd.service",
	"runtime:/system.slice/crio.service",
	"runtime:/system.slice/crio-conmon-*.scope",
	"runtime:/system.slice/docker.service",
	"runtime:/system.slice/cri-docker.service",
	"runtime:/kubepods.slice/*/crio-conmon-*.scope",
	"runtime:/kubepods.slice/*/*/crio-conmon-*.scope",
	"kubelet:/system.slice/kubelet.service",
	"kubelet:/system.slice/k3s.service",
	"kubelet:/system.slice/k3s-agent.service",
	"package_manager:/system.slice/apt-daily.service",
	"package_manager:/system.slice/apt-daily-upgrade.service",
	"package_manager:/system.slice/unattended-upgrades.service",
	"package_manager:/system.slice/packagekit.service",
	"package_manager:/system.slice/dnf-makecache.service",
	"package_manager:/system.slice/dnf-automatic*.service",
	"package_manager:/system.slice/yum-makecache.service",
	"package_manager:/system.slice/yum-cron.service",
	"systemd:/init.scope",
	"session:/user.slice/*/session-*.scope",
	"session:/user.slice/*/user@*.service",
	"systemd_unit:/system.slice/*",
}

// HostActorRule gives the host cgroups whose path, or an ancestor's,
// matches Pattern (path.Match, anchored at the cgroup2 root) the class
// Class.
type HostActorRule struct {
	Class, Pattern string
}

// ParseHostActorRules parses rules written CLASS:PATTERN, where CLASS is one
// of HostActorClasses and PATTERN an absolute path.Match pattern of cgroup
// paths.
func ParseHostActorRules(specs []string) ([]HostActorRule, error) {
	rules := make([]HostActorRule, 0, len(specs))
	for _, spec := range specs {
		class, pattern, ok := strings.Cut(spec, ":")
		if !ok {
			return nil, fmt.Errorf("host actor rule %q: want CLASS:PATTERN", spec)
		}
		if !slices.Contains(HostActorClasses, class) {
			return nil, fmt.Errorf("host actor rule %q: class %q is none of %s", spec, class, strings.Join(HostActorClasses, ", "))
		}
		if !strings.HasPrefix(pattern, "/") {
			return nil, fmt.Errorf("host actor rule %q: pattern %q is not an absolute cgroup path", spec, pattern)
		}
		if _, err := path.Match(pattern, ""); err != nil {
			return nil, fmt.Errorf("host actor rule %q: pattern %q: %w", spec, pattern, err)
		}
		rules = append(rules, HostActorRule{Class: class, Pattern: pattern})
	}
	return rules, nil
}

// hostActor returns the class of the host cgroup at cgpath: the class of
// the first rule that matches it or one of its ancestors, so that the
// sub-cgroups a unit creates stay its own, else HostActorOther. Patterns
// are anchored: a user who creates a cgroup named containerd.service in
// their own delegated subtree is still a session.
func hostActor(rules []HostActorRule, cgpath string) string {
	for _, r := range rules {
		for p := cgpath; ; p = path.Dir(p) {
			if ok, _ := path.Match(r.Pattern, p); ok {
				return r.Class
			}
			if p == "/" {
				break
			}
		}
	}
	return HostActorOther
}
