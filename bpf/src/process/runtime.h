/* The container runtime's own setup: runc init (and crun…) makes mount,
 * pivot_root, setns, keyctl, set*id and capset calls inside the new
 * container's cgroup, at every container start and every `runc exec`,
 * before it execs the container's program. Its executable then lives on a
 * mount of another mount namespace (the host's) or on a detached mount
 * (runc 1.1 execs a read-only bind of itself), which a program started
 * inside the container cannot without CAP_SYS_ADMIN: containers'
 * executables come from their own mounts, or from kernel-internal ones
 * (memfd), which this check does not exempt. Known gap: a host-PID
 * container can exec a host binary through /proc/1/root and be exempt. */
#ifndef RTSEC_PROCESS_RUNTIME_H
#define RTSEC_PROCESS_RUNTIME_H

#include "rtsec.h"

#define MAX_ERRNO 4095

static __always_inline bool runtime_setup(struct task_struct *task)
{
	struct vfsmount *vm = BPF_CORE_READ(task, mm, exe_file, f_path.mnt);
	if (!vm)
		return false;
	struct mount *m = container_of(vm, struct mount, mnt);
	struct mnt_namespace *ns = BPF_CORE_READ(m, mnt_ns);
	/* MNT_NS_INTERNAL, an error pointer: a kernel mount (memfd) */
	if ((unsigned long)ns >= (unsigned long)-MAX_ERRNO)
		return false;
	/* NULL: a detached mount, like runc 1.1's read-only bind of itself */
	return ns != BPF_CORE_READ(task, nsproxy, mnt_ns);
}

/* Whether an exec is the runtime re-executing a private copy of itself
 * (runc 1.1 clones its binary into a sealed memfd named
 * "runc_cloned:/proc/self/exe", or binds it read-only on a detached mount,
 * and execs that inside the new container's cgroup at every start and
 * exec). Such execs are not the container's: they are neither counted nor
 * classified. An attacker would need the memfd name or CAP_SYS_ADMIN (to
 * detach a mount) to pass for one. */
static __always_inline bool runtime_self_exec(struct file *f)
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

#endif
