package container

import (
	"strings"
	"testing"
	"unicode/utf8"
)

const (
	hexA = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	hexB = "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"
	// uid is a pod uid in its API form; uidU as the systemd driver writes it.
	uid  = "0f1c2d3e-4a5b-6c7d-8e9f-a0b1c2d3e4f5"
	uidU = "0f1c2d3e_4a5b_6c7d_8e9f_a0b1c2d3e4f5"
	// staticUID is a static pod's uid, a config hash.
	staticUID = "6b2f1a0e9d8c7b6a5f4e3d2c1b0a9f8e"
)

func TestParseCgroupPathLayouts(t *testing.T) {
	cases := []struct {
		name, path string
		want       Identity
	}{
		{"systemd burstable containerd",
			"/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" + uidU + ".slice/cri-containerd-" + hexA + ".scope",
			Identity{ID: hexA, Runtime: RuntimeContainerd, PodUID: uid}},
		{"systemd besteffort crio",
			"/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" + uidU + ".slice/crio-" + hexA + ".scope",
			Identity{ID: hexA, Runtime: RuntimeCRIO, PodUID: uid}},
		{"systemd guaranteed docker",
			"/kubepods.slice/kubepods-pod" + uidU + ".slice/docker-" + hexA + ".scope",
			Identity{ID: hexA, Runtime: RuntimeDocker, PodUID: uid}},
		{"systemd static pod",
			"/kubepods.slice/kubepods-pod" + staticUID + ".slice/cri-containerd-" + hexA + ".scope",
			Identity{ID: hexA, Runtime: RuntimeContainerd, PodUID: staticUID}},
		{"systemd sub-cgroup of a container",
			"/kubepods.slice/kubepods-pod" + uidU + ".slice/cri-containerd-" + hexA + ".scope/docker/" + hexB,
			Identity{ID: hexA, Runtime: RuntimeContainerd, PodUID: uid}},
		{"cgroupfs burstable",
			"/kubepods/burstable/pod" + uid + "/" + hexA,
			Identity{ID: hexA, PodUID: uid}},
		{"cgroupfs guaranteed",
			"/kubepods/pod" + uid + "/" + hexA,
			Identity{ID: hexA, PodUID: uid}},
		{"cgroupfs crio",
			"/kubepods/besteffort/pod" + uid + "/crio-" + hexA,
			Identity{ID: hexA, Runtime: RuntimeCRIO, PodUID: uid}},
		{"cgroupfs sub-cgroup",
			"/kubepods/pod" + uid + "/" + hexA + "/init",
			Identity{ID: hexA, PodUID: uid}},
		{"docker cgroupfs", "/docker/" + hexA, Identity{ID: hexA, Runtime: RuntimeDocker}},
		{"docker cgroupfs nested", "/docker/" + hexA + "/docker/" + hexB, Identity{ID: hexA, Runtime: RuntimeDocker}},
		{"docker systemd", "/system.slice/docker-" + hexA + ".scope", Identity{ID: hexA, Runtime: RuntimeDocker}},
		{"podman machine.slice", "/machine.slice/libpod-" + hexA + ".scope", Identity{ID: hexA, Runtime: RuntimePodman}},
		{"podman inner container cgroup", "/machine.slice/libpod-" + hexA + ".scope/container", Identity{ID: hexA, Runtime: RuntimePodman}},
		{"podman rootless", "/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-" + hexA + ".scope", Identity{ID: hexA, Runtime: RuntimePodman}},
		{"podman cgroupfs", "/libpod_parent/libpod-" + hexA, Identity{ID: hexA, Runtime: RuntimePodman}},
		{"crio outside kubepods", "/system.slice/crio-" + hexA + ".scope", Identity{ID: hexA, Runtime: RuntimeCRIO}},
		{"containerd outside kubepods", "/system.slice/cri-containerd-" + hexA + ".scope", Identity{ID: hexA, Runtime: RuntimeContainerd}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, ok := ParseCgroupPath(c.path)
			if !ok || got != c.want {
				t.Errorf("ParseCgroupPath(%q) = %+v, %v; want %+v, true", c.path, got, ok, c.want)
			}
		})
	}
}

func TestParseCgroupPathNotContainers(t *testing.T) {
	cases := []struct{ name, path string }{
		{"root", "/"},
		{"empty", ""},
		{"host service", "/system.slice/ssh.service"},
		{"user session", "/user.slice/user-0.slice/session-1.scope"},
		{"runc by shape", "/mycontainer"},
		{"ctr by shape", "/default/mycontainer"},
		{"kubepods itself", "/kubepods.slice"},
		{"qos slice", "/kubepods.slice/kubepods-burstable.slice"},
		{"pod slice", "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" + uidU + ".slice"},
		{"crio conmon", "/kubepods.slice/kubepods-pod" + uidU + ".slice/crio-conmon-" + hexA + ".scope"},
		{"podman conmon", "/machine.slice/libpod-conmon-" + hexA + ".scope"},
		{"cgroupfs pod", "/kubepods/burstable/pod" + uid},
		{"docker parent", "/docker"},
		{"63 hex", "/docker/" + hexA[:63]},
		{"65 hex", "/docker/" + hexA + "0"},
		{"upper-case hex", "/docker/" + strings.ToUpper(hexA)},
		{"scope.bak", "/system.slice/docker-" + hexA + ".scope.bak"},
		{"scope without dash", "/system.slice/docker" + hexA + ".scope"},
		{"docker without scope", "/system.slice/docker-" + hexA},
		{"hex not under docker", "/system.slice/" + hexA},
		{"relative", "docker/" + hexA},
		{"double slash", "//docker/" + hexA},
		{"trailing slash", "/docker/" + hexA + "/"},
		{"dot-dot before", "/system.slice/../docker/" + hexA},
		{"dot-dot after", "/docker/" + hexA + "/../../etc"},
		{"dot", "/./docker/" + hexA},
		{"NUL in id", "/docker/" + hexA[:32] + "\x00" + hexA[33:]},
		{"NUL after id", "/docker/" + hexA + "\x00"},
		{"non-UTF-8 id", "/docker/" + hexA[:63] + "\xff"},
		{"pod trick in qos slice", "/kubepods.slice/kubepods-burstable.slice/kubepods-besteffort-pod" + uidU + ".slice/docker-" + hexA + ".scope"},
		{"pod trick no qos", "/kubepods.slice/kubepods-pod-pod" + uidU + ".slice/docker-" + hexA + ".scope"},
		{"pod uid with dashes in systemd", "/kubepods.slice/kubepods-pod" + uid + ".slice/docker-" + hexA + ".scope"},
		{"pod uid with underscores in cgroupfs", "/kubepods/pod" + uidU + "/" + hexA},
		{"pod uid too short", "/kubepods/pod" + uid[1:] + "/" + hexA},
		{"upper-case pod uid", "/kubepods/pod" + strings.ToUpper(uid) + "/" + hexA},
		{"pod slice suffix missing", "/kubepods.slice/kubepods-pod" + uidU + "/docker-" + hexA + ".scope"},
		{"libpod under kubepods", "/kubepods.slice/kubepods-pod" + uidU + ".slice/libpod-" + hexA + ".scope"},
		{"container without pod", "/kubepods.slice/cri-containerd-" + hexA + ".scope"},
		{"cgroupfs guaranteed without pod", "/kubepods/" + hexA},
		{"unknown qos", "/kubepods/guaranteed/pod" + uid + "/" + hexA},
		{"huge host path", "/" + strings.Repeat("a/", 1<<16) + "b"},
		{"huge component", "/" + strings.Repeat("d", 1<<20)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got, ok := ParseCgroupPath(c.path); ok || got != (Identity{}) {
				t.Errorf("ParseCgroupPath(%.80q) = %+v, %v; want zero, false", c.path, got, ok)
			}
		})
	}
}

// fakeState stands in for the runc state directories: cgroup path → runtime.
func fakeState(known map[string]string) stateFunc {
	return func(cgpath, name string) (string, bool) {
		if !strings.HasSuffix(cgpath, "/"+name) {
			panic("state asked for " + name + " with path " + cgpath)
		}
		rt, ok := known[cgpath]
		return rt, ok
	}
}

func TestParseCgroupPathWithState(t *testing.T) {
	long := strings.Repeat("n", 300)
	state := fakeState(map[string]string{
		"/mycontainer":                      RuntimeRunc,
		"/default/ctr1":                     RuntimeContainerd,
		"/" + long:                          RuntimeRunc,
		"/bad\xffname":                      RuntimeRunc,
		"/kubepods/pod" + uid + "/" + hexA:  RuntimeContainerd,
		"/a/b/c/d/e/f/g/h/i":                RuntimeRunc, // beyond maxStateDepth
		"/outer":                            RuntimeRunc,
		"/outer/docker/" + hexA + "/nested": RuntimeRunc,
	})
	cases := []struct {
		name, path string
		want       Identity
		wantOK     bool
	}{
		{"runc", "/mycontainer", Identity{ID: "mycontainer", Runtime: RuntimeRunc}, true},
		{"runc sub-cgroup", "/mycontainer/sub", Identity{ID: "mycontainer", Runtime: RuntimeRunc}, true},
		{"ctr", "/default/ctr1", Identity{ID: "ctr1", Runtime: RuntimeContainerd}, true},
		{"ctr namespace alone", "/default", Identity{}, false},
		{"host", "/system.slice/ssh.service", Identity{}, false},
		{"cgroupfs pod names runtime", "/kubepods/pod" + uid + "/" + hexA, Identity{ID: hexA, Runtime: RuntimeContainerd, PodUID: uid}, true},
		{"cgroupfs pod unknown runtime", "/kubepods/pod" + uid + "/" + hexB, Identity{ID: hexB, PodUID: uid}, true},
		{"first component wins over docker shape", "/outer/docker/" + hexA + "/nested", Identity{ID: "outer", Runtime: RuntimeRunc}, true},
		{"too deep for state", "/a/b/c/d/e/f/g/h/i", Identity{}, false},
		{"long name bounded", "/" + long, Identity{ID: sanitizeLabel(long), Runtime: RuntimeRunc}, true},
		{"invalid UTF-8 name", "/bad\xffname", Identity{ID: "bad_name", Runtime: RuntimeRunc}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, ok := parseCgroupPath(c.path, state)
			if ok != c.wantOK || got != c.want {
				t.Errorf("parseCgroupPath(%.80q) = %+v, %v; want %+v, %v", c.path, got, ok, c.want, c.wantOK)
			}
		})
	}
}

func TestSanitizeLabel(t *testing.T) {
	long := strings.Repeat("x", 400)
	longUTF8 := strings.Repeat("é", 200) // 400 bytes
	cases := []struct{ name, in, want string }{
		{"plain", "web-7d9f", "web-7d9f"},
		{"empty", "", ""},
		{"max length kept", strings.Repeat("y", maxLabelBytes), strings.Repeat("y", maxLabelBytes)},
		{"invalid UTF-8", "a\xffb", "a_b"},
		{"control characters", "a\x00b\nc", "a_b_c"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := sanitizeLabel(c.in); got != c.want {
				t.Errorf("sanitizeLabel(%q) = %q; want %q", c.in, got, c.want)
			}
		})
	}
	if got, prefix := sanitizeLabel(long), strings.Repeat("x", maxLabelBytes-17)+"~"; len(got) != maxLabelBytes || !strings.HasPrefix(got, prefix) {
		t.Errorf("sanitizeLabel(400 x) = %q; want %d bytes: %q and a 16-digit hash", got, maxLabelBytes, prefix)
	}
	if a, b := sanitizeLabel(long), sanitizeLabel(long+"z"); a == b {
		t.Errorf("distinct long values sanitise alike: %q", a)
	}
	if got := sanitizeLabel(longUTF8); len(got) > maxLabelBytes || !utf8.ValidString(got) {
		t.Errorf("sanitizeLabel(long UTF-8) = %q (%d bytes); want valid UTF-8 of at most %d bytes", got, len(got), maxLabelBytes)
	}
}

func FuzzParseCgroupPath(f *testing.F) {
	for _, seed := range []string{
		"/",
		"/system.slice/ssh.service",
		"/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" + uidU + ".slice/cri-containerd-" + hexA + ".scope",
		"/kubepods.slice/kubepods-pod" + uidU + ".slice/crio-" + hexA + ".scope",
		"/kubepods/besteffort/pod" + uid + "/" + hexA,
		"/kubepods/pod" + uid + "/crio-" + hexA,
		"/docker/" + hexA,
		"/system.slice/docker-" + hexA + ".scope.bak",
		"/machine.slice/libpod-" + hexA + ".scope/container",
		"/docker/" + hexA[:63] + "\xff",
		"/a/../docker/" + hexA,
		"/mycontainer",
	} {
		f.Add(seed)
	}
	runtimes := map[string]bool{"": true, RuntimeDocker: true, RuntimeContainerd: true, RuntimeCRIO: true, RuntimePodman: true, RuntimeRunc: true}
	state := fakeState(map[string]string{"/mycontainer": RuntimeRunc})
	f.Fuzz(func(t *testing.T, path string) {
		for _, parse := range []func(string) (Identity, bool){
			ParseCgroupPath,
			func(p string) (Identity, bool) { return parseCgroupPath(p, state) },
		} {
			got, ok := parse(path)
			if !ok {
				if got != (Identity{}) {
					t.Fatalf("parse(%q) = %+v, false; want zero identity", path, got)
				}
				continue
			}
			if !wellFormed(path) {
				t.Errorf("parse(%q) recognised a malformed path", path)
			}
			if got.ID == "" || !strings.Contains(path, got.ID) {
				t.Errorf("parse(%q) ID = %q; want a component of the path", path, got.ID)
			}
			for _, v := range []string{got.ID, got.Runtime, got.PodUID} {
				if len(v) > maxLabelBytes || !utf8.ValidString(v) {
					t.Errorf("parse(%q) label %q: want valid UTF-8 of at most %d bytes", path, v, maxLabelBytes)
				}
			}
			if !runtimes[got.Runtime] {
				t.Errorf("parse(%q) Runtime = %q; want a known runtime", path, got.Runtime)
			}
			if got.PodUID != "" && len(got.PodUID) != 36 && len(got.PodUID) != 32 {
				t.Errorf("parse(%q) PodUID = %q; want a uid", path, got.PodUID)
			}
		}
	})
}
