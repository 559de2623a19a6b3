/* Opens: classified at exit from the opened file.
 * Included by files.bpf.c after its maps and types. */
#ifndef RTSEC_FILES_OPENS_H
#define RTSEC_FILES_OPENS_H

/* Whether the raw path argument of the open holds a ".." component. */
static long dotdot_step(__u32 i, struct loop_ctx *ctx)
{
	struct scratch *s = ctx->s;
	__u32 at = (WALK_END + i) & BUF_MASK;
	char c = s->in[at];
	if (c == 0)
		return 1;
	if (c == '.' && s->in[(at + 1) & BUF_MASK] == '.') {
		char before = i == 0 ? '/' : s->in[(at - 1) & BUF_MASK];
		char after = s->in[(at + 2) & BUF_MASK];
		if (before == '/' && (after == '/' || after == 0)) {
			s->in[WALK_END + USER_LEN] = 1;
			return 1;
		}
	}
	return 0;
}

static __noinline bool raw_has_dotdot(struct scratch *s, const char *upath)
{
	s->in[WALK_END + USER_LEN] = 0;
	long n = bpf_probe_read_user_str(&s->in[WALK_END], USER_LEN, upath);
	if (n <= 0)
		return false;
	struct loop_ctx ctx = {.s = s};
	bpf_loop(USER_LEN, dotdot_step, &ctx, 0);
	return s->in[WALK_END + USER_LEN] == 1;
}

/* Which syscall argument holds the path, and the flags, per open syscall. */
#define ARG_OPENAT 0
#define ARG_OPEN 1
#define ARG_CREAT 2
#define ARG_OPENAT2 3

/* The open syscalls' arguments, from the registers the task entered the
 * syscall with: the syscall ABI of the target architecture (bpf2go -target
 * amd64,arm64 builds one object each, with __TARGET_ARCH_x86 or
 * __TARGET_ARCH_arm64). x86-64: di, si, dx; arm64: orig_x0 (x0 is
 * overwritten by the return value at exit), x1, x2. */
static __always_inline void open_args(int kind, const char **path, __u64 *flags)
{
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());
	*path = NULL;
	*flags = 0;
	switch (kind) {
	case ARG_OPENAT:
		*path = (const char *)PT_REGS_PARM2_CORE_SYSCALL(regs);
		*flags = PT_REGS_PARM3_CORE_SYSCALL(regs);
		break;
	case ARG_OPEN:
		*path = (const char *)PT_REGS_PARM1_CORE_SYSCALL(regs);
		*flags = PT_REGS_PARM2_CORE_SYSCALL(regs);
		break;
	case ARG_CREAT:
		*path = (const char *)PT_REGS_PARM1_CORE_SYSCALL(regs);
		*flags = O_CREAT | O_TRUNC | 1;
		break;
	case ARG_OPENAT2: {
		*path = (const char *)PT_REGS_PARM2_CORE_SYSCALL(regs);
		struct open_how *how = (struct open_how *)PT_REGS_PARM3_CORE_SYSCALL(regs);
		bpf_probe_read_user(flags, sizeof(*flags), &how->flags);
		break;
	}
	}
}

/* Whether a character device is /dev/mem, /dev/kmem or /dev/port. */
static __always_inline bool kernel_memory_device(struct inode *inode)
{
	dev_t rdev = inode->i_rdev;
	__u32 minor = rdev & 0xfffff;
	return (rdev >> 20) == MEM_MAJOR && (minor == 1 || minor == 2 || minor == 4);
}

/* Whether a read-only open (or a write-open of a character device) may be
 * a sensitive read, decided with plain loads: a block device, a kernel
 * memory device, or a file whose name or parent's name passes the read
 * gate's filter. Everything else, most opens, leaves without a call. */
static __always_inline bool may_be_sensitive(struct dentry *d, struct inode *inode, __u16 type)
{
	if (type == S_IFBLK)
		return true;
	if (type == S_IFCHR)
		return kernel_memory_device(inode);
	return gate_filter_passes(d, 0) || gate_filter_passes(d->d_parent, 0);
}

/* A read-only open of a file that may be sensitive. */
static __noinline void sensitive_read(struct file *f, struct inode *inode, __u16 mode, int kind)
{
	struct dentry *d = f->f_path.dentry;
	__u16 type = mode & S_IFMT;
	if (type == S_IFBLK) {
		count(1, FILE_CLASS_RAW_BLOCK_DEVICE, 0);
		if (in_container()) /* udev and disk tools on the host */
			file_event_walk(EVENT_FILE_SENSITIVE_READ, file_code(0, FILE_CLASS_RAW_BLOCK_DEVICE, false), f);
		return;
	}
	if (type == S_IFCHR) {
		if (kernel_memory_device(inode)) {
			count(1, FILE_CLASS_KERNEL_MEMORY, 0);
			file_event_walk(EVENT_FILE_SENSITIVE_READ, file_code(0, FILE_CLASS_KERNEL_MEMORY, false), f);
		}
		return;
	}
	__u8 g = gate_dentry(d);
	if (g == 0)
		g = gate_dentry(d->d_parent);
	if (g == 0 || g == GATE_RELEASE_AGENT)
		return;
	if (g != GATE_PATH) {
		if (BPF_CORE_READ(d, d_sb, s_magic) != PROC_SUPER_MAGIC)
			return;
		if (g == GATE_KCORE) {
			count(1, FILE_CLASS_KERNEL_MEMORY, 0);
			file_event_walk(EVENT_FILE_SENSITIVE_READ, file_code(0, FILE_CLASS_KERNEL_MEMORY, false), f);
			return;
		}
		struct proc_inode *pi = container_of(inode, struct proc_inode, vfs_inode);
		struct pid *owner = BPF_CORE_READ(pi, pid);
		struct task_struct *task = (struct task_struct *)bpf_get_current_task();
		if (owner == BPF_CORE_READ(task, thread_pid) || owner == BPF_CORE_READ(task, group_leader, thread_pid))
			return; /* its own environment or memory */
		__u8 rc = g == GATE_PROC_ENVIRON ? FILE_CLASS_PROC_ENVIRON : FILE_CLASS_PROC_MEM;
		count(1, rc, 0);
		if (rc == FILE_CLASS_PROC_MEM || in_container()) /* host tools read environ (ps e) */
			file_event_walk(EVENT_FILE_SENSITIVE_READ, file_code(0, rc, false), f);
		return;
	}
	struct scratch *s = get_scratch();
	if (!s)
		return;
	bool outside = false;
	struct class_val *cv = classify_file(s, f, &outside);
	if (!cv || !cv->read_class)
		return;
	__u8 rc = cv->read_class;
	if ((cv->flags & CF_OWN_TOKEN) && !outside)
		rc = FILE_CLASS_K8S_OWN_TOKEN;
	count(1, rc, 0);
	const char *upath;
	__u64 flags;
	open_args(kind, &upath, &flags);
	bool traversal = upath && raw_has_dotdot(s, upath);
	if (traversal)
		count(1, FILE_CLASS_TRAVERSAL, 0);
	/* A pod reading its own token is what pods do: no event. */
	if (rc != FILE_CLASS_K8S_OWN_TOKEN && event_here(cv->flags, CF_READ_HOST_EVENTS))
		walked_event(s, EVENT_FILE_SENSITIVE_READ, file_code(0, rc, traversal));
}

/* Kills the task whose write-open of class the policy names: at the
 * open's exit, before any write (enforce.h). The runtime setting up a
 * container is never killed. */
static __always_inline void enforce_open(__u8 class)
{
	if (enforce_enabled && !by_runtime())
		enforce_act(ENFORCE_SIGNAL_FILE_MODIFICATION, class_bits(class));
}

/* An open for writing that may be counted (on_open_exit decided): counted
 * when its path has a class. A regular file that the open created with an
 * x bit in its mode is drift wherever it is (exec_mode, under "other"
 * outside every class); a created name starting with '.' in a class is
 * hidden. */
static __noinline void modifying_open(struct file *f, __u16 mode, int kind, bool release_agent, bool exec)
{
	struct dentry *d = f->f_path.dentry;
	bool created = f->f_mode & FMODE_CREATED;
	const char *upath;
	__u64 flags;
	open_args(kind, &upath, &flags);
	__u8 op = FOP_WRITE;
	if (created)
		op = FOP_CREATE;
	else if (flags & O_TRUNC)
		op = FOP_TRUNCATE;
	const unsigned char *name = BPF_CORE_READ(d, d_name.name);
	if (release_agent) {
		count(0, PATH_CLASS_CGROUP_RELEASE_AGENT, op);
		enforce_open(PATH_CLASS_CGROUP_RELEASE_AGENT);
		file_event_walk(EVENT_FILE_MODIFICATION, file_code(op, PATH_CLASS_CGROUP_RELEASE_AGENT, false), f);
		return;
	}
	bool hidden = false;
	if (op == FOP_CREATE) {
		char first = 0;
		bpf_probe_read_kernel(&first, 1, name);
		hidden = first == '.'; /* a created file is never "." or ".." */
	}
	struct scratch *s = get_scratch();
	if (!s)
		return;
	bool outside = false;
	struct class_val *cv = classify_file(s, f, &outside);
	if (outside && (mode & S_IFMT) == S_IFREG) {
		/* Its path is relative to another root: no class of the writer's.
		 * Regular files only: a /proc/self/fd reopen of an anonymous inode
		 * (eventfd…) also ends outside, on a kernel mount.
		 * Counted for the host too (writes into a container through
		 * /proc/<pid>/root); hostPID containers are host processes here. */
		count(0, PATH_CLASS_PROC_EXE, op);
		enforce_open(PATH_CLASS_PROC_EXE);
		walked_event(s, EVENT_FILE_MODIFICATION, file_code(op, PATH_CLASS_PROC_EXE, false));
		return;
	}
	if (!cv || !cv->mod_class) {
		if (exec) {
			count(0, PATH_CLASS_OTHER, FOP_EXEC_MODE);
			/* the host's package manager installs binaries; in_end: the walk
			 * classify_file made is in s->in */
			if (in_container() && events_per_cpu_second && s->n.in_end)
				walked_event(s, EVENT_FILE_MODIFICATION, file_code(FOP_EXEC_MODE, PATH_CLASS_OTHER, false));
		}
		return;
	}
	if ((cv->flags & CF_CREATES_ONLY) && op != FOP_CREATE)
		return;
	__u8 class = cv->mod_class;
	bool event = (cv->event_ops & (1 << op)) && event_here(cv->flags, CF_MOD_HOST_EVENTS);
	count(0, class, op);
	enforce_open(class);
	if (exec)
		count(0, class, FOP_EXEC_MODE);
	if (hidden && !(cv->flags & CF_DOTFILES))
		count(0, class, FOP_HIDDEN);
	bool traversal = upath && raw_has_dotdot(s, upath);
	if (traversal)
		count(0, class, FOP_TRAVERSAL);
	if (event)
		walked_event(s, EVENT_FILE_MODIFICATION, file_code(op, class, traversal));
}

/* The file an open returned, read from the task's fd table with plain
 * loads: a bpf_probe_read_kernel of the slot cost more than the rest of
 * the hot path. bpf_rdonly_cast casts to structs only before Linux 6.17:
 * the slot is cast to struct kiocb, whose first member is a struct file
 * pointer, and read as an integer at offset 0, whatever else kiocb holds.
 * NULL when the slot is empty (another thread closed the fd). */
static __always_inline struct file *opened_file(struct task_struct *task, long fd)
{
	struct fdtable *fdt = task->files->fdt;
	if ((unsigned long)fd >= fdt->max_fds)
		return NULL;
	__u64 *slot = bpf_rdonly_cast(&fdt->fd[fd], bpf_core_type_id_kernel(struct kiocb));
	__u64 raw = *slot;
	if (!raw)
		return NULL;
	return bpf_rdonly_cast((void *)raw, bpf_core_type_id_kernel(struct file));
}

/* The hot path: most opens are rejected here with plain loads (BTF
 * pointers) and inlined array lookups, the task's pointer the only helper
 * call: every helper or BPF function call and its return cost ~15-20 ns
 * on a kernel with return-thunk mitigations, as much as the whole
 * rejection. Only opens that may count call sensitive_read or
 * modifying_open. */
static __always_inline int on_open_exit(struct trace_event_raw_sys_exit *ctx, int kind)
{
	long fd = ctx->ret;
	if (fd < 0)
		return 0;
	struct task_struct *task = bpf_get_current_task_btf();
	struct file *f = opened_file(task, fd);
	if (!f)
		return 0;
	struct inode *inode = f->f_inode;
	__u16 mode = inode->i_mode;
	__u16 type = mode & S_IFMT;
	struct dentry *d = f->f_path.dentry;
	if (!(f->f_mode & FMODE_WRITE)) {
		if (type != S_IFDIR && may_be_sensitive(d, inode, type))
			sensitive_read(f, inode, mode, kind);
		return 0;
	}
	/* Character devices (/dev/null, ttys) are written all the time and are
	 * never modifications of a class (/dev counts creations): no walk.
	 * /dev/mem and friends still count, as kernel memory. A FIFO (runc's
	 * exec.fifo at each container start) holds no data. */
	if (type == S_IFCHR) {
		if (kernel_memory_device(inode))
			sensitive_read(f, inode, mode, kind);
		return 0;
	}
	if (type == S_IFIFO)
		return 0;
	/* A write-open no class can cover is rejected before any path is built.
	 * Release agents (by name) and drift (exec: counts outside every class)
	 * walk whatever the gate says. */
	__u32 len = d->d_name.len;
	bool release_agent = (len == RELEASE_AGENT_LEN || len == NOTIFY_ON_RELEASE_LEN) &&
			     gate_dentry(d) == GATE_RELEASE_AGENT;
	bool exec = (f->f_mode & FMODE_CREATED) && type == S_IFREG && (mode & S_IXUGO);
	if (release_agent || exec || may_have_class(task, f))
		modifying_open(f, mode, kind, release_agent, exec);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_openat")
int file_exit_openat(struct trace_event_raw_sys_exit *ctx) { return on_open_exit(ctx, ARG_OPENAT); }

SEC("tracepoint/syscalls/sys_exit_open")
int file_exit_open(struct trace_event_raw_sys_exit *ctx) { return on_open_exit(ctx, ARG_OPEN); }

SEC("tracepoint/syscalls/sys_exit_creat")
int file_exit_creat(struct trace_event_raw_sys_exit *ctx) { return on_open_exit(ctx, ARG_CREAT); }

SEC("tracepoint/syscalls/sys_exit_openat2")
int file_exit_openat2(struct trace_event_raw_sys_exit *ctx) { return on_open_exit(ctx, ARG_OPENAT2); }

#endif
