// SPDX-License-Identifier: GPL-2.0
/* Resource abuse signals counted in the kernel per container key (cgroup v2
 * id): forks and thread clones (sched_process_fork), forks refused
 * (clone, clone3, fork and vfork failing with EAGAIN), processes killed by a
 * signal (sched_process_exit) and OOM kills (oom:mark_victim). The cgroup
 * files (CPU, memory, pids) are read by the exporter at scrape time; only
 * what those files cannot say is counted here: the fork rate, the signal a
 * process died of, and what outlives the container's cgroup (OOM kills, and
 * refused forks: pids.events is gone with a container that exits before the
 * next scrape). */
#include "rtsec.h"

/* Signals of resource_counts. */
enum resource_kind {
	RESOURCE_FORK = 1,
	RESOURCE_SIGNAL_EXIT,
	RESOURCE_OOM_KILL,
	RESOURCE_FORK_REFUSED,
};

/* RESOURCE_FORK values: the new task's kind (label kind). */
enum fork {
	FORK_PROCESS,
	FORK_THREAD,
};

/* resource_stats indexes */
enum resource_stat {
	STAT_RESOURCE_COUNTS_FULL,
};

STATS_MAP(resource_stats);

struct resource_key {
	__u64 cgroup_id;
	__u16 signal;
	__u16 value;
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, struct resource_key);
	__type(value, __u64);
} resource_counts SEC(".maps");

static __always_inline void count_resource(__u64 cgroup_id, __u16 signal, __u16 value)
{
	struct resource_key key = {.cgroup_id = cgroup_id, .signal = signal, .value = value};
	increment(&resource_counts, &key, &resource_stats, STAT_RESOURCE_COUNTS_FULL);
}

/* Runs in the parent: the child starts in the parent's cgroup (a
 * CLONE_INTO_CGROUP child is counted where its parent is, which is the
 * container that spent the fork). */
SEC("tp_btf/sched_process_fork")
int BPF_PROG(handle_fork, struct task_struct *parent, struct task_struct *child)
{
	__u16 kind = child->pid == child->tgid ? FORK_PROCESS : FORK_THREAD;
	count_resource(bpf_get_current_cgroup_id(), RESOURCE_FORK, kind);
	return 0;
}

/* A fork refused at a limit: the pids controller (the container's limit
 * or an ancestor's, a pod's), RLIMIT_NPROC or the system's threads-max all
 * fail copy_process with EAGAIN. Every successful clone leaves at the first
 * test; the syscall exit tracepoints of the fork family fire for these four
 * syscalls only. */
static __always_inline int count_refused(long ret)
{
	if (ret != -EAGAIN)
		return 0;
	count_resource(bpf_get_current_cgroup_id(), RESOURCE_FORK_REFUSED, 0);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_clone")
int handle_clone_exit(struct trace_event_raw_sys_exit *ctx) { return count_refused(ctx->ret); }

SEC("tracepoint/syscalls/sys_exit_clone3")
int handle_clone3_exit(struct trace_event_raw_sys_exit *ctx) { return count_refused(ctx->ret); }

SEC("tracepoint/syscalls/sys_exit_fork")
int handle_fork_exit(struct trace_event_raw_sys_exit *ctx) { return count_refused(ctx->ret); }

SEC("tracepoint/syscalls/sys_exit_vfork")
int handle_vfork_exit(struct trace_event_raw_sys_exit *ctx) { return count_refused(ctx->ret); }

/* Counts a process (its last thread) that died of a signal. Normal exits
 * carry the signal bits clear and leave at the first test. */
SEC("tp_btf/sched_process_exit")
int BPF_PROG(handle_exit, struct task_struct *task, bool group_dead)
{
	__u32 sig = task->exit_code & 0x7f;
	if (!sig || !group_dead)
		return 0;
	count_resource(bpf_get_current_cgroup_id(), RESOURCE_SIGNAL_EXIT, sig);
	return 0;
}

/* The OOM killer chose task. The caller may be another container's task
 * (the allocation that hit a parent's limit, or the global OOM killer), so
 * the count goes to the victim's own cgroup. */
SEC("tp_btf/mark_victim")
int BPF_PROG(handle_mark_victim, struct task_struct *task, uid_t uid)
{
	__u64 id = BPF_CORE_READ(task, cgroups, dfl_cgrp, kn, id);
	count_resource(id, RESOURCE_OOM_KILL, 0);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
