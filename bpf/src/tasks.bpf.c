// SPDX-License-Identifier: GPL-2.0
/* The posture of the processes the exporter pins (each container's first
 * process), read in one pass of a task iterator: what /proc/PID/status and
 * the /proc/PID/ns links would say, without generating a status text and
 * reading five links per container at each scrape. The exporter lists the
 * pids in task_pids; a read of the iterator writes one task_posture record
 * for each of them that is alive. Iterators are an optional extra: where
 * the kernel refuses them, the exporter reads /proc. */
#include "rtsec.h"

/* PFA_NO_NEW_PRIVS, the bit of task_struct.atomic_flags prctl sets. */
#define PFA_NO_NEW_PRIVS 0

/* Of the namespaces of posture.Namespaces but pid (which never changes):
 * net, ipc, uts, cgroup and mnt, in that order. */
#define TASK_NAMESPACES 5

struct task_posture {
	__u32 pid;
	__u32 euid;
	__u64 cap_effective;
	__u32 seccomp_mode;
	__u32 no_new_privs;
	__u32 ns[TASK_NAMESPACES];
	__u32 pad;
};

/* For bpf2go, which writes the record's Go type from the BTF. */
const struct task_posture *unused_task_posture __attribute__((unused));

/* Pids whose posture is read (the value is unused). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, __u8);
} task_pids SEC(".maps");

SEC("iter/task")
int dump_task_posture(struct bpf_iter__task *ctx)
{
	struct task_struct *task = ctx->task;
	/* Threads are skipped first: the iterator visits every one. */
	if (!task || task->pid != task->tgid)
		return 0;
	__u32 pid = task->tgid;
	if (!bpf_map_lookup_elem(&task_pids, &pid))
		return 0;
	struct nsproxy *ns = task->nsproxy;
	const struct cred *cred = task->cred;
	if (!ns || !cred)
		return 0; /* exiting */
	struct task_posture r = {
		.pid = pid,
		.euid = BPF_CORE_READ(cred, euid.val),
		.cap_effective = BPF_CORE_READ(cred, cap_effective.val),
		.seccomp_mode = BPF_CORE_READ(task, seccomp.mode),
		.no_new_privs = (BPF_CORE_READ(task, atomic_flags) >> PFA_NO_NEW_PRIVS) & 1,
		.ns = {
			BPF_CORE_READ(ns, net_ns, ns.inum),
			BPF_CORE_READ(ns, ipc_ns, ns.inum),
			BPF_CORE_READ(ns, uts_ns, ns.inum),
			BPF_CORE_READ(ns, cgroup_ns, ns.inum),
			BPF_CORE_READ(ns, mnt_ns, ns.inum),
		},
	};
	bpf_seq_write(ctx->meta->seq, &r, sizeof(r));
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
