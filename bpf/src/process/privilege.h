/* Privilege changes: set*id to root by a non-root task, setuid-root execs,
 * capset gaining capabilities, and creds_to_root — a task last seen with a
 * non-root euid that is root at a later hook without a set*id call or a
 * setuid exec in between, the mark of a kernel exploit that overwrote its
 * credentials. Each thread's last seen euid lives in a bounded LRU map,
 * updated on the hooks rtsec has anyway: exec, the set*id and capset
 * syscalls, and the sensitive syscalls. A task never seen before (or
 * evicted) cannot be judged; one that escalates and never reaches such a
 * hook (no exec, no sensitive syscall) is not caught. The container
 * runtime's setup (runtime.h) is neither counted nor tracked. A thread's
 * entry is deleted when it exits, so the map holds live threads only and
 * a reused tid starts unjudged. */
#ifndef RTSEC_PROCESS_PRIVILEGE_H
#define RTSEC_PROCESS_PRIVILEGE_H

#include "rtsec.h"
#include "events.h"
#include "signals.h"
#include "runtime.h"
#include "enforce.h"

/* Kinds of privilege change (label kind). */
enum priv {
	PRIV_SETUID_ROOT,
	PRIV_SETUID_EXEC,
	PRIV_CAPSET,
	PRIV_CREDS_TO_ROOT,
};

struct task_creds {
	__u32 euid;
	__u32 pad;
	__u64 cap_effective;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 32768);
	__type(key, __u32);
	__type(value, struct task_creds);
} task_creds SEC(".maps");

/* task is a BTF pointer (the current task, or a tp_btf argument): its
 * credentials are read by direct loads, not helper calls. */
static __always_inline __u32 task_euid(struct task_struct *task)
{
	return task->cred->euid.val;
}

static __always_inline __u64 task_cap_effective(struct task_struct *task)
{
	return task->cred->cap_effective.val;
}

/* Whether last is what the thread holds now: the common case, tested
 * before anything else. */
static __always_inline bool creds_same(struct task_creds *last, __u32 euid, __u64 caps)
{
	return last && last->euid == euid && last->cap_effective == caps;
}

static __always_inline void privilege_change(struct task_struct *task, __u32 kind)
{
	count_signal(bpf_get_current_cgroup_id(), SIGNAL_PRIVILEGE_CHANGE, kind);
	/* At the syscall's exit (or the exec) that showed the change: a kill
	 * means the task never runs in user space with what it gained. */
	enforce(SIGNAL_PRIVILEGE_CHANGE, 1u << (kind & 31));
	struct rtsec_event *e = event_reserve(EVENT_PRIVILEGE_CHANGE, kind, task);
	if (!e)
		return;
	event_exe_name(e, task);
	bpf_ringbuf_submit(e, 0);
}

/* Records the thread's credentials as legitimately held. */
static __always_inline void creds_seen(__u32 tid, __u32 euid, __u64 caps)
{
	struct task_creds c = {.euid = euid, .cap_effective = caps};
	bpf_map_update_elem(&task_creds, &tid, &c, BPF_ANY);
}

/* Checks the current thread against what was last seen and records its
 * credentials now; with skip_runtime, not when the thread is the
 * runtime's setup (tested only once the credentials differ). */
static __always_inline void creds_check(struct task_struct *task, bool skip_runtime)
{
	__u32 tid = task->pid;
	__u32 euid = task_euid(task);
	__u64 caps = task_cap_effective(task);
	struct task_creds *last = bpf_map_lookup_elem(&task_creds, &tid);
	if (creds_same(last, euid, caps) || (skip_runtime && runtime_setup(task)))
		return;
	if (last && last->euid != 0 && euid == 0)
		privilege_change(task, PRIV_CREDS_TO_ROOT);
	creds_seen(tid, euid, caps);
}

/* At exec: a setuid-root program run by a non-root user has euid 0, a
 * non-root real uid, and its ids changed by this exec (per_clear). */
static __always_inline void exec_privilege(struct task_struct *task, struct linux_binprm *bprm)
{
	__u32 tid = task->pid;
	__u32 euid = task_euid(task);
	__u32 uid = task->cred->uid.val;
	if (euid == 0 && uid != 0 && BPF_CORE_READ(bprm, per_clear)) {
		privilege_change(task, PRIV_SETUID_EXEC);
		creds_seen(tid, euid, task_cap_effective(task));
		return;
	}
	creds_check(task, false);
}

/* set*id and capset: the enter records the credentials before the call
 * (after checking them), the exit compares. A call that changes nothing
 * (the credentials as last seen) leaves after one map lookup, before the
 * runtime test. */
static __always_inline int setid_enter(void)
{
	creds_check(bpf_get_current_task_btf(), true);
	return 0;
}

static __always_inline int setid_exit(long ret)
{
	struct task_struct *task = bpf_get_current_task_btf();
	__u32 tid = task->pid;
	__u32 euid = task_euid(task);
	__u64 caps = task_cap_effective(task);
	struct task_creds *before = bpf_map_lookup_elem(&task_creds, &tid);
	if (creds_same(before, euid, caps) || runtime_setup(task))
		return 0;
	if (ret == 0 && before && before->euid != 0 && euid == 0)
		privilege_change(task, PRIV_SETUID_ROOT);
	creds_seen(tid, euid, caps);
	return 0;
}

static __always_inline int capset_exit(long ret)
{
	struct task_struct *task = bpf_get_current_task_btf();
	__u32 tid = task->pid;
	__u32 euid = task_euid(task);
	__u64 caps = task_cap_effective(task);
	struct task_creds *before = bpf_map_lookup_elem(&task_creds, &tid);
	if (creds_same(before, euid, caps) || runtime_setup(task))
		return 0;
	if (ret == 0 && before && (caps & ~before->cap_effective))
		privilege_change(task, PRIV_CAPSET);
	creds_seen(tid, euid, caps);
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(handle_task_exit, struct task_struct *task)
{
	__u32 tid = task->pid;
	bpf_map_delete_elem(&task_creds, &tid);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_setuid")
int setuid_enter(void *ctx) { return setid_enter(); }
SEC("tracepoint/syscalls/sys_exit_setuid")
int setuid_exit(struct trace_event_raw_sys_exit *ctx) { return setid_exit(ctx->ret); }
SEC("tracepoint/syscalls/sys_enter_setreuid")
int setreuid_enter(void *ctx) { return setid_enter(); }
SEC("tracepoint/syscalls/sys_exit_setreuid")
int setreuid_exit(struct trace_event_raw_sys_exit *ctx) { return setid_exit(ctx->ret); }
SEC("tracepoint/syscalls/sys_enter_setresuid")
int setresuid_enter(void *ctx) { return setid_enter(); }
SEC("tracepoint/syscalls/sys_exit_setresuid")
int setresuid_exit(struct trace_event_raw_sys_exit *ctx) { return setid_exit(ctx->ret); }
SEC("tracepoint/syscalls/sys_enter_capset")
int capset_enter(void *ctx) { return setid_enter(); }
SEC("tracepoint/syscalls/sys_exit_capset")
int capset_exit_tp(struct trace_event_raw_sys_exit *ctx) { return capset_exit(ctx->ret); }

#endif
