package metricdef

import "github.com/prometheus/client_golang/prometheus"

// Label values of the posture metrics (exporter/posture keeps the
// definitions they come from; a test keeps them equal).
var (
	PostureCaps            = []string{"sys_admin", "sys_module", "sys_ptrace", "net_admin", "net_raw", "dac_read_search", "sys_rawio", "bpf", "perfmon"}
	PostureNamespaces      = []string{"pid", "net", "ipc", "uts", "cgroup", "mnt"}
	PostureSensitiveMounts = []string{"docker_sock", "containerd_sock", "crio_sock", "root", "var_run", "etc", "proc", "sys", "dev", "var_lib_kubelet", "var_lib_docker", "var_lib_containerd", "boot", "root_home"}
)

// PostureBools are the values of the yes/no labels of
// rtsec_container_posture_info.
var PostureBools = []string{"true", "false"}

func postureGauge(name, help string, labels ...Label) Def {
	return Def{Name: name, Type: prometheus.GaugeValue, Collector: "posture", Help: help, Labels: withIdentity(labels...)}
}

// Container posture, measured at each scrape from one process of each live
// container: what its security context achieved, from the kernel's view.
// A few series per container: one info series with the yes/no facts and
// one series per dangerous capability held, host namespace shared or
// sensitive mount present, none for those absent (a default runc container
// shares only the cgroup namespace). How many capabilities a container
// holds is the count of its rtsec_container_capabilities series.
var (
	ContainerPostureInfo = postureGauge("rtsec_container_posture_info",
		"The container's posture, always 1: privileged (holds every capability of rtsec_container_capabilities, as privileged or cap_add ALL give), "+
			"run_as_root (effective uid 0 as the host sees it), seccomp (a seccomp filter or strict mode confines it), no_new_privs (setuid files cannot raise privileges), "+
			"readonly_rootfs (its root file system is mounted read-only).",
		Label{Name: "privileged", Values: PostureBools}, Label{Name: "run_as_root", Values: PostureBools}, Label{Name: "seccomp", Values: PostureBools},
		Label{Name: "no_new_privs", Values: PostureBools}, Label{Name: "readonly_rootfs", Values: PostureBools})
	ContainerCapabilities = postureGauge("rtsec_container_capabilities",
		"A dangerous capability the container's process holds in its effective set: 1, and no series for one it lacks.",
		Label{Name: "cap", Values: PostureCaps})
	ContainerHostNamespace = postureGauge("rtsec_container_host_namespace",
		"A namespace the container shares with the host (pid 1): 1, and no series for one it does not share.",
		Label{Name: "ns", Values: PostureNamespaces})
	ContainerSensitiveMounts = postureGauge("rtsec_container_sensitive_mounts",
		"A sensitive host path (runtime sockets, /, /etc, /proc, /sys, /run, kubelet and runtime state…) mounted into the container: 1, and no series for one not mounted.",
		Label{Name: "mount", Values: PostureSensitiveMounts})
)
