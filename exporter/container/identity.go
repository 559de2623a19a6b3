// Package container maps the kernel's container key (a cgroup v2 id) to the
// identity of the container it belongs to: runtime container id from the
// cgroup path, Kubernetes metadata from the CRI runtime.
package container

// Identity is what rtsec knows about the workload behind one cgroup.
// An Identity with ID "" is the host's.
type Identity struct {
	// ID is the runtime's container id ("" for the host).
	ID string
	// Runtime names the runtime that laid out the cgroup path or keeps the
	// container's state: docker, containerd, cri-o, podman or runc ("" for
	// the host, and where neither says, e.g. kubepods under cgroupfs).
	Runtime string
	// PodUID is the Kubernetes pod uid when the path is under kubepods.
	PodUID string
	// Kubernetes metadata from the CRI runtime, when known. On the host,
	// Container is the host actor class (HostActorClasses) instead.
	Namespace, Pod, Container, Image string
}

// IsHost reports whether the identity is the host's (any host actor).
func (id Identity) IsHost() bool { return id.ID == "" }

// Metadata is the Kubernetes view of one container, as the CRI runtime reports it.
type Metadata struct {
	Namespace, Pod, Container, Image string
	// PodLabels are the pod sandbox's labels: for enforcement policy
	// matching only, never exported (unbounded).
	PodLabels map[string]string
}

// MetadataSource looks up Kubernetes metadata by runtime container id.
// Lookup never blocks for long: a source that must talk to a runtime
// answers from its cache and refreshes in the background.
type MetadataSource interface {
	Lookup(containerID string) (Metadata, bool)
}
