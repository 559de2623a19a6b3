package posture

import (
	"maps"
	"slices"
	"testing"

	"github.com/rtsec/rtsec/exporter/metricdef"
)

func TestParseStatus(t *testing.T) {
	p, err := parseStatus([]byte("Name:\tsh\nUid:\t1000\t0\t0\t0\nCapEff:\t000001ffffffffff\nNoNewPrivs:\t1\nSeccomp:\t2\n"))
	if err != nil {
		t.Fatal(err)
	}
	if !p.Privileged || !p.RunningAsRoot || !p.SeccompEnabled || !p.NoNewPrivs || !p.Caps["sys_admin"] {
		t.Errorf("full caps, euid 0, seccomp 2, nnp 1 parsed as %+v", p)
	}
	p, err = parseStatus([]byte("Uid:\t0\t1000\t0\t0\nCapEff:\t00000000a80425fb\nNoNewPrivs:\t0\nSeccomp:\t0\n"))
	if err != nil {
		t.Fatal(err)
	}
	if p.Privileged || p.RunningAsRoot || p.SeccompEnabled || p.NoNewPrivs || p.Caps["sys_admin"] || !p.Caps["net_raw"] {
		t.Errorf("docker default caps, euid 1000 parsed as %+v", p)
	}
	if _, err := parseStatus([]byte("Uid:\t0\t0\t0\t0\n")); err == nil {
		t.Error("status without CapEff parsed")
	}
}

const hostMountinfo = `22 27 0:21 / /proc rw,relatime - proc proc rw
23 27 0:22 / /sys rw,relatime - sysfs sysfs rw
27 1 254:0 / / rw,relatime - ext4 /dev/vda rw
30 27 0:26 / /run rw,nosuid - tmpfs tmpfs rw
31 27 0:27 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw
40 30 0:50 / /run/containerd/io.containerd.runtime.v2.task/k8s.io/abc/rootfs rw - overlay overlay rw
`

func TestSensitiveMounts(t *testing.T) {
	hosts, err := parseMountinfo(hostMountinfo)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, mountinfo string
		want            []string
		readonly        bool
	}{
		{"ordinary pod", `1 0 0:50 / / ro - overlay overlay rw
2 1 0:60 / /proc rw - proc proc rw
3 1 0:22 / /sys ro - sysfs sysfs ro
4 1 0:27 /kubepods/pod1 /sys/fs/cgroup ro - cgroup2 cgroup2 rw
5 1 254:0 /var/lib/kubelet/pods/u1/etc-hosts /etc/hosts rw - ext4 /dev/vda rw
6 1 0:26 /containerd/io.containerd.grpc.v1.cri/sandboxes/s1/shm /dev/shm rw - tmpfs shm rw`, nil, true},
		{"docker socket and host etc", `1 0 0:50 / / rw - overlay overlay rw
2 1 0:26 /docker.sock /var/run/docker.sock rw - tmpfs tmpfs rw
3 1 254:0 /etc /host/etc ro - ext4 /dev/vda rw`, []string{"docker_sock", "etc"}, false},
		{"host root and proc", `1 0 0:50 / / rw - overlay overlay rw
2 1 254:0 / /host rw - ext4 /dev/vda rw
3 1 0:21 / /host/proc rw - proc proc rw
4 1 0:26 / /host/run rw - tmpfs tmpfs rw`, []string{"proc", "root", "var_run"}, false},
	}
	for _, c := range cases {
		mounts, err := parseMountinfo(c.mountinfo)
		if err != nil {
			t.Fatal(err)
		}
		got := slices.Sorted(maps.Keys(sensitiveMounts(mounts, hosts)))
		if !slices.Equal(got, c.want) {
			t.Errorf("%s: sensitive mounts %v, want %v", c.name, got, c.want)
		}
		if readonlyRoot(mounts) != c.readonly {
			t.Errorf("%s: readonly rootfs %v, want %v", c.name, !c.readonly, c.readonly)
		}
	}
}

func TestParseMountinfoErrors(t *testing.T) {
	if _, err := parseMountinfo("1 0 0:50 / /\n"); err == nil {
		t.Error("a line without the separator parsed")
	}
	m, err := parseMountinfo(`1 0 0:5 /a\040b /x\040y rw - ext4 d rw`)
	if err != nil || m[0].root != "/a b" || m[0].point != "/x y" {
		t.Errorf("escapes: %+v %v", m, err)
	}
}

func TestLabelsMatchMetricdef(t *testing.T) {
	var caps, nss []string
	for _, c := range DangerousCaps {
		caps = append(caps, c.Name)
	}
	for _, ns := range Namespaces {
		nss = append(nss, ns.Label)
	}
	for name, pair := range map[string][2][]string{
		"caps":       {caps, metricdef.PostureCaps},
		"namespaces": {nss, metricdef.PostureNamespaces},
		"mounts":     {SensitiveMountLabels(), metricdef.PostureSensitiveMounts},
	} {
		if !slices.Equal(pair[0], pair[1]) {
			t.Errorf("%s: posture has %v, metricdef %v", name, pair[0], pair[1])
		}
	}
}
