/* Opt-in enforcement (--enforce.policy-file): a program that has just
 * classified an event calls enforce() with the signal and the bits of its
 * label values (reasons, class ids); the exporter's policy, resolved to
 * cgroup ids, says per cgroup which bits kill the task and which are only
 * counted as "would kill" (dry run).
 *
 * Without a policy enforce_enabled stays 0, set before the load, and the
 * verifier removes the whole check: no instruction more on any path. With
 * one, only events that were already classified pay a map lookup. */
#ifndef RTSEC_ENFORCE_H
#define RTSEC_ENFORCE_H

#include "rtsec.h"
#include "events.h"

/* Indexed by the signal ids of process/signals.h (1-4) and of
 * enum enforce_signal. */
#define ENFORCE_SIGNALS 6

/* Enforcement signals of the other objects, after enum signal's. */
enum enforce_signal {
	ENFORCE_SIGNAL_FILE_MODIFICATION = 5,
};

/* Actions counted (label action). ACTION_SPARED: a kill the policy asked
 * for on a task that is never killed: the host's init, the exporter
 * itself, a kernel thread. */
enum action {
	ACTION_KILLED,
	ACTION_WOULD_KILL,
	ACTION_SPARED,
};

#define ENFORCE_SIGKILL 9
#define ENFORCE_PF_KTHREAD 0x00200000

volatile const __u8 enforce_enabled = 0;
volatile const __u32 enforce_self_tgid = 0;

/* Per signal, the label value bits that kill, and those counted in dry run. */
struct enforce_actions {
	__u32 kill[ENFORCE_SIGNALS];
	__u32 dry_run[ENFORCE_SIGNALS];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, struct enforce_actions);
} enforce_cgroups SEC(".maps");

struct enforce_key {
	__u64 cgroup_id;
	__u16 signal;
	__u16 value;
	__u8 action;
	__u8 pad[3];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, struct enforce_key);
	__type(value, __u64);
} enforce_counts SEC(".maps");

/* enforce_stats indexes */
enum enforce_stat {
	ENFORCE_STAT_COUNTS_FULL,
};

STATS_MAP(enforce_stats);

/* Acts on the current task for a classified event: signal, and values as
 * a bit mask of its label values. The SIGKILL is delivered before the task
 * returns to user space, so whatever the hook precedes never runs. A
 * global function, verified once on its own rather than on every path of
 * each caller. */
__noinline int enforce_act(__u32 signal, __u32 values)
{
	if (signal >= ENFORCE_SIGNALS)
		return 0;
	__u64 cgroup_id = bpf_get_current_cgroup_id();
	struct enforce_actions *a = bpf_map_lookup_elem(&enforce_cgroups, &cgroup_id);
	if (!a)
		return 0;
	__u32 hit = a->kill[signal] & values;
	__u8 action = ACTION_KILLED;
	if (!hit) {
		hit = a->dry_run[signal] & values;
		action = ACTION_WOULD_KILL;
		if (!hit)
			return 0;
	}
	struct task_struct *task = bpf_get_current_task_btf();
	if (action == ACTION_KILLED) {
		__u32 tgid = bpf_get_current_pid_tgid() >> 32;
		if (tgid == 1 || tgid == enforce_self_tgid || (task->flags & ENFORCE_PF_KTHREAD))
			action = ACTION_SPARED;
		else
			bpf_send_signal(ENFORCE_SIGKILL);
	}
	struct enforce_key key = {.cgroup_id = cgroup_id, .signal = signal, .action = action};
	for (__u32 v = 0; v < 32; v++) {
		if (!(hit & (1u << v)))
			continue;
		key.value = v;
		increment(&enforce_counts, &key, &enforce_stats, ENFORCE_STAT_COUNTS_FULL);
	}
	struct rtsec_event *e = event_reserve(EVENT_ENFORCEMENT, signal | action << 8, task);
	if (!e)
		return 0;
	e->ret = hit;
	event_exe_name(e, task);
	bpf_ringbuf_submit(e, 0);
	return 0;
}

/* A class id (1-32) as its bit in enforce_actions, 0 for none. */
static __always_inline __u32 class_bits(__u8 class)
{
	return class ? 1u << ((class - 1) & 31) : 0;
}

/* The call site: without a policy the verifier removes it whole. */
static __always_inline void enforce(__u16 signal, __u32 values)
{
	if (enforce_enabled && values)
		enforce_act(signal, values);
}

#endif
