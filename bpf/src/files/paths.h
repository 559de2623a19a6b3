/* Path syscalls: classified at enter, counted at exit.
 * Included by files.bpf.c after its maps and types. */
#ifndef RTSEC_FILES_PATHS_H
#define RTSEC_FILES_PATHS_H

/* The syscall number of a syscalls:sys_{enter,exit}_* record: an int
 * (__syscall_nr) where vmlinux.h's raw_syscalls layout has a long id, so
 * only the low 32 bits are the number. */
static __always_inline __u32 syscall_nr(long id)
{
	return (__u32)id & 0xffffff;
}

static __always_inline void stash(__u32 nr, __u8 class, __u8 op, __u8 extra, bool event)
{
	struct pending p = {.nr = nr, .class = class, .op = op, .extra = extra, .event = event};
	__u64 id = bpf_get_current_pid_tgid();
	if (bpf_map_update_elem(&file_pending, &id, &p, BPF_ANY))
		count_stat(&file_stats, STAT_FILE_PENDING_FULL);
}

/* Whether a modification by op of a path whose class has event_ops and
 * flags sends an event: a setuid bit set anywhere does, and so does a
 * container's chmod +x outside every class (drift). Its path is then
 * kept. */
static __always_inline bool critical(struct scratch *s, __u8 op, __u16 event_ops, __u8 flags)
{
	if (!events_per_cpu_second)
		return false;
	if (op == FOP_EXEC_MODE) {
		if (!in_container())
			return false;
	} else if (op != FOP_SETUID_BIT && !((event_ops & (1 << op)) && event_here(flags, CF_MOD_HOST_EVENTS))) {
		return false;
	}
	return save_event_path(s);
}

/* hidden_name's loop over s->key.path: s->hidden says whether the last
 * component seen starts with '.' and is neither "." nor "..". */
static long hidden_step(__u32 i, struct loop_ctx *ctx)
{
	struct scratch *s = ctx->s;
	const char *p = s->key.path;
	char c = p[i & (PATH_LEN - 1)];
	if (c == 0)
		return 1;
	char prev = i == 0 ? '/' : p[(i - 1) & (PATH_LEN - 1)];
	if (prev == '/' && c != '/') {
		char c1 = p[(i + 1) & (PATH_LEN - 1)], c2 = p[(i + 2) & (PATH_LEN - 1)];
		bool end1 = c1 == 0 || c1 == '/', end2 = c2 == 0 || c2 == '/';
		s->hidden = c == '.' && !end1 && !(c1 == '.' && end2);
	}
	return 0;
}

/* Whether the last component of a user path (the name a syscall creates)
 * starts with '.'. It reads into s->key, which the class lookups are done
 * with: call it after them. */
static __noinline bool hidden_name(struct scratch *s, const char *upath)
{
	s->hidden = 0;
	if (bpf_probe_read_user_str(s->key.path, PATH_LEN, upath) <= 0)
		return false;
	struct loop_ctx ctx = {.s = s};
	bpf_loop(PATH_LEN, hidden_step, &ctx, 0);
	return s->hidden;
}

/* Classifies the path argument (dfd, upath) for op and stashes it. A
 * second path (the destination of rename, the new name of a link) is
 * classified when the first has no class; the event names the path that
 * gave the class. A chmod that sets an x bit (OP_EXEC) also counts
 * exec_mode, under "other" outside every class; a name created in a class
 * (mkdir, mknod, the new name of link, symlink, rename) that starts with
 * '.' also counts hidden, unless such names are ordinary there
 * (CF_DOTFILES: home directories). */
static __noinline void path_op(int dfd, const char *upath, int dfd2, const char *upath2, __u32 opnr)
{
	__u8 op = opnr & ~OP_EXEC & 0xff;
	bool exec = opnr & OP_EXEC;
	struct scratch *s = get_scratch();
	if (!s)
		return;
	bool traversal = false;
	struct class_val *cv = classify_at(s, dfd, upath, &traversal);
	__u8 class = 0, flags = 0;
	__u16 event_ops = 0;
	if (cv) {
		class = cv->mod_class;
		flags = cv->flags;
		event_ops = cv->event_ops;
	}
	/* A link counts under its target's class only where the class says so. */
	if ((op == FOP_LINK || op == FOP_SYMLINK) && !(flags & CF_LINK_TARGET))
		class = 0;
	if (!class && upath2) {
		traversal = false;
		cv = classify_at(s, dfd2, upath2, &traversal);
		if (cv) {
			class = cv->mod_class;
			flags = cv->flags;
			event_ops = cv->event_ops;
		}
	}
	if (!class && (op == FOP_SETUID_BIT || exec))
		class = PATH_CLASS_OTHER;
	if (!class)
		return;
	if ((flags & CF_CREATES_ONLY) && op != FOP_CREATE && op != FOP_MKDIR && op != FOP_SYMLINK && op != FOP_LINK)
		return;
	__u8 extra = traversal ? EXTRA_TRAVERSAL : 0;
	if (exec)
		extra |= EXTRA_EXEC_MODE;
	if (class == PATH_CLASS_OTHER && op == FOP_CHMOD) { /* only the drift counts */
		op = FOP_EXEC_MODE;
		extra &= ~EXTRA_EXEC_MODE;
	}
	bool event = critical(s, op, event_ops, flags);
	const char *created = upath2 ? upath2 : (op == FOP_MKDIR || op == FOP_CREATE) ? upath : NULL;
	if (created && class != PATH_CLASS_OTHER && !(flags & CF_DOTFILES) && hidden_name(s, created))
		extra |= EXTRA_HIDDEN;
	stash(opnr >> 8, class, op, extra, event);
}

/* The op and the syscall number (which the exit checks), in one argument:
 * BPF functions take at most five. */
#define OPNR(op) ((__u32)(op) | (syscall_nr(ctx->id) << 8))

/* An fd syscall (fchmod, fchown, ftruncate): classified from the file. An
 * fchmod that sets an x bit on a regular file also counts exec_mode. */
static __noinline void fd_op(int fd, __u32 opnr)
{
	__u8 op = opnr & ~OP_EXEC & 0xff;
	struct file *f = fd_file(fd);
	struct scratch *s = get_scratch();
	if (!f || !s)
		return;
	bool exec = (opnr & OP_EXEC) && (BPF_CORE_READ(f, f_inode, i_mode) & S_IFMT) == S_IFREG;
	bool outside = false;
	struct class_val *cv = classify_file(s, f, &outside);
	__u8 class = cv ? cv->mod_class : 0;
	if (!class && (op == FOP_SETUID_BIT || exec))
		class = PATH_CLASS_OTHER;
	if (!class || (cv && (cv->flags & CF_CREATES_ONLY)))
		return;
	__u8 extra = exec ? EXTRA_EXEC_MODE : 0;
	if (class == PATH_CLASS_OTHER && op == FOP_CHMOD) {
		op = FOP_EXEC_MODE;
		extra = 0;
	}
	stash(opnr >> 8, class, op, extra, critical(s, op, cv ? cv->event_ops : 0, cv ? cv->flags : 0));
}

/* The op of a chmod to mode, with OP_EXEC when it sets an x bit. */
static __always_inline __u8 chmod_op(__u64 mode)
{
	__u8 op = (mode & (S_ISUID | S_ISGID)) ? FOP_SETUID_BIT : FOP_CHMOD;
	return (mode & S_IXUGO) ? op | OP_EXEC : op;
}

#define ARG(n) ((const char *)ctx->args[n])

SEC("tracepoint/syscalls/sys_enter_unlink")
int file_enter_unlink(struct trace_event_raw_sys_enter *ctx) { path_op(AT_FDCWD, ARG(0), 0, NULL, OPNR(FOP_UNLINK)); return 0; }

SEC("tracepoint/syscalls/sys_enter_unlinkat")
int file_enter_unlinkat(struct trace_event_raw_sys_enter *ctx) { path_op(ctx->args[0], ARG(1), 0, NULL, OPNR(FOP_UNLINK)); return 0; }

SEC("tracepoint/syscalls/sys_enter_rmdir")
int file_enter_rmdir(struct trace_event_raw_sys_enter *ctx) { path_op(AT_FDCWD, ARG(0), 0, NULL, OPNR(FOP_UNLINK)); return 0; }

SEC("tracepoint/syscalls/sys_enter_rename")
int file_enter_rename(struct trace_event_raw_sys_enter *ctx) { path_op(AT_FDCWD, ARG(0), AT_FDCWD, ARG(1), OPNR(FOP_RENAME)); return 0; }

SEC("tracepoint/syscalls/sys_enter_renameat")
int file_enter_renameat(struct trace_event_raw_sys_enter *ctx) { path_op(ctx->args[0], ARG(1), ctx->args[2], ARG(3), OPNR(FOP_RENAME)); return 0; }

SEC("tracepoint/syscalls/sys_enter_renameat2")
int file_enter_renameat2(struct trace_event_raw_sys_enter *ctx) { path_op(ctx->args[0], ARG(1), ctx->args[2], ARG(3), OPNR(FOP_RENAME)); return 0; }

SEC("tracepoint/syscalls/sys_enter_chmod")
int file_enter_chmod(struct trace_event_raw_sys_enter *ctx) { path_op(AT_FDCWD, ARG(0), 0, NULL, OPNR(chmod_op(ctx->args[1]))); return 0; }

SEC("tracepoint/syscalls/sys_enter_fchmodat")
int file_enter_fchmodat(struct trace_event_raw_sys_enter *ctx) { path_op(ctx->args[0], ARG(1), 0, NULL, OPNR(chmod_op(ctx->args[2]))); return 0; }

SEC("tracepoint/syscalls/sys_enter_fchmodat2")
int file_enter_fchmodat2(struct trace_event_raw_sys_enter *ctx) { path_op(ctx->args[0], ARG(1), 0, NULL, OPNR(chmod_op(ctx->args[2]))); return 0; }

SEC("tracepoint/syscalls/sys_enter_fchmod")
int file_enter_fchmod(struct trace_event_raw_sys_enter *ctx) { fd_op(ctx->args[0], OPNR(chmod_op(ctx->args[1]))); return 0; }

SEC("tracepoint/syscalls/sys_enter_chown")
int file_enter_chown(struct trace_event_raw_sys_enter *ctx) { path_op(AT_FDCWD, ARG(0), 0, NULL, OPNR(FOP_CHOWN)); return 0; }

SEC("tracepoint/syscalls/sys_enter_lchown")
int file_enter_lchown(struct trace_event_raw_sys_enter *ctx) { path_op(AT_FDCWD, ARG(0), 0, NULL, OPNR(FOP_CHOWN)); return 0; }

SEC("tracepoint/syscalls/sys_enter_fchownat")
int file_enter_fchownat(struct trace_event_raw_sys_enter *ctx) { path_op(ctx->args[0], ARG(1), 0, NULL, OPNR(FOP_CHOWN)); return 0; }

SEC("tracepoint/syscalls/sys_enter_fchown")
int file_enter_fchown(struct trace_event_raw_sys_enter *ctx) { fd_op(ctx->args[0], OPNR(FOP_CHOWN)); return 0; }

SEC("tracepoint/syscalls/sys_enter_link")
int file_enter_link(struct trace_event_raw_sys_enter *ctx) { path_op(AT_FDCWD, ARG(0), AT_FDCWD, ARG(1), OPNR(FOP_LINK)); return 0; }

SEC("tracepoint/syscalls/sys_enter_linkat")
int file_enter_linkat(struct trace_event_raw_sys_enter *ctx) { path_op(ctx->args[0], ARG(1), ctx->args[2], ARG(3), OPNR(FOP_LINK)); return 0; }

/* A symlink's target is resolved against the cwd, not the link's directory. */
SEC("tracepoint/syscalls/sys_enter_symlink")
int file_enter_symlink(struct trace_event_raw_sys_enter *ctx) { path_op(AT_FDCWD, ARG(0), AT_FDCWD, ARG(1), OPNR(FOP_SYMLINK)); return 0; }

SEC("tracepoint/syscalls/sys_enter_symlinkat")
int file_enter_symlinkat(struct trace_event_raw_sys_enter *ctx) { path_op(AT_FDCWD, ARG(0), ctx->args[1], ARG(2), OPNR(FOP_SYMLINK)); return 0; }

SEC("tracepoint/syscalls/sys_enter_mkdir")
int file_enter_mkdir(struct trace_event_raw_sys_enter *ctx) { path_op(AT_FDCWD, ARG(0), 0, NULL, OPNR(FOP_MKDIR)); return 0; }

SEC("tracepoint/syscalls/sys_enter_mkdirat")
int file_enter_mkdirat(struct trace_event_raw_sys_enter *ctx) { path_op(ctx->args[0], ARG(1), 0, NULL, OPNR(FOP_MKDIR)); return 0; }

SEC("tracepoint/syscalls/sys_enter_mknod")
int file_enter_mknod(struct trace_event_raw_sys_enter *ctx) { path_op(AT_FDCWD, ARG(0), 0, NULL, OPNR(FOP_CREATE)); return 0; }

SEC("tracepoint/syscalls/sys_enter_mknodat")
int file_enter_mknodat(struct trace_event_raw_sys_enter *ctx) { path_op(ctx->args[0], ARG(1), 0, NULL, OPNR(FOP_CREATE)); return 0; }

SEC("tracepoint/syscalls/sys_enter_truncate")
int file_enter_truncate(struct trace_event_raw_sys_enter *ctx) { path_op(AT_FDCWD, ARG(0), 0, NULL, OPNR(FOP_TRUNCATE)); return 0; }

SEC("tracepoint/syscalls/sys_enter_ftruncate")
int file_enter_ftruncate(struct trace_event_raw_sys_enter *ctx) { fd_op(ctx->args[0], OPNR(FOP_TRUNCATE)); return 0; }

/* Sends the event of a critical path syscall, if it succeeded, with the
 * path its enter kept. */
static __noinline void path_event(__u64 id, bool ok, __u32 code)
{
	struct event_path *p = bpf_map_lookup_elem(&file_event_paths, &id);
	if (!p)
		return;
	if (ok)
		file_event(EVENT_FILE_MODIFICATION, code, p->path, p->len);
	bpf_map_delete_elem(&file_event_paths, &id);
}

/* Every path syscall's exit: counts what its enter stashed, on success. */
static __always_inline int on_path_exit(struct trace_event_raw_sys_exit *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct pending *p = bpf_map_lookup_elem(&file_pending, &id);
	if (!p)
		return 0;
	struct pending got = *p;
	bpf_map_delete_elem(&file_pending, &id);
	bool ok = ctx->ret >= 0 && got.nr == syscall_nr(ctx->id);
	if (ok) {
		count(0, got.class, got.op);
		if (got.extra & EXTRA_TRAVERSAL)
			count(0, got.class, FOP_TRAVERSAL);
		if (got.extra & EXTRA_EXEC_MODE)
			count(0, got.class, FOP_EXEC_MODE);
		if (got.extra & EXTRA_HIDDEN)
			count(0, got.class, FOP_HIDDEN);
	}
	if (got.event)
		path_event(id, ok, file_code(got.op, got.class, got.extra & EXTRA_TRAVERSAL));
	return 0;
}

#define PATH_EXIT(name)                                                   \
	SEC("tracepoint/syscalls/sys_exit_" #name)                        \
	int file_exit_##name(struct trace_event_raw_sys_exit *ctx)        \
	{                                                                 \
		return on_path_exit(ctx);                                 \
	}

PATH_EXIT(unlink)
PATH_EXIT(unlinkat)
PATH_EXIT(rmdir)
PATH_EXIT(rename)
PATH_EXIT(renameat)
PATH_EXIT(renameat2)
PATH_EXIT(chmod)
PATH_EXIT(fchmodat)
PATH_EXIT(fchmodat2)
PATH_EXIT(fchmod)
PATH_EXIT(chown)
PATH_EXIT(lchown)
PATH_EXIT(fchownat)
PATH_EXIT(fchown)
PATH_EXIT(link)
PATH_EXIT(linkat)
PATH_EXIT(symlink)
PATH_EXIT(symlinkat)
PATH_EXIT(mkdir)
PATH_EXIT(mkdirat)
PATH_EXIT(mknod)
PATH_EXIT(mknodat)
PATH_EXIT(truncate)
PATH_EXIT(ftruncate)

#endif
