/* Sensitive syscalls, counted per container, syscall and result at the
 * syscall's own sys_exit tracepoint (never raw_syscalls). ptrace and bpf
 * count only some requests: their sys_enter marks the thread, the exit
 * counts marked calls. The container runtime's setup is not counted
 * (runtime.h). Tracepoints missing from the kernel (init_module
 * without CONFIG_MODULES…) are skipped by the exporter. */
#ifndef RTSEC_PROCESS_SYSCALLS_H
#define RTSEC_PROCESS_SYSCALLS_H

#include "rtsec.h"
#include "events.h"
#include "signals.h"
#include "privilege.h"
#include "runtime.h"

/* Sensitive syscalls (label syscall). The counted value is
 * syscall * SC_RESULTS + result. */
enum sc {
	SC_PTRACE,
	SC_PROCESS_VM_WRITEV,
	SC_BPF,
	SC_PERF_EVENT_OPEN,
	SC_USERFAULTFD,
	SC_UNSHARE,
	SC_SETNS,
	SC_MOUNT,
	SC_UMOUNT2,
	SC_PIVOT_ROOT,
	SC_CHROOT,
	SC_OPEN_BY_HANDLE_AT,
	SC_KEYCTL,
	SC_ADD_KEY,
	SC_INIT_MODULE,
	SC_FINIT_MODULE,
	SC_DELETE_MODULE,
	SC_KEXEC_LOAD,
};

/* Results of a sensitive syscall (label result): ok, denied (EPERM,
 * EACCES), failed (another error). */
enum sc_result {
	SC_RESULT_OK,
	SC_RESULT_DENIED,
	SC_RESULT_FAILED,
	SC_RESULTS = 4, /* the stride of a syscall's values */
};
_Static_assert(SC_RESULT_FAILED < SC_RESULTS, "a syscall's results fit its stride");

#define EPERM 1
#define EACCES 13
#define PTRACE_TRACEME 0
#define PTRACE_POKETEXT 4
#define PTRACE_POKEUSR 6
#define PTRACE_ATTACH 16
#define PTRACE_SEIZE 0x4206
#define BPF_PROG_LOAD_CMD 5

/* Set by the exporter: its own process, whose bpf() calls are not counted. */
volatile const __u32 self_tgid = 0;

/* Threads inside a ptrace or bpf call that counts. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 8192);
	__type(key, __u32);
	__type(value, __u8);
} syscall_pending SEC(".maps");

static __always_inline int sensitive_exit(__u32 syscall, long ret)
{
	struct task_struct *task = bpf_get_current_task_btf();
	if (task->tgid == self_tgid || runtime_setup(task))
		return 0;
	__u32 result = ret >= 0 ? SC_RESULT_OK : (ret == -EPERM || ret == -EACCES) ? SC_RESULT_DENIED : SC_RESULT_FAILED;
	count_signal(bpf_get_current_cgroup_id(), SIGNAL_SENSITIVE_SYSCALL, syscall * SC_RESULTS + result);
	creds_check(task, false);
	/* Killed at the exit, whatever the result: the call has run, its result
	 * (a namespace, a mount, an fd) is never used in user space. */
	enforce(SIGNAL_SENSITIVE_SYSCALL, 1u << (syscall & 31));
	struct rtsec_event *e = event_reserve(EVENT_SENSITIVE_SYSCALL, syscall, task);
	if (!e)
		return 0;
	e->ret = ret;
	event_exe_name(e, task);
	bpf_ringbuf_submit(e, 0);
	return 0;
}

/* The exit of a call whose enter marked the thread. */
static __always_inline int marked_exit(__u32 syscall, long ret)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	if (!bpf_map_lookup_elem(&syscall_pending, &tid))
		return 0;
	bpf_map_delete_elem(&syscall_pending, &tid);
	return sensitive_exit(syscall, ret);
}

static __always_inline int mark(void)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	__u8 one = 1;
	bpf_map_update_elem(&syscall_pending, &tid, &one, BPF_ANY);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_ptrace")
int ptrace_enter(struct trace_event_raw_sys_enter *ctx)
{
	long req = ctx->args[0];
	if (req == PTRACE_TRACEME || (req >= PTRACE_POKETEXT && req <= PTRACE_POKEUSR) ||
	    req == PTRACE_ATTACH || req == PTRACE_SEIZE)
		return mark();
	return 0;
}
SEC("tracepoint/syscalls/sys_exit_ptrace")
int ptrace_exit(struct trace_event_raw_sys_exit *ctx) { return marked_exit(SC_PTRACE, ctx->ret); }

SEC("tracepoint/syscalls/sys_enter_bpf")
int bpf_enter(struct trace_event_raw_sys_enter *ctx)
{
	return ctx->args[0] == BPF_PROG_LOAD_CMD ? mark() : 0;
}
SEC("tracepoint/syscalls/sys_exit_bpf")
int bpf_exit(struct trace_event_raw_sys_exit *ctx) { return marked_exit(SC_BPF, ctx->ret); }

#define SENSITIVE_EXIT(name, tracepoint, id)                                \
	SEC("tracepoint/syscalls/sys_exit_" #tracepoint)                     \
	int name##_exit(struct trace_event_raw_sys_exit *ctx)              \
	{                                                                    \
		return sensitive_exit(id, ctx->ret);                          \
	}

SENSITIVE_EXIT(process_vm_writev, process_vm_writev, SC_PROCESS_VM_WRITEV)
SENSITIVE_EXIT(perf_event_open, perf_event_open, SC_PERF_EVENT_OPEN)
SENSITIVE_EXIT(userfaultfd, userfaultfd, SC_USERFAULTFD)
SENSITIVE_EXIT(unshare, unshare, SC_UNSHARE)
SENSITIVE_EXIT(setns, setns, SC_SETNS)
SENSITIVE_EXIT(mount, mount, SC_MOUNT)
SENSITIVE_EXIT(umount2, umount, SC_UMOUNT2)
SENSITIVE_EXIT(pivot_root, pivot_root, SC_PIVOT_ROOT)
SENSITIVE_EXIT(chroot, chroot, SC_CHROOT)
SENSITIVE_EXIT(open_by_handle_at, open_by_handle_at, SC_OPEN_BY_HANDLE_AT)
SENSITIVE_EXIT(keyctl, keyctl, SC_KEYCTL)
SENSITIVE_EXIT(add_key, add_key, SC_ADD_KEY)
SENSITIVE_EXIT(init_module, init_module, SC_INIT_MODULE)
SENSITIVE_EXIT(finit_module, finit_module, SC_FINIT_MODULE)
SENSITIVE_EXIT(delete_module, delete_module, SC_DELETE_MODULE)
SENSITIVE_EXIT(kexec_load, kexec_load, SC_KEXEC_LOAD)

#endif
