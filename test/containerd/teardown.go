package containerd

import (
	"bufio"
	"bytes"
	"context"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

const stopTimeout = 10 * time.Second

// teardown undoes Start and RunPod, as far as they got: pods through CRI,
// then the daemon, then whatever a failure left behind (runc containers,
// shims, mounts, pod cgroups), then the directory.
func (d *Daemon) teardown(t testing.TB) {
	if d.cmd != nil && t.Failed() {
		t.Logf("containerd log (%s):\n%s", d.dir, d.logTail())
	}
	if d.runtime != nil {
		d.removePods(t)
	}
	if d.conn != nil {
		d.conn.Close()
	}
	if d.cmd != nil {
		d.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-d.exited:
		case <-time.After(stopTimeout):
			t.Errorf("containerd did not stop in %v, killing it", stopTimeout)
			d.cmd.Process.Kill()
			<-d.exited
		}
	}
	d.removeLeftovers(t)
	if err := unmountUnder(d.dir); err != nil {
		t.Errorf("unmount under %s: %v", d.dir, err)
	}
	for _, uid := range d.podUIDs {
		if err := removePodCgroups(uid); err != nil {
			t.Errorf("remove cgroups of pod %s: %v", uid, err)
		}
	}
	if err := os.RemoveAll(d.dir); err != nil {
		t.Errorf("remove %s: %v", d.dir, err)
	}
}

// removePods stops and removes every pod sandbox, with its containers.
func (d *Daemon) removePods(t testing.TB) {
	ctx, cancel := context.WithTimeout(context.Background(), stopTimeout)
	defer cancel()
	pods, err := d.runtime.ListPodSandbox(ctx, &runtimeapi.ListPodSandboxRequest{})
	if err != nil {
		t.Logf("list pods for teardown: %v", err)
		return
	}
	for _, p := range pods.GetItems() {
		if _, err := d.runtime.StopPodSandbox(ctx, &runtimeapi.StopPodSandboxRequest{PodSandboxId: p.GetId()}); err != nil {
			t.Errorf("stop pod %s: %v", p.GetId(), err)
		}
		if _, err := d.runtime.RemovePodSandbox(ctx, &runtimeapi.RemovePodSandboxRequest{PodSandboxId: p.GetId()}); err != nil {
			t.Errorf("remove pod %s: %v", p.GetId(), err)
		}
	}
}

// removeLeftovers deletes containers still in the daemon's runc state and
// kills the shims that served this daemon (their -address is its socket).
func (d *Daemon) removeLeftovers(t testing.TB) {
	root := filepath.Join(d.dir, "runc", "k8s.io")
	if _, err := os.Stat(root); err == nil {
		out, err := exec.Command("runc", "--root", root, "list", "-q").Output()
		if err != nil {
			t.Errorf("runc list: %v", err)
		}
		for _, id := range strings.Fields(string(out)) {
			if out, err := exec.Command("runc", "--root", root, "delete", "--force", id).CombinedOutput(); err != nil {
				t.Errorf("runc delete %s: %v: %s", id, err, out)
			}
		}
	}
	procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, p := range procs {
		data, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		args := strings.Split(string(bytes.TrimRight(data, "\x00")), "\x00")
		if i := slices.Index(args, "-address"); i >= 0 && i+1 < len(args) && args[i+1] == d.socket {
			pid, _ := strconv.Atoi(filepath.Base(filepath.Dir(p)))
			syscall.Kill(pid, syscall.SIGKILL)
		}
	}
}

// unmountUnder detaches every mount point below dir, deepest first.
func unmountUnder(dir string) error {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return err
	}
	defer f.Close()
	var points []string
	s := bufio.NewScanner(f)
	for s.Scan() {
		// ID parent major:minor root mountpoint ...
		if fields := strings.Fields(s.Text()); len(fields) > 4 && strings.HasPrefix(fields[4], dir+"/") {
			points = append(points, fields[4])
		}
	}
	if err := s.Err(); err != nil {
		return err
	}
	slices.SortFunc(points, func(a, b string) int { return len(b) - len(a) })
	for _, p := range points {
		if err := syscall.Unmount(p, syscall.MNT_DETACH); err != nil && err != syscall.EINVAL && err != syscall.ENOENT {
			return err
		}
	}
	return nil
}

// removePodCgroups removes the cgroup directories runc created for a pod
// under the kubelet-like parent /kubepods/besteffort/pod<uid>, in every
// hierarchy. The shared /kubepods/besteffort parents stay, as on a node.
func removePodCgroups(uid string) error {
	roots, err := filepath.Glob("/sys/fs/cgroup/*/kubepods/besteffort/pod" + uid)
	if err != nil {
		return err
	}
	if v2, err := filepath.Glob("/sys/fs/cgroup/kubepods/besteffort/pod" + uid); err == nil {
		roots = append(roots, v2...)
	}
	for _, root := range roots {
		var dirs []string
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err == nil && d.IsDir() {
				dirs = append(dirs, path)
			}
			return err
		})
		if err != nil {
			return err
		}
		for _, dir := range slices.Backward(dirs) {
			if err := syscall.Rmdir(dir); err != nil && err != syscall.ENOENT {
				return &fs.PathError{Op: "rmdir", Path: dir, Err: err}
			}
		}
	}
	return nil
}
