// Package containerd runs a real containerd with its CRI plugin for tests:
// its own directory, socket and network, a locally built pause image and a
// busybox image, and pods created the way a kubelet creates them.
package containerd

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/rtsec/rtsec/internal/testenv"
	"github.com/rtsec/rtsec/test/hostcgroup"
	"github.com/rtsec/rtsec/test/rootfs"
)

// Images the harness imports; both exist only in the daemon's store.
const (
	PauseImage   = "localhost/rtsec-pause:test"
	BusyboxImage = "localhost/rtsec-busybox:test"
)

const startTimeout = 30 * time.Second

// Daemon is a running containerd. Start registers its teardown.
type Daemon struct {
	dir     string
	socket  string
	cmd     *exec.Cmd
	exited  chan struct{}
	conn    *grpc.ClientConn
	runtime runtimeapi.RuntimeServiceClient
	images  runtimeapi.ImageServiceClient

	mu      sync.Mutex
	podUIDs []string // for teardown of the pods' cgroups
}

// Start runs containerd as root in a new directory under /tmp (short, for
// the unix socket path limit), imports the pause and busybox images and
// waits until the CRI plugin answers. Cleanup removes the pods, stops the
// daemon and removes its mounts, cgroups and directory, even on failure.
func Start(t testing.TB) *Daemon {
	t.Helper()
	testenv.RequireRoot(t)
	for _, name := range []string{"containerd", "ctr", "runc", "containerd-shim-runc-v2", "go"} {
		testenv.RequireCommand(t, name)
	}
	for _, name := range cniPlugins {
		if _, err := os.Stat(filepath.Join(cniBinDir, name)); err != nil {
			testenv.Unavailable(t, "needs CNI plugin %s in %s; make deps installs containernetworking-plugins", name, cniBinDir)
		}
	}
	dir, err := os.MkdirTemp("/tmp", "ctd")
	if err != nil {
		t.Fatal(err)
	}
	d := &Daemon{dir: dir, socket: filepath.Join(dir, "containerd.sock"), exited: make(chan struct{})}
	// Inside containerd.service's cgroup, as on a systemd node: its shims
	// and CNI plugins are the host actor "runtime" (docs/host.md). Made
	// before the teardown is registered, so removed after it.
	cgroup := hostcgroup.New(t, hostcgroup.Unit("containerd.service")+"/"+filepath.Base(dir))
	t.Cleanup(func() { d.teardown(t) })

	images, err := d.buildImages()
	if err != nil {
		t.Fatal(err)
	}
	config, err := writeConfig(dir)
	if err != nil {
		t.Fatal(err)
	}
	logFile, err := os.Create(filepath.Join(dir, "containerd.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	d.cmd = cgroup.Command(t, "containerd", "--config", config)
	d.cmd.Stdout, d.cmd.Stderr = logFile, logFile
	if err := d.cmd.Start(); err != nil {
		t.Fatalf("start containerd: %v", err)
	}
	go func() { d.cmd.Wait(); close(d.exited) }()

	d.conn, err = grpc.NewClient("unix://"+d.socket, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	d.runtime = runtimeapi.NewRuntimeServiceClient(d.conn)
	d.images = runtimeapi.NewImageServiceClient(d.conn)
	if err := d.waitReady(); err != nil {
		t.Fatal(err)
	}
	for _, image := range images {
		if out, err := exec.Command("ctr", "-a", d.socket, "-n", "k8s.io", "images", "import", image).CombinedOutput(); err != nil {
			t.Fatalf("ctr images import %s: %v: %s", image, err, out)
		}
	}
	for _, name := range []string{PauseImage, BusyboxImage} {
		if err := d.waitImage(name); err != nil {
			t.Fatal(err)
		}
	}
	return d
}

// Socket is the path of the daemon's CRI (and containerd) socket.
func (d *Daemon) Socket() string {
	return d.socket
}

// buildImages writes the pause and busybox image archives and returns their paths.
func (d *Daemon) buildImages() ([]string, error) {
	build := filepath.Join(d.dir, "build")
	pauseRoot, busyboxRoot := filepath.Join(build, "pause-root"), filepath.Join(build, "busybox-root")
	for _, p := range []string{pauseRoot, busyboxRoot} {
		if err := os.MkdirAll(p, 0o755); err != nil {
			return nil, err
		}
	}
	goPath, err := exec.LookPath("go")
	if err != nil {
		return nil, err
	}
	if err := buildPause(goPath, build, pauseRoot); err != nil {
		return nil, err
	}
	if err := rootfs.Busybox(busyboxRoot); err != nil {
		return nil, err
	}
	pause, busybox := filepath.Join(build, "pause.tar"), filepath.Join(build, "busybox.tar")
	if err := writeImage(pause, PauseImage, pauseRoot, []string{"/pause"}); err != nil {
		return nil, err
	}
	if err := writeImage(busybox, BusyboxImage, busyboxRoot, []string{"sh"}); err != nil {
		return nil, err
	}
	return []string{pause, busybox}, nil
}

// waitReady waits until the CRI plugin answers Version, or containerd exits.
func (d *Daemon) waitReady() error {
	deadline := time.Now().Add(startTimeout)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		_, err := d.runtime.Version(ctx, &runtimeapi.VersionRequest{})
		cancel()
		if err == nil {
			return nil
		}
		select {
		case <-d.exited:
			return fmt.Errorf("containerd exited: %s", d.logTail())
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("containerd CRI not ready after %v: %w", startTimeout, err)
		}
	}
}

// waitImage waits until the CRI plugin has seen an imported image.
func (d *Daemon) waitImage(name string) error {
	deadline := time.Now().Add(startTimeout)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		resp, err := d.images.ImageStatus(ctx, &runtimeapi.ImageStatusRequest{Image: &runtimeapi.ImageSpec{Image: name}})
		cancel()
		if err == nil && resp.GetImage() != nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("image %s not in the CRI image store after %v (err %v)", name, startTimeout, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// logTail is the end of containerd's log, for error messages.
func (d *Daemon) logTail() string {
	data, _ := os.ReadFile(filepath.Join(d.dir, "containerd.log"))
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	return strings.Join(lines[max(0, len(lines)-20):], "\n")
}
