package runc

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
)

// defaultArgs keeps the container running until it is deleted.
var defaultArgs = []string{"sleep", "1000000"}

// seccompDenied are the syscalls the Seccomp option makes fail with EPERM;
// none of them is needed by busybox.
var seccompDenied = []string{"kexec_load", "open_by_handle_at", "add_key", "request_key", "keyctl"}

// editConfig rewrites the config.json written by `runc spec` for opts. It
// edits the JSON generically: the runtime-spec Go types are not in the
// module graph.
func editConfig(path string, opts Options) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var spec map[string]any
	if err := json.Unmarshal(data, &spec); err != nil {
		return fmt.Errorf("parse %s: %w", path, err)
	}
	process, okP := spec["process"].(map[string]any)
	root, okR := spec["root"].(map[string]any)
	linux, okL := spec["linux"].(map[string]any)
	if !okP || !okR || !okL {
		return errors.New("config.json lacks process, root or linux")
	}
	process["terminal"] = false
	process["args"] = defaultArgs
	if len(opts.Args) > 0 {
		process["args"] = opts.Args
	}
	root["readonly"] = opts.ReadonlyRootfs
	if opts.User != nil {
		process["user"] = map[string]any{"uid": opts.User.UID, "gid": opts.User.GID}
	}
	if opts.AllowPrivilegeEscalation {
		process["noNewPrivileges"] = false
	}
	if opts.Privileged {
		if err := privilege(spec, process, linux); err != nil {
			return err
		}
	}
	if opts.HostPID {
		dropNamespace(linux, "pid")
	}
	if opts.HostNetwork {
		dropNamespace(linux, "network")
	}
	if opts.Seccomp {
		linux["seccomp"] = map[string]any{
			"defaultAction": "SCMP_ACT_ALLOW",
			"syscalls": []any{map[string]any{
				"names":  seccompDenied,
				"action": "SCMP_ACT_ERRNO",
			}},
		}
	}
	setLimits(linux, opts.Limits)
	if data, err = json.MarshalIndent(spec, "", "\t"); err != nil {
		return err
	}
	return os.WriteFile(path, data, 0o644)
}

// privilege grants all capabilities runc can use, unmasks /proc and /sys and
// makes /sys writable.
func privilege(spec, process, linux map[string]any) error {
	caps, err := boundingCaps()
	if err != nil {
		return err
	}
	process["capabilities"] = map[string]any{
		"bounding": caps, "effective": caps, "permitted": caps, "ambient": caps, "inheritable": caps,
	}
	delete(linux, "maskedPaths")
	delete(linux, "readonlyPaths")
	mounts, _ := spec["mounts"].([]any)
	for _, m := range mounts {
		mount, _ := m.(map[string]any)
		if mount == nil || mount["destination"] != "/sys" {
			continue
		}
		opts, _ := mount["options"].([]any)
		mount["options"] = slices.DeleteFunc(opts, func(o any) bool { return o == "ro" })
	}
	return nil
}

// dropNamespace removes the namespace of type kind, so the container shares
// the host's.
func dropNamespace(linux map[string]any, kind string) {
	namespaces, _ := linux["namespaces"].([]any)
	linux["namespaces"] = slices.DeleteFunc(namespaces, func(n any) bool {
		ns, _ := n.(map[string]any)
		return ns != nil && ns["type"] == kind
	})
}

// setLimits adds the cgroup limits to linux.resources.
func setLimits(linux map[string]any, l Limits) {
	resources, _ := linux["resources"].(map[string]any)
	if resources == nil {
		resources = map[string]any{}
		linux["resources"] = resources
	}
	if l.MemoryBytes > 0 {
		resources["memory"] = map[string]any{"limit": l.MemoryBytes}
	}
	if l.Pids > 0 {
		resources["pids"] = map[string]any{"limit": l.Pids}
	}
	if l.CPUQuota > 0 {
		resources["cpu"] = map[string]any{"quota": l.CPUQuota, "period": l.CPUPeriod}
	}
}
