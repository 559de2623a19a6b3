// SPDX-License-Identifier: GPL-2.0
/* Records the path of every cgroup v2 directory created while rtsec runs,
 * and the command that created it, so that a container that lived between
 * two scrapes can still be resolved after its cgroup is gone: plain runc
 * names its cgroup after the container, and is known by its creator.
 * cgroup_rmdir stamps an entry with the time its cgroup went away; the
 * exporter deletes the entries gone for longer than the gone grace, so the
 * map holds live cgroups and the recently dead, not every cgroup since
 * boot.
 * Each new cgroup's id also goes to cgroup_births, which the enforcer reads
 * to apply its policy before the container's entrypoint runs, rather than
 * at its next walk of the tree. Nothing reads it without a policy; a full
 * ring buffer drops the record, and mkdir is rare. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>

#define CGROUP_PATH_LEN 256

struct cgroup_path {
	/* CLOCK_BOOTTIME of the cgroup's rmdir; 0 while it lives. */
	__u64 removed_ns;
	char creator[16];
	char path[CGROUP_PATH_LEN];
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 8192);
	__type(key, __u64);
	__type(value, struct cgroup_path);
} cgroup_paths SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16384);
} cgroup_births SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct cgroup_path);
} cgroup_scratch SEC(".maps");

SEC("tp_btf/cgroup_mkdir")
int BPF_PROG(handle_cgroup_mkdir, struct cgroup *cgrp, const char *path)
{
	/* Only the unified (v2) hierarchy: its ids are what
	 * bpf_get_current_cgroup_id() returns. */
	if (BPF_CORE_READ(cgrp, root, hierarchy_id) != 0)
		return 0;
	__u32 zero = 0;
	struct cgroup_path *value = bpf_map_lookup_elem(&cgroup_scratch, &zero);
	if (!value)
		return 0;
	__u64 id = BPF_CORE_READ(cgrp, kn, id);
	value->removed_ns = 0;
	bpf_get_current_comm(value->creator, sizeof(value->creator));
	if (bpf_probe_read_kernel_str(value->path, sizeof(value->path), path) < 0)
		return 0;
	bpf_map_update_elem(&cgroup_paths, &id, value, BPF_ANY);
	bpf_ringbuf_output(&cgroup_births, &id, sizeof(id), 0);
	return 0;
}

SEC("tp_btf/cgroup_rmdir")
int BPF_PROG(handle_cgroup_rmdir, struct cgroup *cgrp, const char *path)
{
	if (BPF_CORE_READ(cgrp, root, hierarchy_id) != 0)
		return 0;
	__u64 id = BPF_CORE_READ(cgrp, kn, id);
	struct cgroup_path *value = bpf_map_lookup_elem(&cgroup_paths, &id);
	if (value)
		value->removed_ns = bpf_ktime_get_boot_ns();
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
