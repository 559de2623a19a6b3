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
	"github.com/rtsec/rtsec/deploy/image"
	"github.com/rtsec/rtsec/exporter/collector"
	"github.com/rtsec/rtsec/exporter/privileges"
	"github.com/rtsec/rtsec/test/containerd"
	"github.com/rtsec/rtsec/test/exporter"
)

// The DaemonSet's pod, as a kubelet would hand it to containerd: the image
// make image builds, imported under the name the manifests run, with its
// entrypoint; the security context (uid 0, capabilities, no_new_privs,
// read-only root, seccomp), hostPID and read-only host paths; host network
// so the test can scrape it, and the test's containerd socket in place of
// the node's.
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
	d.ImportLayout(t, exporterImage(t), image.Name)
	var args []string
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
		{HostPath: filepath.Dir(d.Socket()), ContainerPath: filepath.Dir(d.Socket()), Readonly: true},
	}
	for _, m := range c.VolumeMounts {
		for _, v := range spec.Volumes {
			if v.Name == m.Name && v.HostPath != nil && v.HostPath.Path != "/run/containerd" {
				mounts = append(mounts, &runtimeapi.Mount{HostPath: v.HostPath.Path, ContainerPath: m.MountPath, Readonly: m.ReadOnly, Propagation: propagation(m.MountPropagation)})
			}
		}
	}
	id := d.RunPodWith(t, containerd.PodOptions{HostPID: spec.HostPID, HostNetwork: true, Mounts: mounts, Security: criSecurity(spec, c), Image: image.Name, Args: args},
		"rtsec", "rtsec-exporter-test", c.Name)

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
	pid := d.Pid(t, id)
	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil {
		t.Fatal(err)
	}
	if argv0, _, _ := strings.Cut(string(cmdline), "\x00"); argv0 != image.Entrypoint {
		t.Errorf("the pod runs %q, want the image's entrypoint %s", argv0, image.Entrypoint)
	}
	status, err := privileges.ReadStatus(fmt.Sprintf("/proc/%d/status", pid))
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

// exporterImage builds the exporter's image as make image does and returns
// its OCI image layout directory.
func exporterImage(t *testing.T) string {
	t.Helper()
	binary, err := os.ReadFile(exporter.Build(t))
	if err != nil {
		t.Fatal(err)
	}
	img, err := image.Build(binary, image.Options{Arch: runtime.GOARCH, Version: "test", Revision: "test", Created: time.Unix(0, 0)})
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "rtsec_exporter.oci")
	if err := image.WriteLayout(dir, img, image.Name); err != nil {
		t.Fatal(err)
	}
	return dir
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
