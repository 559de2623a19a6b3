/* Walking a dentry up to the task's root.
 * Included by files.bpf.c after its maps and types. */
#ifndef RTSEC_FILES_WALK_H
#define RTSEC_FILES_WALK_H

static long walk_step(__u32 i, struct loop_ctx *ctx)
{
	struct scratch *s = ctx->s;
	struct walk *w = &s->w;
	struct dentry *d = (struct dentry *)w->dentry;
	struct mount *m = (struct mount *)w->mnt;
	if ((__u64)d == w->root_dentry && (__u64)&m->mnt == w->root_mnt) {
		w->done = 1;
		return 1;
	}
	if (d == BPF_CORE_READ(m, mnt.mnt_root)) {
		struct mount *parent = BPF_CORE_READ(m, mnt_parent);
		if (w->stop_at_mount || parent == m || !parent) {
			w->outside_root = !w->stop_at_mount;
			w->done = 1;
			return 1;
		}
		w->dentry = (__u64)BPF_CORE_READ(m, mnt_mountpoint);
		w->mnt = (__u64)parent;
		return 0;
	}
	struct dentry *parent = BPF_CORE_READ(d, d_parent);
	if (!parent || parent == d) {
		w->outside_root = 1;
		w->done = 1;
		return 1;
	}
	__u32 len = BPF_CORE_READ(d, d_name.len);
	if (len > NAME_CAP)
		len = NAME_CAP;
	__u32 pos = w->pos;
	if (pos < len + 1 || pos > WALK_END)
		return 1; /* too long: done stays 0 */
	pos -= len;
	bpf_probe_read_kernel(&s->in[pos & BUF_MASK], len & NAME_CAP, BPF_CORE_READ(d, d_name.name));
	pos--;
	s->in[pos & BUF_MASK] = '/';
	w->pos = pos;
	w->dentry = (__u64)parent;
	return 0;
}

/* Writes the path of (dentry, vfsmnt) relative to the task's root into
 * s->in, ending at WALK_END, and returns its start, or -1 if the walk did
 * not finish. *outside is set when the file is not below the task's root
 * (reached through /proc/<pid>/root of another mount namespace). */
static __noinline int walk_path(struct scratch *s, struct dentry *dentry, struct vfsmount *vfsmnt, bool *outside)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct walk *w = &s->w;
	w->dentry = (__u64)dentry;
	w->mnt = (__u64)container_of(vfsmnt, struct mount, mnt);
	w->root_dentry = (__u64)BPF_CORE_READ(task, fs, root.dentry);
	w->root_mnt = (__u64)BPF_CORE_READ(task, fs, root.mnt);
	w->pos = WALK_END;
	w->outside_root = 0;
	w->done = 0;
	const char *prefix = NULL;
	__u32 plen = 0;
	unsigned long magic = BPF_CORE_READ(dentry, d_sb, s_magic);
	if (magic == PROC_SUPER_MAGIC) {
		prefix = "/proc";
		plen = 5;
	} else if (magic == SYSFS_MAGIC) {
		prefix = "/sys";
		plen = 4;
	} else if (magic == CGROUP_SUPER_MAGIC || magic == CGROUP2_SUPER_MAGIC) {
		prefix = "/sys/fs/cgroup";
		plen = 14;
	}
	w->stop_at_mount = prefix != NULL;
	struct loop_ctx ctx = {.s = s};
	bpf_loop(MAX_DEPTH * 2, walk_step, &ctx, 0);
	if (!w->done) {
		count_stat(&file_stats, STAT_FILE_UNRESOLVED);
		return -1;
	}
	__u32 pos = w->pos;
	if (pos > WALK_END)
		return -1;
	if (prefix) {
		if (pos < plen)
			return -1;
		pos -= plen;
		bpf_probe_read_kernel(&s->in[pos & BUF_MASK], plen & 15, prefix);
	}
	*outside = w->outside_root;
	return pos;
}

#endif
