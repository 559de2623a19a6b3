package metricdef

import "github.com/prometheus/client_golang/prometheus"

// Container identity.
var (
	ContainerInfo = Def{
		Name: "rtsec_container_info", Type: prometheus.GaugeValue, Collector: "container",
		Help: "Identity of each container running on the node (always 1).",
		Labels: withIdentity(
			Label{Name: "image", Example: "docker.io/library/nginx:1.27", Bound: "one per container"},
			Label{Name: "runtime", Values: []string{"docker", "containerd", "cri-o", "podman", "runc"}},
			Label{Name: "pod_uid", Example: "0f1c…", Bound: "one per pod"},
		),
	}
)
