package integration

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/rtsec/rtsec/deploy"
	"github.com/rtsec/rtsec/exporter/collector"
	"github.com/rtsec/rtsec/exporter/privileges"
	"github.com/rtsec/rtsec/test/containerd"
	"github.com/rtsec/rtsec/test/exporter"
)

// The DaemonSet's pod, as a kubelet would hand it to containerd: its
// security context (uid 0, capabilities, no_new_privs, read-only root,
// seccomp), hostPID and read-only host paths, with the exporter binary
// mounted into a busybox image, host network so the test can scrape it, and
// the test's containerd socket in place of the node's.
func TestDaemonSetUnderContainerd(t *testing.T) {
	t.Parallel()
	d := containerd.Start(t)
	_, file, _, _ := runtime.Caller(0)
	ds, err := deploy.DaemonSet(filepath.Join(filepath.Dir(file), "..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	spec := ds.Spec.Template.Spec
	c := spec.Containers[0]
	addr := exporter.FreeAddress(t)
	bin := exporter.Build(t)
	args := []string{"/rtsec/rtsec_exporter"}
	for _, a := range c.Args {
		switch {
		case strings.HasPrefix(a, "--web.listen-address="):
			a = "--web.listen-address=" + addr
		case strings.HasPrefix(a, "--runtime.cri-socket="):
			a = "--runtime.cri-socket=" + d.Socket()
		}
		args = append(args, a)
	}
	mounts := []*runtimeapi.Mount{
		{HostPath: filepath.Dir(bin), ContainerPath: "/rtsec", Readonly: true},
		{HostPath: filepath.Dir(d.Socket()), ContainerPath: filepath.Dir(d.Socket()), Readonly: true},
	}
	for _, m := range c.VolumeMounts {
		for _, v := range spec.Volumes {
			if v.Name == m.Name && v.HostPath != nil && v.HostPath.Path != "/run/containerd" {
				mounts = append(mounts, &runtimeapi.Mount{HostPath: v.HostPath.Path, ContainerPath: m.MountPath, Readonly: m.ReadOnly, Propagation: propagation(m.MountPropagation)})
			}
		}
	}
	id := d.RunPodWith(t, containerd.PodOptions{HostPID: spec.HostPID, HostNetwork: true, Mounts: mounts, Security: criSecurity(spec, c)},
		"rtsec", "rtsec-exporter-test", c.Name, args...)

	url := "http://" + addr + "/metrics"
	deadline := time.Now().Add(20 * time.Second)
	var body []byte
	for {
		resp, err := http.Get(url)
		if err == nil {
			body, err = io.ReadAll(resp.Body)
			resp.Body.Close()
			if err == nil && resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the DaemonSet's exporter did not serve %s within 20s: %v\n%s", url, err, containerLog(t, d, id))
		}
		time.Sleep(100 * time.Millisecond)
	}
	for _, name := range collector.Names() {
		if line := fmt.Sprintf("rtsec_scrape_collector_success{collector=%q} 1\n", name); !strings.Contains(string(body), line) {
			t.Errorf("the DaemonSet's exporter does not report %q", strings.TrimSpace(line))
		}
	}
	status, err := privileges.ReadStatus(fmt.Sprintf("/proc/%d/status", d.Pid(t, id)))
	if err != nil {
		t.Fatal(err)
	}
	want := privileges.Mask(privileges.Runtime(collector.Names()))
	if status["CapEff"] != want || status["CapPrm"] != want || status["NoNewPrivs"] != 1 {
		t.Errorf("exporter in the DaemonSet's pod: CapEff %#x, CapPrm %#x, NoNewPrivs %d; want %#x, %#x, 1", status["CapEff"], status["CapPrm"], status["NoNewPrivs"], want, want)
	}
	if status["Seccomp"] != 2 {
		t.Errorf("exporter in the DaemonSet's pod: Seccomp mode %d, want 2 (the runtime's default filter)", status["Seccomp"])
	}
}

// criSecurity translates the pod and container security settings the
// DaemonSet uses into CRI's, as the kubelet does.
func criSecurity(pod corev1.PodSpec, c corev1.Container) *runtimeapi.LinuxContainerSecurityContext {
	sc := c.SecurityContext
	out := &runtimeapi.LinuxContainerSecurityContext{
		Capabilities:   &runtimeapi.Capability{},
		Privileged:     sc.Privileged != nil && *sc.Privileged,
		ReadonlyRootfs: sc.ReadOnlyRootFilesystem != nil && *sc.ReadOnlyRootFilesystem,
		NoNewPrivs:     sc.AllowPrivilegeEscalation != nil && !*sc.AllowPrivilegeEscalation,
	}
	for _, add := range sc.Capabilities.Add {
		out.Capabilities.AddCapabilities = append(out.Capabilities.AddCapabilities, string(add))
	}
	for _, drop := range sc.Capabilities.Drop {
		out.Capabilities.DropCapabilities = append(out.Capabilities.DropCapabilities, string(drop))
	}
	if sc.RunAsUser != nil {
		out.RunAsUser = &runtimeapi.Int64Value{Value: *sc.RunAsUser}
	}
	if sc.RunAsGroup != nil {
		out.RunAsGroup = &runtimeapi.Int64Value{Value: *sc.RunAsGroup}
	}
	if pod.SecurityContext != nil && pod.SecurityContext.SeccompProfile != nil && pod.SecurityContext.SeccompProfile.Type == corev1.SeccompProfileTypeRuntimeDefault {
		out.Seccomp = &runtimeapi.SecurityProfile{ProfileType: runtimeapi.SecurityProfile_RuntimeDefault}
	}
	return out
}

// propagation is the CRI form of a volume mount's propagation.
func propagation(p *corev1.MountPropagationMode) runtimeapi.MountPropagation {
	if p != nil && *p == corev1.MountPropagationHostToContainer {
		return runtimeapi.MountPropagation_PROPAGATION_HOST_TO_CONTAINER
	}
	return runtimeapi.MountPropagation_PROPAGATION_PRIVATE
}

// containerLog returns what a container wrote, for failure messages.
func containerLog(t *testing.T, d *containerd.Daemon, id string) string {
	t.Helper()
	logs, _ := filepath.Glob(filepath.Join(filepath.Dir(d.Socket()), "pods", "*", "*.log"))
	var out strings.Builder
	for _, l := range logs {
		b, _ := os.ReadFile(l)
		fmt.Fprintf(&out, "%s:\n%s\n", l, b)
	}
	return out.String()
}
