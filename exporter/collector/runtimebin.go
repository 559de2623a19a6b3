package collector

import (
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"

	"github.com/alecthomas/kingpin/v2"
	"github.com/cilium/ebpf"
	"golang.org/x/sys/unix"

	"github.com/rtsec/rtsec/bpf"
	"github.com/rtsec/rtsec/exporter/container"
)

var hostActors = kingpin.Flag("host.actors",
	"Host actor rules CLASS:PATTERN (repeatable; replaces the defaults, first match wins): host cgroups whose path or an ancestor's matches PATTERN (anchored at the cgroup2 root, * within one component) get the class CLASS ("+
		strings.Join(container.HostActorClasses, ", ")+") in their container label; unmatched ones are other (docs/host.md).").
	Default(container.DefaultHostActorRules...).Strings()

// HostActorRules returns the parsed --host.actors rules, for the container
// resolver.
func HostActorRules() ([]container.HostActorRule, error) {
	rules, err := container.ParseHostActorRules(*hostActors)
	if err != nil {
		return nil, fmt.Errorf("--host.actors: %w", err)
	}
	return rules, nil
}

var runtimeBinaries = kingpin.Flag("collector.process.runtime-binaries",
	"Container runtime binaries (names looked up in PATH, or paths; repeatable) whose own calls while they set up a container are not the container's.").
	Default("runc", "crun", "youki").Strings()

// runtimeSearchDirs are searched besides PATH: runtimes live there even
// when the exporter's PATH is minimal.
var runtimeSearchDirs = []string{"/usr/bin", "/usr/sbin", "/usr/local/bin", "/usr/local/sbin", "/bin", "/sbin"}

var (
	runtimeOnce   sync.Once
	runtimeInodes []bpf.ProcessRuntimeInode
)

// findRuntimeBinaries returns the device and inode of each runtime binary
// found, looked up once for every object that shares them (the process
// and file collectors).
func findRuntimeBinaries(logger *slog.Logger) []bpf.ProcessRuntimeInode {
	runtimeOnce.Do(func() {
		seen := map[bpf.ProcessRuntimeInode]bool{}
		for _, name := range *runtimeBinaries {
			for _, path := range candidates(name) {
				var st unix.Stat_t
				if err := unix.Stat(path, &st); err != nil {
					continue
				}
				// The kernel's dev_t packs major << 20 | minor.
				key := bpf.ProcessRuntimeInode{Ino: st.Ino, Dev: unix.Major(st.Dev)<<20 | unix.Minor(st.Dev)}
				if seen[key] {
					continue
				}
				seen[key] = true
				runtimeInodes = append(runtimeInodes, key)
				logger.Debug("container runtime binary", "path", path)
			}
		}
		if len(runtimeInodes) == 0 {
			logger.Warn("no container runtime binary found (--collector.process.runtime-binaries): runtime setup calls may count in new containers")
		}
	})
	return runtimeInodes
}

// loadRuntimeBinaries puts the runtime binaries into an object's
// runtime_binaries map (process/runtime.h).
func loadRuntimeBinaries(m *ebpf.Map, logger *slog.Logger) error {
	for _, key := range findRuntimeBinaries(logger) {
		if err := m.Put(key, uint8(1)); err != nil {
			return fmt.Errorf("--collector.process.runtime-binaries: inode %d: %w", key.Ino, err)
		}
	}
	return nil
}

// candidates are the paths a runtime name may resolve to.
func candidates(name string) []string {
	if filepath.IsAbs(name) {
		return []string{name}
	}
	var out []string
	if p, err := exec.LookPath(name); err == nil {
		out = append(out, p)
	}
	for _, dir := range runtimeSearchDirs {
		if _, err := os.Stat(filepath.Join(dir, name)); err == nil {
			out = append(out, filepath.Join(dir, name))
		}
	}
	return out
}
