package containerd

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
)

// cniBinDir is where Debian's containernetworking-plugins installs.
const cniBinDir = "/usr/lib/cni"

// cniPlugins are the CNI binaries the harness's network needs; containerd
// adds the loopback network by itself.
var cniPlugins = []string{"ptp", "host-local", "loopback"}

// configTemplate is containerd 1.6's config with the CRI plugin. Every path
// is under the daemon's own directory (%[1]s), so it cannot collide with a
// containerd the host runs: root, state, sockets, runc's state, /opt, CNI
// configuration and network namespaces (netns_mounts_under_state_dir).
// restrict_oom_score_adj is needed because root lacks CAP_SYS_RESOURCE.
const configTemplate = `version = 2
root = "%[1]s/root"
state = "%[1]s/state"
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.zfs"]

[grpc]
  address = "%[1]s/containerd.sock"

[ttrpc]
  address = "%[1]s/containerd.sock.ttrpc"

[plugins."io.containerd.internal.v1.opt"]
  path = "%[1]s/opt"

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "%[2]s"
  restrict_oom_score_adj = true
  netns_mounts_under_state_dir = true
  disable_apparmor = true

[plugins."io.containerd.grpc.v1.cri".cni]
  bin_dir = "%[3]s"
  conf_dir = "%[1]s/net.d"
  max_conf_num = 1

[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
  runtime_type = "io.containerd.runc.v2"

[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
  SystemdCgroup = false
  Root = "%[1]s/runc"
`

// cniTemplate is a ptp network: a veth pair per pod with eth0 inside the
// pod's netns and host-local addresses from a private /24 (%[2]s), its
// allocations kept under the daemon's directory (%[1]s). No masquerading:
// the pods need no way out.
const cniTemplate = `{
  "cniVersion": "0.4.0",
  "name": "rtsec-test",
  "plugins": [{
    "type": "ptp",
    "ipMasq": false,
    "ipam": {
      "type": "host-local",
      "subnet": "%[2]s",
      "dataDir": "%[1]s/ipam"
    }
  }]
}
`

// writeConfig writes containerd's config.toml and the CNI conflist into dir
// and returns the path of config.toml.
func writeConfig(dir string) (string, error) {
	if err := os.MkdirAll(filepath.Join(dir, "net.d"), 0o755); err != nil {
		return "", err
	}
	// A random subnet, so harnesses running at the same time (parallel test
	// packages) do not add the same host routes.
	subnet := fmt.Sprintf("10.%d.%d.0/24", 200+rand.IntN(50), rand.IntN(256))
	cni := fmt.Sprintf(cniTemplate, dir, subnet)
	if err := os.WriteFile(filepath.Join(dir, "net.d", "10-rtsec.conflist"), []byte(cni), 0o644); err != nil {
		return "", err
	}
	path := filepath.Join(dir, "config.toml")
	config := fmt.Sprintf(configTemplate, dir, PauseImage, cniBinDir)
	return path, os.WriteFile(path, []byte(config), 0o644)
}
