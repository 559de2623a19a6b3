/* The container runtime's own setup: runc init (and crun…) makes mount,
 * pivot_root, setns, keyctl, set*id and capset calls inside the new
 * container's cgroup, at every container start and every `runc exec`,
 * before it execs the container's program. Its executable then is the
 * runtime's binary or private clone (runtime_file) or lives on a mount of another
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
static __always_inline struct mnt_namespace *file_mnt_ns(struct file *f)
{
	struct vfsmount *vm = BPF_CORE_READ(f, f_path.mnt);
	struct mount *m = container_of(vm, struct mount, mnt);
	return BPF_CORE_READ(m, mnt_ns);
}

/* runtime_clone of f, whose mount's namespace is ns. */
static __always_inline bool runtime_clone_ns(struct file *f, struct mnt_namespace *ns)
{
	if (!ns)
		return true;
	/* a memfd lives on a kernel-internal mount (MNT_NS_INTERNAL) */
	if ((unsigned long)ns < (unsigned long)-MAX_ERRNO)
		return false;
	char name[24] = {};
	bpf_probe_read_kernel_str(name, sizeof(name), BPF_CORE_READ(f, f_path.dentry, d_name.name));
	const char want[] = "memfd:runc_cloned:";
	for (int i = 0; i < sizeof(want) - 1; i++)
		if (name[i] != want[i])
			return false;
	return true;
}

/* The container runtime's own binaries on the host (runc, crun…), by
 * device and inode, filled by the exporter: runc runs from them when it
 * joins a new container's cgroup before entering its namespaces. */
struct runtime_inode {
	__u64 ino;
	__u32 dev;
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16);
	__type(key, struct runtime_inode);
	__type(value, __u8);
} runtime_binaries SEC(".maps");

/* Whether the file of inode ino on device dev is one of the runtime
 * binaries on the host. */
static __always_inline bool runtime_binary(__u64 ino, __u32 dev)
{
	struct runtime_inode key = {.ino = ino, .dev = dev};
	return bpf_map_lookup_elem(&runtime_binaries, &key);
}

/* Whether f is one of the runtime binaries or the runtime's clone. */
static __always_inline bool runtime_file(struct file *f)
{
	return f && (runtime_binary(BPF_CORE_READ(f, f_inode, i_ino), BPF_CORE_READ(f, f_inode, i_sb, s_dev)) ||
		     runtime_clone_ns(f, file_mnt_ns(f)));
}

/* Whether task is the runtime setting up or entering a container: its
 * executable is the runtime's clone, or lives on a mount of another mount
 * namespace (the host's) than the one the task is in now. */
static __always_inline bool runtime_setup(struct task_struct *task)
{
	/* task is a BTF pointer (the current task, or a tp_btf argument):
	 * direct loads, no helper calls. The executable's mount namespace is
	 * read once for both tests: these run on every sensitive syscall and
	 * every set*id call that changes credentials. */
	struct file *exe = task->mm->exe_file;
	if (!exe)
		return false;
	if (runtime_binary(exe->f_inode->i_ino, exe->f_inode->i_sb->s_dev))
		return true;
	struct mnt_namespace *ns = file_mnt_ns(exe);
	if (runtime_clone_ns(exe, ns))
		return true;
	/* MNT_NS_INTERNAL, an error pointer: a kernel mount (memfd) */
	if ((unsigned long)ns >= (unsigned long)-MAX_ERRNO)
		return false;
	return ns != task->nsproxy->mnt_ns;
}

#endif
