package metricdef

import "github.com/prometheus/client_golang/prometheus"

// Label values of the posture metrics (exporter/posture keeps the
// definitions they come from; a test keeps them equal).
var (
	PostureCaps            = []string{"sys_admin", "sys_module", "sys_ptrace", "net_admin", "net_raw", "dac_read_search", "sys_rawio", "bpf", "perfmon"}
	PostureNamespaces      = []string{"pid", "net", "ipc", "uts", "cgroup", "mnt"}
	PostureSensitiveMounts = []string{"docker_sock", "containerd_sock", "crio_sock", "root", "var_run", "etc", "proc", "sys", "dev", "var_lib_kubelet", "var_lib_docker", "var_lib_containerd", "boot", "root_home"}
)

func postureGauge(name, help string, labels ...Label) Def {
	return Def{Name: name, Type: prometheus.GaugeValue, Collector: "posture", Help: help, Labels: withIdentity(labels...)}
}

// Container posture, measured at each scrape from one process of each live
// container: what its security context achieved, from the kernel's view.
var (
	ContainerPrivileged = postureGauge("rtsec_container_privileged",
		"Whether the container holds every capability of rtsec_container_capabilities (what privileged or cap_add ALL give): 1 or 0.")
	ContainerCapabilities = postureGauge("rtsec_container_capabilities",
		"Whether the container's process holds a dangerous capability in its effective set: 1 or 0.",
		Label{Name: "cap", Values: PostureCaps})
	ContainerRunningAsRoot = postureGauge("rtsec_container_running_as_root",
		"Whether the container's process runs with effective uid 0 as the host sees it (a user namespace maps it elsewhere): 1 or 0.")
	ContainerSeccompEnabled = postureGauge("rtsec_container_seccomp_enabled",
		"Whether a seccomp filter (or strict mode) confines the container's process: 1 or 0.")
	ContainerNoNewPrivs = postureGauge("rtsec_container_no_new_privs",
		"Whether no_new_privs is set on the container's process (setuid files cannot raise privileges): 1 or 0.")
	ContainerHostNamespace = postureGauge("rtsec_container_host_namespace",
		"Whether the container shares a namespace with the host (pid 1): 1 or 0.",
		Label{Name: "ns", Values: PostureNamespaces})
	ContainerReadonlyRootfs = postureGauge("rtsec_container_readonly_rootfs",
		"Whether the container's root file system is mounted read-only: 1 or 0.")
	ContainerSensitiveMounts = postureGauge("rtsec_container_sensitive_mounts",
		"Whether a sensitive host path (runtime sockets, /, /etc, /proc, /sys, /run, kubelet and runtime state…) is mounted into the container: 1 or 0.",
		Label{Name: "mount", Values: PostureSensitiveMounts})
)
