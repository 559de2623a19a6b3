/* 32-bit (ia32) syscalls on x86-64, counted per container and class. With
 * CONFIG_IA32_EMULATION a 64-bit kernel runs int 0x80 calls and 32-bit
 * binaries, and skips the syscalls:sys_enter_* and sys_exit_* tracepoints
 * for them (arch_trace_is_compat_syscall): the sensitive syscalls and
 * privilege changes counted there miss a 32-bit unshare or setresuid32.
 * The raw sys_enter tracepoint fires for every syscall, with the ia32
 * number for these; this program runs on all of them, so it tests the
 * task's TS_COMPAT status first (in_ia32_syscall()) and a native syscall
 * costs that load only. x86-64 only: the exporter does not attach it
 * elsewhere (thread_info.status is x86's). */
#ifndef RTSEC_PROCESS_COMPAT_H
#define RTSEC_PROCESS_COMPAT_H

#include "rtsec.h"
#include "events.h"
#include "signals.h"

/* arch/x86/include/asm/thread_info.h: a 32-bit syscall is running */
#define TS_COMPAT 0x0002

/* Classes of a 32-bit syscall (label class). */
enum compat {
	COMPAT_OTHER,
	COMPAT_NAMESPACE,
	COMPAT_PRIVILEGE,
	COMPAT_PTRACE,
	COMPAT_BPF,
	COMPAT_MOUNT,
	COMPAT_MODULE,
};

/* The class of an ia32 syscall number (arch/x86/entry/syscalls/syscall_32.tbl). */
static __always_inline __u16 compat_class(long nr)
{
	switch (nr) {
	case 310: /* unshare */
	case 346: /* setns */
		return COMPAT_NAMESPACE;
	case 23:  /* setuid */
	case 46:  /* setgid */
	case 70:  /* setreuid */
	case 71:  /* setregid */
	case 138: /* setfsuid */
	case 139: /* setfsgid */
	case 164: /* setresuid */
	case 170: /* setresgid */
	case 185: /* capset */
	case 203: /* setreuid32 */
	case 204: /* setregid32 */
	case 208: /* setresuid32 */
	case 210: /* setresgid32 */
	case 213: /* setuid32 */
	case 214: /* setgid32 */
	case 215: /* setfsuid32 */
	case 216: /* setfsgid32 */
		return COMPAT_PRIVILEGE;
	case 26: /* ptrace */
		return COMPAT_PTRACE;
	case 357: /* bpf */
		return COMPAT_BPF;
	case 21:  /* mount */
	case 22:  /* umount */
	case 52:  /* umount2 */
	case 217: /* pivot_root */
	case 428: /* open_tree */
	case 429: /* move_mount */
	case 430: /* fsopen */
	case 431: /* fsconfig */
	case 432: /* fsmount */
	case 433: /* fspick */
		return COMPAT_MOUNT;
	case 128: /* init_module */
	case 129: /* delete_module */
	case 283: /* kexec_load */
	case 350: /* finit_module */
		return COMPAT_MODULE;
	}
	return COMPAT_OTHER;
}

SEC("tp_btf/sys_enter")
int BPF_PROG(compat_syscall, struct pt_regs *regs, long nr)
{
	struct task_struct *task = bpf_get_current_task_btf();
	if (!(task->thread_info.status & TS_COMPAT))
		return 0;
	__u16 class = compat_class(nr);
	count_signal(bpf_get_current_cgroup_id(), SIGNAL_COMPAT_SYSCALL, class);
	if (class == COMPAT_OTHER)
		return 0;
	struct rtsec_event *e = event_reserve(EVENT_COMPAT_SYSCALL, class | (__u32)nr << 8, task);
	if (!e)
		return 0;
	event_exe_name(e, task);
	bpf_ringbuf_submit(e, 0);
	return 0;
}

#endif
