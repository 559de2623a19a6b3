package container

import (
	"fmt"
	"hash/fnv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Runtime names, the values of Identity.Runtime.
const (
	RuntimeDocker     = "docker"
	RuntimeContainerd = "containerd"
	RuntimeCRIO       = "cri-o"
	RuntimePodman     = "podman"
	RuntimeRunc       = "runc"
)

// maxStateDepth bounds how many leading path components are looked up in
// the runc state directories: runc puts a container at "/<name>" and ctr at
// "/<namespace>/<id>", deeper custom cgroupsPath are rare, and every lookup
// costs a few stat calls.
const maxStateDepth = 8

// stateFunc reports whether the cgroup at cgpath (relative to the cgroup2
// root), whose last component is name, is a container a runtime recorded in
// its runc state directory, and which runtime that is.
type stateFunc func(cgpath, name string) (runtime string, ok bool)

// ParseCgroupPath recognises a container by the shape of its cgroup v2 path
// as seen from the host's cgroup root, and returns its ID, Runtime and PodUID.
// ok is false for the host ("/", "/system.slice/ssh.service", …) and for
// malformed paths (not absolute, empty, "." or ".." components, NUL bytes).
//
// Components are walked from the root and the first one that names a
// container wins, so cgroups a container creates inside its own map to it.
// Layouts recognised:
//
//	/kubepods.slice/kubepods-<qos>.slice/kubepods-<qos>-pod<uid_>.slice/{cri-containerd,crio,docker}-<id>.scope
//	/kubepods.slice/kubepods-pod<uid_>.slice/{cri-containerd,crio,docker}-<id>.scope
//	/kubepods/<qos>/pod<uid>/<id>, /kubepods/pod<uid>/<id> (also crio-<id>)
//	…/docker/<id>, …/docker-<id>.scope
//	…/libpod-<id>.scope, …/libpod-<id> (podman)
//	…/crio-<id>.scope, …/cri-containerd-<id>.scope outside kubepods
//
// where <id> is exactly 64 lower-case hex digits and <uid> a lower-case
// UUID (or the 32 hex digits of a static pod). A path under kubepods that
// breaks its layout is not a container. The kubepods cgroupfs
// layout does not say which runtime made it: Runtime is "" there. Plain runc
// ("/<name>") and containerd's ctr ("/<namespace>/<id>") cannot be told from
// host services by shape; the Resolver recognises them by their runc state
// directories.
func ParseCgroupPath(path string) (Identity, bool) {
	return parseCgroupPath(path, nil)
}

// parseCgroupPath is ParseCgroupPath with state consulted, when not nil,
// for components no shape recognises and for runtimes a shape leaves open.
func parseCgroupPath(path string, state stateFunc) (Identity, bool) {
	if !wellFormed(path) || path == "/" {
		return Identity{}, false
	}
	comps := strings.Split(path[1:], "/")
	switch comps[0] {
	case "kubepods.slice":
		return parseKubepodsSystemd(comps[1:])
	case "kubepods":
		return parseKubepodsCgroupfs(comps, state)
	}
	end := 0 // length of path up to and including comps[i]
	for i, c := range comps {
		end += 1 + len(c)
		prev := ""
		if i > 0 {
			prev = comps[i-1]
		}
		if id, ok := parseContainerComponent(prev, c); ok {
			return id, true
		}
		if state != nil && i < maxStateDepth {
			if rt, ok := state(path[:end], c); ok {
				return Identity{ID: sanitizeLabel(c), Runtime: rt}, true
			}
		}
	}
	return Identity{}, false
}

// wellFormed reports whether path is absolute, free of NUL bytes and made
// of non-empty components other than "." and "..". The kernel never
// produces anything else.
func wellFormed(path string) bool {
	if path == "/" {
		return true
	}
	if !strings.HasPrefix(path, "/") || strings.IndexByte(path, 0) >= 0 {
		return false
	}
	for c := range strings.SplitSeq(path[1:], "/") {
		if c == "" || c == "." || c == ".." {
			return false
		}
	}
	return true
}

// scopeRuntimes maps the prefix of a "<prefix><id>.scope" unit to the runtime
// that names its containers so.
var scopeRuntimes = []struct{ prefix, runtime string }{
	{"docker-", RuntimeDocker},
	{"cri-containerd-", RuntimeContainerd},
	{"crio-", RuntimeCRIO},
	{"libpod-", RuntimePodman},
}

// parseContainerComponent recognises one component outside kubepods, given
// its parent component prev.
func parseContainerComponent(prev, c string) (Identity, bool) {
	if prev == "docker" && isContainerID(c) {
		return Identity{ID: c, Runtime: RuntimeDocker}, true
	}
	if id, ok := trimAffixes(c, "libpod-", ""); ok {
		return Identity{ID: id, Runtime: RuntimePodman}, true
	}
	for _, s := range scopeRuntimes {
		if id, ok := trimAffixes(c, s.prefix, ".scope"); ok {
			return Identity{ID: id, Runtime: s.runtime}, true
		}
	}
	return Identity{}, false
}

// trimAffixes returns the container id between prefix and suffix in c, when
// c is exactly prefix + 64 hex digits + suffix.
func trimAffixes(c, prefix, suffix string) (string, bool) {
	id, ok := strings.CutPrefix(c, prefix)
	if !ok {
		return "", false
	}
	if id, ok = strings.CutSuffix(id, suffix); !ok || !isContainerID(id) {
		return "", false
	}
	return id, true
}

// isContainerID reports whether s is a runtime container id: exactly 64
// lower-case hex digits.
func isContainerID(s string) bool {
	return len(s) == 64 && isLowerHex(s)
}

func isLowerHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if !('0' <= s[i] && s[i] <= '9' || 'a' <= s[i] && s[i] <= 'f') {
			return false
		}
	}
	return true
}

// kubeScopeRuntimes maps the prefix of a container scope inside a kubepods
// pod slice (systemd cgroup driver) to its runtime.
var kubeScopeRuntimes = []struct{ prefix, runtime string }{
	{"cri-containerd-", RuntimeContainerd},
	{"crio-", RuntimeCRIO},
	{"docker-", RuntimeDocker},
}

// parseKubepodsSystemd recognises the components below "kubepods.slice":
// an optional QoS slice, the pod slice, the container scope.
func parseKubepodsSystemd(comps []string) (Identity, bool) {
	podPrefix := "kubepods-pod"
	if len(comps) > 0 && (comps[0] == "kubepods-burstable.slice" || comps[0] == "kubepods-besteffort.slice") {
		podPrefix = strings.TrimSuffix(comps[0], ".slice") + "-pod"
		comps = comps[1:]
	}
	if len(comps) < 2 {
		return Identity{}, false
	}
	uid, ok := strings.CutPrefix(comps[0], podPrefix)
	if !ok {
		return Identity{}, false
	}
	if uid, ok = strings.CutSuffix(uid, ".slice"); !ok {
		return Identity{}, false
	}
	if uid, ok = podUID(uid, '_'); !ok {
		return Identity{}, false
	}
	for _, s := range kubeScopeRuntimes {
		if id, ok := trimAffixes(comps[1], s.prefix, ".scope"); ok {
			return Identity{ID: id, Runtime: s.runtime, PodUID: uid}, true
		}
	}
	return Identity{}, false
}

// parseKubepodsCgroupfs recognises the components of a path under
// "/kubepods" (all[0]): an optional QoS directory, "pod<uid>", the container
// id (bare, or "crio-<id>" from CRI-O). A bare id does not name its
// runtime; state, when not nil, names it from the runc state directories.
func parseKubepodsCgroupfs(all []string, state stateFunc) (Identity, bool) {
	i := 1
	if len(all) > i && (all[i] == "burstable" || all[i] == "besteffort") {
		i++
	}
	if len(all) < i+2 {
		return Identity{}, false
	}
	uid, ok := strings.CutPrefix(all[i], "pod")
	if !ok {
		return Identity{}, false
	}
	if uid, ok = podUID(uid, '-'); !ok {
		return Identity{}, false
	}
	leaf := all[i+1]
	if id, ok := trimAffixes(leaf, "crio-", ""); ok {
		return Identity{ID: id, Runtime: RuntimeCRIO, PodUID: uid}, true
	}
	if !isContainerID(leaf) {
		return Identity{}, false
	}
	ident := Identity{ID: leaf, PodUID: uid}
	if state != nil {
		ident.Runtime, _ = state("/"+strings.Join(all[:i+2], "/"), leaf)
	}
	return ident, true
}

// podUID validates a Kubernetes pod uid as it appears in a cgroup name, a
// UUID with sep between its groups or 32 hex digits (static pods), and
// returns it in its API form, with dashes.
func podUID(s string, sep byte) (string, bool) {
	if len(s) == 32 && isLowerHex(s) {
		return s, true
	}
	if len(s) != 36 {
		return "", false
	}
	for i := 0; i < len(s); i++ {
		switch i {
		case 8, 13, 18, 23:
			if s[i] != sep {
				return "", false
			}
		default:
			if !isLowerHex(s[i : i+1]) {
				return "", false
			}
		}
	}
	return strings.ReplaceAll(s, string(sep), "-"), true
}

// maxLabelBytes bounds every label value the resolver returns. 253 bytes is
// the longest Kubernetes object name (a DNS subdomain), so no valid
// namespace, pod or container name is ever cut; container ids are 64 bytes.
// Longer values (image references, names chosen by an attacker) are cut.
const maxLabelBytes = 253

// sanitizeLabel makes s a bounded, valid UTF-8 label value: invalid bytes
// and control characters become '_', and a value longer than maxLabelBytes
// keeps its first bytes and ends in "~" and the FNV-64a hash of the
// original, so distinct long values stay distinct.
func sanitizeLabel(s string) string {
	clean := len(s) <= maxLabelBytes
	for _, r := range s {
		if !clean {
			break
		}
		clean = r != utf8.RuneError && !unicode.IsControl(r)
	}
	if clean {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if b.Len() > maxLabelBytes {
			break
		}
		if r == utf8.RuneError || unicode.IsControl(r) {
			r = '_'
		}
		b.WriteRune(r)
	}
	out := b.String()
	if len(out) <= maxLabelBytes {
		return out
	}
	h := fnv.New64a()
	h.Write([]byte(s))
	cut := maxLabelBytes - 17
	for cut > 0 && !utf8.RuneStart(out[cut]) {
		cut--
	}
	return fmt.Sprintf("%s~%016x", out[:cut], h.Sum64())
}
