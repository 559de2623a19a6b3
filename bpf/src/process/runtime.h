/* The container runtime's own setup: runc init (and crun…) makes mount,
 * pivot_root, setns, keyctl, set*id and capset calls inside the new
 * container's cgroup, at every container start and every `runc exec`,
 * before it execs the container's program. Its executable then is the
 * runtime's private clone (runtime_clone) or lives on a mount of another
 * mount namespace (the host's), which a program started inside the
 * container cannot reach: containers' executables come from their own
 * mounts, or from kernel-internal ones (memfd), which are not exempt unless
 * named like runc's clone. Known gap: a host-PID container can exec a host
 * binary through /proc/1/root and be exempt from the syscall signals. */
#ifndef RTSEC_PROCESS_RUNTIME_H
#define RTSEC_PROCESS_RUNTIME_H

#include "rtsec.h"

#define MAX_ERRNO 4095

/* Whether f is the runtime's private copy of itself: runc 1.1 clones its
 * binary into a sealed memfd named "runc_cloned:/proc/self/exe", or binds
 * it read-only on a detached mount, and runs that as runc init. An
 * attacker would need that memfd name, or CAP_SYS_ADMIN to detach a
 * mount, to pass for it. */
static __always_inline bool runtime_clone(struct file *f)
{
	if (!f)
		return false;
	struct vfsmount *vm = BPF_CORE_READ(f, f_path.mnt);
	struct mount *m = container_of(vm, struct mount, mnt);
	if (!BPF_CORE_READ(m, mnt_ns))
		return true;
	char name[24] = {};
	bpf_probe_read_kernel_str(name, sizeof(name), BPF_CORE_READ(f, f_path.dentry, d_name.name));
	const char want[] = "memfd:runc_cloned:";
	for (int i = 0; i < sizeof(want) - 1; i++)
		if (name[i] != want[i])
			return false;
	return true;
}

/* Whether task is the runtime setting up or entering a container: its
 * executable is the runtime's clone, or lives on a mount of another mount
 * namespace (the host's) than the one the task is in now. */
static __always_inline bool runtime_setup(struct task_struct *task)
{
	struct file *exe = BPF_CORE_READ(task, mm, exe_file);
	if (!exe)
		return false;
	if (runtime_clone(exe))
		return true;
	struct vfsmount *vm = BPF_CORE_READ(exe, f_path.mnt);
	struct mount *m = container_of(vm, struct mount, mnt);
	struct mnt_namespace *ns = BPF_CORE_READ(m, mnt_ns);
	/* MNT_NS_INTERNAL, an error pointer: a kernel mount (memfd) */
	if ((unsigned long)ns >= (unsigned long)-MAX_ERRNO)
		return false;
	return ns != BPF_CORE_READ(task, nsproxy, mnt_ns);
}

#endif
