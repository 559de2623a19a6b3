package containerd

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

const rpcTimeout = 30 * time.Second

// Labels the kubelet sets on sandboxes and containers; containerd does not.
const (
	labelPodName       = "io.kubernetes.pod.name"
	labelPodNamespace  = "io.kubernetes.pod.namespace"
	labelPodUID        = "io.kubernetes.pod.uid"
	labelContainerName = "io.kubernetes.container.name"
)

// RunPod runs a pod with one busybox container running cmd, as a kubelet
// would: RunPodSandbox with the io.kubernetes.pod.* labels and the cgroup
// parent /kubepods/besteffort/pod<uid>, then CreateContainer with the image
// id in Image and the name in UserSpecifiedImage, then StartContainer. It
// returns the container id.
func (d *Daemon) RunPod(t testing.TB, namespace, pod, container string, cmd ...string) string {
	t.Helper()
	return d.RunPodWith(t, PodOptions{}, namespace, pod, container, cmd...)
}

// PodOptions are what a pod run by RunPodWith asks of the runtime beyond
// RunPod's defaults, as the kubelet would pass them from a pod spec.
type PodOptions struct {
	// HostPID and HostNetwork share the node's pid and network namespaces.
	HostPID, HostNetwork bool
	// Mounts are added to the container (host paths).
	Mounts []*runtimeapi.Mount
	// Security is the container's security context; its namespace options
	// are set from HostPID and HostNetwork.
	Security *runtimeapi.LinuxContainerSecurityContext
	// Image is the container's image, BusyboxImage when empty.
	Image string
	// Args are the container's arguments (after the image's entrypoint when
	// RunPodWith gets no command).
	Args []string
	// Labels are the pod's own labels, set on its sandbox beside the
	// kubelet's io.kubernetes.pod.* ones.
	Labels map[string]string
}

// RunPodWith is RunPod with opts.
func (d *Daemon) RunPodWith(t testing.TB, opts PodOptions, namespace, pod, container string, cmd ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), rpcTimeout)
	defer cancel()
	uid := newUID()
	d.mu.Lock()
	d.podUIDs = append(d.podUIDs, uid)
	d.mu.Unlock()
	labels := map[string]string{labelPodName: pod, labelPodNamespace: namespace, labelPodUID: uid}
	// The pod's labels are the sandbox's; its containers carry the
	// kubelet's only.
	sandboxLabels := map[string]string{}
	for k, v := range opts.Labels {
		sandboxLabels[k] = v
	}
	for k, v := range labels {
		sandboxLabels[k] = v
	}
	nsOpts := &runtimeapi.NamespaceOption{Network: runtimeapi.NamespaceMode_POD, Pid: runtimeapi.NamespaceMode_CONTAINER, Ipc: runtimeapi.NamespaceMode_POD}
	if opts.HostPID {
		nsOpts.Pid = runtimeapi.NamespaceMode_NODE
	}
	if opts.HostNetwork {
		nsOpts.Network = runtimeapi.NamespaceMode_NODE
	}
	hostname := pod
	if opts.HostNetwork {
		hostname = "" // the node's, as the kubelet leaves it
	}
	security := &runtimeapi.LinuxContainerSecurityContext{}
	if opts.Security != nil {
		security = opts.Security
	}
	security.NamespaceOptions = nsOpts
	sandbox := &runtimeapi.PodSandboxConfig{
		Metadata:     &runtimeapi.PodSandboxMetadata{Name: pod, Namespace: namespace, Uid: uid},
		Hostname:     hostname,
		LogDirectory: filepath.Join(d.dir, "pods", namespace+"_"+pod+"_"+uid),
		Labels:       sandboxLabels,
		Linux: &runtimeapi.LinuxPodSandboxConfig{
			CgroupParent:    "/kubepods/besteffort/pod" + uid,
			SecurityContext: &runtimeapi.LinuxSandboxSecurityContext{NamespaceOptions: nsOpts},
		},
	}
	run, err := d.runtime.RunPodSandbox(ctx, &runtimeapi.RunPodSandboxRequest{Config: sandbox})
	if err != nil {
		t.Fatalf("run pod %s/%s: %v", namespace, pod, err)
	}
	imageName := opts.Image
	if imageName == "" {
		imageName = BusyboxImage
	}
	image, err := d.images.ImageStatus(ctx, &runtimeapi.ImageStatusRequest{Image: &runtimeapi.ImageSpec{Image: imageName}})
	if err != nil || image.GetImage() == nil {
		t.Fatalf("image status %s: %v", imageName, err)
	}
	ctrLabels := map[string]string{labelContainerName: container}
	for k, v := range labels {
		ctrLabels[k] = v
	}
	created, err := d.runtime.CreateContainer(ctx, &runtimeapi.CreateContainerRequest{
		PodSandboxId: run.GetPodSandboxId(),
		Config: &runtimeapi.ContainerConfig{
			Metadata: &runtimeapi.ContainerMetadata{Name: container},
			Image:    &runtimeapi.ImageSpec{Image: image.GetImage().GetId(), UserSpecifiedImage: imageName},
			Command:  cmd,
			Args:     opts.Args,
			Labels:   ctrLabels,
			LogPath:  container + ".log",
			Mounts:   opts.Mounts,
			Linux: &runtimeapi.LinuxContainerConfig{
				SecurityContext: security,
			},
		},
		SandboxConfig: sandbox,
	})
	if err != nil {
		t.Fatalf("create container %s in %s/%s: %v", container, namespace, pod, err)
	}
	id := created.GetContainerId()
	if _, err := d.runtime.StartContainer(ctx, &runtimeapi.StartContainerRequest{ContainerId: id}); err != nil {
		t.Fatalf("start container %s: %v", id, err)
	}
	return id
}

// Exec runs cmd in a container and returns its stdout; it fails the test
// when cmd exits non-zero.
func (d *Daemon) Exec(t testing.TB, containerID string, cmd ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), rpcTimeout)
	defer cancel()
	resp, err := d.runtime.ExecSync(ctx, &runtimeapi.ExecSyncRequest{ContainerId: containerID, Cmd: cmd, Timeout: int64(rpcTimeout / time.Second)})
	if err != nil {
		t.Fatalf("exec %q in %s: %v", cmd, containerID, err)
	}
	if resp.GetExitCode() != 0 {
		t.Fatalf("exec %q in %s: exit code %d: %s", cmd, containerID, resp.GetExitCode(), resp.GetStderr())
	}
	return string(resp.GetStdout())
}

// Pid returns the host pid of a container's main process.
func (d *Daemon) Pid(t testing.TB, containerID string) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), rpcTimeout)
	defer cancel()
	resp, err := d.runtime.ContainerStatus(ctx, &runtimeapi.ContainerStatusRequest{ContainerId: containerID, Verbose: true})
	if err != nil {
		t.Fatalf("container status %s: %v", containerID, err)
	}
	var info struct {
		Pid int `json:"pid"`
	}
	if err := json.Unmarshal([]byte(resp.GetInfo()["info"]), &info); err != nil || info.Pid == 0 {
		t.Fatalf("container %s: no pid in verbose status (%v): %s", containerID, err, resp.GetInfo()["info"])
	}
	return info.Pid
}

// newUID returns a random pod uid in the kubelet's UUID format.
func newUID() string {
	b := make([]byte, 16)
	rand.Read(b)
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
