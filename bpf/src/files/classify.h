/* Normalising a path and classifying it.
 * Included by files.bpf.c after its maps and types. */
#ifndef RTSEC_FILES_CLASSIFY_H
#define RTSEC_FILES_CLASSIFY_H

static __always_inline void norm_commit(struct scratch *s)
{
	struct norm *n = &s->n;
	if (n->tok_len == 0 || (n->dots_only && n->tok_len == 1)) {
		n->out_len = n->tok_start;
		return;
	}
	if (n->dots_only && n->tok_len == 2) {
		n->traversal = true;
		if (n->depth > 0) {
			n->depth--;
			n->out_len = s->slash[n->depth & (MAX_COMPONENTS - 1)];
		} else {
			n->out_len = 0;
		}
		return;
	}
	if (n->depth >= MAX_COMPONENTS) {
		n->overflow = true;
		return;
	}
	__u32 start = n->tok_start;
	s->slash[n->depth & (MAX_COMPONENTS - 1)] = start;
	if (n->depth == 0 || (n->depth == 2 && n->under_proc)) {
		char c0 = s->out[(start + 1) & BUF_MASK], c1 = s->out[(start + 2) & BUF_MASK];
		char c2 = s->out[(start + 3) & BUF_MASK], c3 = s->out[(start + 4) & BUF_MASK];
		bool four = n->tok_len == 4;
		if (n->depth == 0) {
			n->under_home = four && c0 == 'h' && c1 == 'o' && c2 == 'm' && c3 == 'e';
			n->under_proc = four && c0 == 'p' && c1 == 'r' && c2 == 'o' && c3 == 'c';
		} else {
			n->proc_task = four && c0 == 't' && c1 == 'a' && c2 == 's' && c3 == 'k';
		}
	}
	if (!n->exact && ((n->depth == 1 && (n->under_home || (n->under_proc && n->numeric))) ||
			  (n->depth == 3 && n->proc_task && n->numeric))) {
		s->out[(start + 1) & BUF_MASK] = '*';
		n->out_len = start + 2;
	}
	n->depth++;
}

static long norm_step(__u32 i, struct loop_ctx *ctx)
{
	struct scratch *s = ctx->s;
	struct norm *n = &s->n;
	__u32 at = n->in_start + i;
	if (at >= n->in_end)
		return 1;
	char c = s->in[at & BUF_MASK];
	if (c == 0)
		return 1;
	if (c == '/') {
		norm_commit(s);
		n->tok_start = n->out_len;
		s->out[n->out_len & BUF_MASK] = '/';
		n->out_len++;
		n->tok_len = 0;
		n->numeric = true;
		n->dots_only = true;
		return 0;
	}
	if (n->out_len >= BUF_LEN - 2) {
		n->overflow = true;
		return 1;
	}
	s->out[n->out_len & BUF_MASK] = c;
	n->out_len++;
	n->tok_len++;
	n->numeric = n->numeric && c >= '0' && c <= '9';
	n->dots_only = n->dots_only && c == '.';
	return 0;
}

/* Normalises s->in[start, end), which begins with '/', into s->out and
 * returns its length, or 0 when it overflowed. exact keeps the components
 * that the class lookup replaces by "*". */
static __always_inline __u32 normalise(struct scratch *s, __u32 start, __u32 end, bool exact)
{
	struct norm *n = &s->n;
	__builtin_memset(n, 0, sizeof(*n));
	n->in_start = start;
	n->in_end = end;
	n->exact = exact;
	struct loop_ctx ctx = {.s = s};
	bpf_loop((end - start) & BUF_MASK, norm_step, &ctx, 0);
	if (n->overflow)
		return 0;
	norm_commit(s); /* the last token: norm_step commits only at '/' */
	if (n->out_len == 0) {
		s->out[0] = '/';
		return 1;
	}
	return n->out_len;
}

/* Normalises s->in[start, end) into s->key and returns its class, or NULL.
 * *traversal is set when a ".." was resolved. */
static __noinline struct class_val *classify(struct scratch *s, __u32 start, __u32 end, bool *traversal)
{
	__u32 len = normalise(s, start, end, false);
	if (len == 0) {
		count_stat(&file_stats, STAT_FILE_UNRESOLVED);
		return NULL;
	}
	if (len > PATH_LEN - 1)
		len = PATH_LEN - 1;
	__builtin_memset(s->key.path, 0, sizeof(s->key.path));
	bpf_probe_read_kernel(s->key.path, len & (PATH_LEN - 1), s->out);
	s->key.prefixlen = (len + 1) * 8;
	*traversal = s->n.traversal;
	return bpf_map_lookup_elem(&file_classes, &s->key);
}

/* The exact path that classify last looked up, normalised again without
 * wildcards into s->out; returns its length, or 0. */
static __noinline __u32 exact_path(struct scratch *s)
{
	if (s->n.in_end <= s->n.in_start)
		return 0;
	return normalise(s, s->n.in_start, s->n.in_end, true);
}

static __always_inline struct scratch *get_scratch(void)
{
	__u32 zero = 0;
	return bpf_map_lookup_elem(&file_scratch, &zero);
}

/* Resolves a path argument against dfd (or the cwd) and classifies it. */
static __noinline struct class_val *classify_at(struct scratch *s, int dfd, const char *upath, bool *traversal)
{
	s->n.in_end = 0; /* no path for exact_path until classify */
	char first = 0;
	bpf_probe_read_user(&first, 1, upath);
	__u32 start = WALK_END;
	if (first != '/') {
		struct task_struct *task = (struct task_struct *)bpf_get_current_task();
		struct dentry *d;
		struct vfsmount *m;
		if (dfd == AT_FDCWD) {
			d = BPF_CORE_READ(task, fs, pwd.dentry);
			m = BPF_CORE_READ(task, fs, pwd.mnt);
		} else {
			struct file **fds = BPF_CORE_READ(task, files, fdt, fd);
			struct file *f = NULL;
			bpf_probe_read_kernel(&f, sizeof(f), &fds[dfd & 0xffff]);
			d = BPF_CORE_READ(f, f_path.dentry);
			m = BPF_CORE_READ(f, f_path.mnt);
		}
		bool outside = false;
		int at = walk_path(s, d, m, &outside);
		if (at < 0)
			return NULL;
		start = at;
	}
	s->in[WALK_END] = '/';
	long n = bpf_probe_read_user_str(&s->in[WALK_END + 1], USER_LEN, upath);
	if (n <= 0)
		return NULL;
	__u32 end = WALK_END + n; /* n counts the NUL */
	if (start >= WALK_END)
		start = WALK_END;
	return classify(s, start, end, traversal);
}

/* Classifies an open file by walking its path. */
static __noinline struct class_val *classify_file(struct scratch *s, struct file *f, bool *outside)
{
	s->n.in_end = 0; /* no path for exact_path until classify */
	int at = walk_path(s, BPF_CORE_READ(f, f_path.dentry), BPF_CORE_READ(f, f_path.mnt), outside);
	if (at < 0 || at >= WALK_END)
		return NULL;
	bool traversal = false;
	return classify(s, at, WALK_END, &traversal);
}

static __always_inline struct file *fd_file(int fd)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct file **fds = BPF_CORE_READ(task, files, fdt, fd);
	struct file *f = NULL;
	bpf_probe_read_kernel(&f, sizeof(f), &fds[fd & 0xffff]);
	return f;
}

static __always_inline __u8 gate(const unsigned char *name)
{
	struct gate_key k = {};
	bpf_probe_read_kernel_str(k.name, sizeof(k.name), name);
	__u8 *v = bpf_map_lookup_elem(&read_gate, &k);
	return v ? *v : 0;
}

/* Whether the filter at filter_base lets a dentry's name through to the
 * gate hash: bit (first byte & 63) of entry min(length, GATE_LEN - 1).
 * Plain loads and an array lookup (inlined by the verifier): no helper
 * call. A name too long to be stored in the dentry (40 bytes and more)
 * always passes, its bytes are elsewhere. */
static __always_inline bool gate_filter_passes(struct dentry *d, __u32 filter_base)
{
	__u32 len = d->d_name.len;
	if (len >= sizeof(d->d_shortname.string))
		return true;
	__u32 idx = filter_base + (len < GATE_LEN - 1 ? len : GATE_LEN - 1);
	__u64 *bits = bpf_map_lookup_elem(&gate_filter, &idx);
	return bits && (*bits & (1ULL << (d->d_shortname.words[0] & 63)));
}

/* The gate's value for a dentry's name when the filter at filter_base
 * lets it through, else 0: the name stored inline in the dentry (names
 * shorter than 40 bytes) is read with plain loads. */
static __always_inline __u8 gate_value(struct dentry *d, __u32 filter_base)
{
	if (!gate_filter_passes(d, filter_base))
		return 0;
	__u32 len = d->d_name.len;
	if (len >= sizeof(d->d_shortname.string))
		return gate(BPF_CORE_READ(d, d_name.name));
	struct gate_key k;
	__u64 *w = (__u64 *)k.name;
	w[0] = d->d_shortname.words[0];
	w[1] = d->d_shortname.words[1];
	/* Bytes past the name are stale: keep len of them, at most 15. */
	if (len < 8) {
		w[0] &= (1ULL << (len * 8)) - 1;
		w[1] = 0;
	} else if (len < 15) {
		w[1] &= (1ULL << ((len - 8) * 8)) - 1;
	} else {
		w[1] &= 0x00ffffffffffffffULL;
	}
	__u8 *v = bpf_map_lookup_elem(&read_gate, &k);
	return v ? *v : 0;
}

/* The read gate's answer for a dentry's name. */
static __always_inline __u8 gate_dentry(struct dentry *d)
{
	return gate_value(d, 0) & GATE_MASK;
}

/* Whether a write-open of f may have a modification class, decided
 * without building its path: false only when the first component of its
 * path below the task's root is the first component of no class prefix.
 *
 * Sound because every trie key starts with "/", a first component and
 * then '/' or the NUL of an exact path (fileclass keys()): a path whose
 * first component is none of the keys' first components is covered by no
 * key, however deep it is and whenever its directories were made, so a
 * recursive class (/var/log/ for /var/log/nginx/x.log) is found by "var".
 * Normalisation replaces components below /home and /proc only, never the
 * first. Everything the dentry walk alone cannot settle walks the whole
 * path as before: procfs, sysfs and cgroupfs (named from their mount
 * point), a file outside the task's root (outside), a path deeper than
 * the walk, a class "/" (GATE_FILTER_ALL). The gate is written with the
 * trie by fileclass.Fill, so a class filled later is gated in too.
 * Plain loads through BTF pointers: no helper call, no name copied, and
 * inlined in the open's exit program (a call and its return cost more
 * than a few steps of the walk). */
static __always_inline bool may_have_class(struct task_struct *task, struct file *f)
{
	struct dentry *d = f->f_path.dentry;
	unsigned long magic = d->d_sb->s_magic;
	if (magic == PROC_SUPER_MAGIC || magic == SYSFS_MAGIC || magic == CGROUP_SUPER_MAGIC ||
	    magic == CGROUP2_SUPER_MAGIC)
		return true;
	__u32 all = GATE_FILTER_ALL;
	__u64 *every = bpf_map_lookup_elem(&gate_filter, &all);
	if (!every || *every)
		return true;
	__u64 root_d = (__u64)task->fs->root.dentry;
	__u64 root_m = (__u64)task->fs->root.mnt;
	struct vfsmount *vm = f->f_path.mnt;
	struct mount *m = bpf_rdonly_cast((void *)((__u64)vm - offsetof(struct mount, mnt)),
					  bpf_core_type_id_kernel(struct mount));
	struct dentry *first = NULL;
	for (int i = 0; i < MAX_DEPTH * 2; i++) {
		if ((__u64)d == root_d && (__u64)&m->mnt == root_m) {
			if (!first)
				return true;
			return gate_value(first, GATE_FILTER_FIRST) & GATE_FIRST;
		}
		if (d == m->mnt.mnt_root) {
			struct mount *parent = m->mnt_parent;
			if (!parent || parent == m)
				return true; /* outside the task's root */
			d = m->mnt_mountpoint;
			m = parent;
			continue;
		}
		struct dentry *parent = d->d_parent;
		if (!parent || parent == d)
			return true;
		first = d;
		d = parent;
	}
	return true; /* deeper than the walk */
}

#endif
