// SPDX-License-Identifier: GPL-2.0
/* File modifications and sensitive-file reads, counted per container key
 * (cgroup v2 id), path class and operation.
 *
 * Opens are classified at sys_exit from the opened file itself (fd -> file
 * -> f_path walked up to the task's root), which is exact: `..`, `.`,
 * repeated slashes and symlinks are already resolved by the kernel. The hot
 * path is a read-only open of an ordinary file; it is rejected after
 * reading the file's mode and the names of the file and its parent
 * (a hash lookup each), before any path is built.
 *
 * Path syscalls (unlink, rename, chmod, link, mkdir...) are classified at
 * sys_enter, because the target of unlink or rename is gone at exit: the
 * user string is resolved against the dirfd or the cwd (a dentry walk) and
 * normalised (`.`, `..`, `//`); the result is kept per thread and counted
 * at sys_exit if the syscall succeeded. Symlinks inside such a path are not
 * followed (the kernel would), so for these syscalls a path reached through
 * an intermediate symlink is classified by the link's own path.
 *
 * Normalised paths are looked up in an LPM trie of class prefixes filled
 * by the exporter. Paths below /home have their user component replaced by
 * "*", and pid components below /proc by "*", so that one prefix covers
 * every user and process. Files of procfs, sysfs and cgroupfs are named
 * from their filesystem's usual mount point (/proc, /sys, /sys/fs/cgroup)
 * wherever they are mounted.
 *
 * Modifications of critical classes (class_val.event_ops) and every
 * sensitive read but a pod's own token also go to the event log
 * (events.h) with the file's exact path: the walk itself for opens, and
 * for path syscalls the path normalised again without wildcards, kept per
 * thread from enter to exit. This costs the unwatched open nothing: events
 * are sent only where a count is. Host processes (the initial pid
 * namespace) send them only for the classes marked CF_*_HOST_EVENTS: the
 * host's package manager, kubelet and runtime write and read their own
 * classes all the time. */
#include "rtsec.h"
#include "events.h"
#include "pt_regs.h"
#include "process/runtime.h"

#define PATH_LEN 256          /* classified prefix of a path (LPM key data) */
#define BUF_LEN 2048          /* walk and normalisation buffers */
#define BUF_MASK (BUF_LEN - 1)
#define WALK_END 1024         /* the walk writes backwards up to here */
#define USER_LEN 256          /* user path argument */
#define NAME_CAP 63           /* bytes kept of each path component */
#define MAX_DEPTH 16          /* components of a walked path */
#define MAX_COMPONENTS 64     /* components of a normalised path */

#define PROC_SUPER_MAGIC 0x9fa0
#define SYSFS_MAGIC 0x62656572
#define CGROUP_SUPER_MAGIC 0x27e0eb
#define CGROUP2_SUPER_MAGIC 0x63677270

#define FMODE_WRITE 0x2
#define FMODE_CREATED (1 << 20)
#define O_ACCMODE 3
#define O_CREAT 0100
#define O_TRUNC 01000
#define AT_FDCWD -100
#define S_IFMT 0170000
#define S_IFREG 0100000
#define S_IFDIR 0040000
#define S_IFCHR 0020000
#define S_IFBLK 0060000
#define S_IFIFO 0010000
#define S_ISUID 04000
#define S_ISGID 02000
#define S_IXUGO 0111
#define MEM_MAJOR 1

STATS_MAP(file_stats);

/* Turns a kernel pointer into a read-only BTF pointer: its fields are then
 * read with plain loads instead of bpf_probe_read_kernel calls. */
extern void *bpf_rdonly_cast(const void *obj, __u32 btf_id) __ksym;

/* file_stats indexes */
enum file_stat {
	STAT_FILE_COUNTS_FULL,
	STAT_FILE_PENDING_FULL,
	STAT_FILE_UNRESOLVED,
	STAT_FILE_EVENT_PATHS_FULL,
};

/* Operations (label op). */
enum fop {
	FOP_NONE,
	FOP_WRITE,
	FOP_CREATE,
	FOP_TRUNCATE,
	FOP_UNLINK,
	FOP_RENAME,
	FOP_CHMOD,
	FOP_SETUID_BIT,
	FOP_CHOWN,
	FOP_LINK,
	FOP_SYMLINK,
	FOP_MKDIR,
	/* counted in addition to the op of the syscall */
	FOP_TRAVERSAL,
	FOP_EXEC_MODE, /* a file created executable, or a chmod that sets an x bit: drift */
	FOP_HIDDEN,    /* a name starting with '.' created in a class */
};

/* The additional counts of a syscall (pending.extra). */
#define EXTRA_TRAVERSAL 1
#define EXTRA_EXEC_MODE 2
#define EXTRA_HIDDEN 4

/* chmod_op's flag, in the op byte of OPNR: the new mode has an x bit. */
#define OP_EXEC 0x80

/* Fixed read classes that need no path (label file_class); the exporter
 * numbers the configurable classes after these. */
enum file_class {
	FILE_CLASS_NONE,
	FILE_CLASS_TRAVERSAL,
	FILE_CLASS_KERNEL_MEMORY,
	FILE_CLASS_RAW_BLOCK_DEVICE,
	FILE_CLASS_PROC_ENVIRON,
	FILE_CLASS_PROC_MEM,
	FILE_CLASS_K8S_OWN_TOKEN,
};

/* The fixed modification classes (label path_class): of cgroup
 * release_agent/notify_on_release files, wherever the hierarchy is
 * mounted; of setuid bits and x bits set
 * on a path no class covers; and of a write to a file outside the writer's
 * own root (proc_exe: from a container, the host's runc binary through
 * /proc/<pid>/exe or a /proc/self/fd of it, CVE-2019-5736; from anywhere,
 * another root's files through /proc/<pid>/root). */
enum path_class {
	PATH_CLASS_NONE,
	PATH_CLASS_CGROUP_RELEASE_AGENT,
	PATH_CLASS_OTHER,
	PATH_CLASS_PROC_EXE,
};

/* Class flags (class_val.flags). */
enum class_flag {
	CF_CREATES_ONLY = 1,     /* count only create/mkdir/symlink/link ops (dev) */
	CF_LINK_TARGET = 2,      /* a link or symlink pointing here counts */
	CF_OWN_TOKEN = 4,        /* a read from inside the task's root is its own token */
	CF_MOD_HOST_EVENTS = 8,  /* critical modifications by host processes send events too */
	CF_READ_HOST_EVENTS = 16, /* sensitive reads by host processes send events too */
	CF_DOTFILES = 32,        /* names starting with '.' are ordinary here (homes): not hidden */
};

/* Bytes of a file name in the read gate, its NUL included. */
enum gate_len {
	GATE_LEN = 16,
};

/* Read gate values (read_gate map). */
enum gate {
	GATE_PATH = 1,      /* classify by path */
	GATE_PROC_ENVIRON,  /* on procfs */
	GATE_PROC_MEM,      /* on procfs */
	GATE_KCORE,         /* on procfs */
	GATE_RELEASE_AGENT, /* a cgroup release agent, when written */
};

struct file_key {
	__u64 cgroup_id;
	__u8 read;  /* 0: modification, 1: sensitive read */
	__u8 class; /* path_class or file_class id */
	__u8 op;
	__u8 pad[5];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, struct file_key);
	__type(value, __u64);
} file_counts SEC(".maps");

struct path_key {
	__u32 prefixlen;
	char path[PATH_LEN];
};

struct class_val {
	__u8 mod_class;
	__u8 read_class;
	__u8 flags;
	__u8 pad;
	/* bit (1 << op): a modification by op sends an event (critical) */
	__u16 event_ops;
	__u16 pad2;
};

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 1024);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct path_key);
	__type(value, struct class_val);
} file_classes SEC(".maps");

struct gate_key {
	char name[GATE_LEN];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 256);
	__type(key, struct gate_key);
	__type(value, __u8);
} read_gate SEC(".maps");

/* A cheap filter before read_gate: bit (first byte & 63) of entry
 * min(name length, GATE_LEN - 1) is set for every name in the gate. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, GATE_LEN);
	__type(key, __u32);
	__type(value, __u64);
} gate_filter SEC(".maps");

/* A path syscall classified at enter, counted at exit if it succeeded. */
struct pending {
	__u32 nr; /* the syscall, so a stale entry (a thread that died in it) never counts for another */
	__u8 class;
	__u8 op;
	__u8 extra; /* EXTRA_* */
	__u8 event; /* send an event: its path is in file_event_paths */
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, struct pending);
} file_pending SEC(".maps");

/* The exact path of a pending critical path syscall, per thread. LRU: an
 * entry of a thread that died in the syscall makes way. */
struct event_path {
	__u32 len;
	__u32 pad;
	char path[EVENT_PATH_LEN];
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1024);
	__type(key, __u64);
	__type(value, struct event_path);
} file_event_paths SEC(".maps");

/* State of the walk and normalisation loops. It lives in the scratch map,
 * not on the stack, so that the verifier does not track its values and
 * verifies each loop body once. */
struct walk {
	/* kernel pointers, as integers (bpf2go generates no pointer fields) */
	__u64 dentry;      /* struct dentry * */
	__u64 mnt;         /* struct mount * */
	__u64 root_dentry; /* struct dentry * */
	__u64 root_mnt;    /* struct vfsmount * */
	__u32 pos;          /* start of the path written so far in in[] */
	__u8 stop_at_mount; /* a pseudo filesystem: name it from its mount root */
	__u8 outside_root;  /* reached a namespace root, not the task's root */
	__u8 done;
};

struct norm {
	__u32 in_start, in_end;
	__u32 out_len;
	__u32 tok_start; /* out offset of the current token's '/' */
	__u32 tok_len;
	__u32 depth;
	__u8 numeric, dots_only, traversal, overflow;
	__u8 under_home, under_proc, proc_task;
	__u8 exact; /* no wildcards: the path for an event */
};

struct scratch {
	char in[BUF_LEN];
	char out[BUF_LEN];
	__u16 slash[MAX_COMPONENTS];
	struct path_key key;
	struct walk w;
	struct norm n;
	struct event_path ev;
	__u8 hidden; /* hidden_name's answer */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct scratch);
} file_scratch SEC(".maps");

/* What a bpf_loop callback gets: the scratch holding its state. */
struct loop_ctx {
	struct scratch *s;
};

/* Whether the current task is the container runtime setting a container up
 * or entering it (runc init, whose executable is a runtime binary or runc's
 * clone, see process/runtime.h): its mount points, /dev nodes and links,
 * and state files in a new container's cgroup are not the container's.
 * Only the runtime's own executable is exempt, not runtime_setup's "an
 * executable of another mount namespace": a process of the container that
 * unshares its mount namespace must still count. A global function: the
 * verifier checks it once, not at each of its many callers. */
__noinline int by_runtime(void)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	return runtime_file(BPF_CORE_READ(task, mm, exe_file));
}

/* Counts a modification or a read of the current task, unless the runtime
 * makes it. Only reached once a class is known, never on the hot path. */
static __always_inline void count(__u8 read, __u8 class, __u8 op)
{
	if (by_runtime())
		return;
	struct file_key key = {};
	key.cgroup_id = bpf_get_current_cgroup_id();
	key.read = read;
	key.class = class;
	key.op = op;
	increment(&file_counts, &key, &file_stats, STAT_FILE_COUNTS_FULL);
}

/* ---- walking a dentry up to the task's root ---- */

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

/* ---- normalising a path and classifying it ---- */

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

/* The read gate's answer for a dentry's name, read from the name stored
 * inline in the dentry (names shorter than 40 bytes) with plain loads. */
static __always_inline __u8 gate_dentry(struct dentry *d)
{
	__u32 len = d->d_name.len;
	if (len >= sizeof(d->d_shortname.string))
		return gate(BPF_CORE_READ(d, d_name.name));
	struct gate_key k;
	__u64 *w = (__u64 *)k.name;
	w[0] = d->d_shortname.words[0];
	__u32 idx = len < GATE_LEN - 1 ? len : GATE_LEN - 1;
	__u64 *bits = bpf_map_lookup_elem(&gate_filter, &idx);
	if (!bits || !(*bits & (1ULL << (w[0] & 63))))
		return 0;
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

/* ---- the event log ---- */

/* Whether the current task is in a container: below the initial pid
 * namespace. */
static __always_inline bool in_container(void)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	return BPF_CORE_READ(task, thread_pid, level) > 0;
}

/* Whether a count of a class with flags sends an event from this task. */
static __always_inline bool event_here(__u8 flags, __u8 host_flag)
{
	return events_per_cpu_second && ((flags & host_flag) || in_container());
}

static __always_inline __u32 file_code(__u8 op, __u8 class, bool traversal)
{
	return op | (__u32)class << 8 | (__u32)traversal << 16;
}

/* Sends a file event of the current task: path[0, len) is the file's
 * exact path, len 0 when unknown. */
static __noinline void file_event(__u32 type, __u32 code, const char *path, __u32 len)
{
	if (by_runtime())
		return;
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct rtsec_file_event *fe = (struct rtsec_file_event *)event_reserve_size(type, code, task, sizeof(*fe));
	if (!fe)
		return;
	event_exe_name(&fe->e, task);
	fe->path_len = len;
	fe->pad = 0;
	if (len > EVENT_PATH_LEN)
		len = EVENT_PATH_LEN;
	/* 1…EVENT_PATH_LEN in a form the verifier can bound */
	if (len > 0 && bpf_probe_read_kernel(fe->path, ((len - 1) & (EVENT_PATH_LEN - 1)) + 1, path))
		fe->path_len = 0;
	bpf_ringbuf_submit(fe, 0);
}

/* Sends a file event for the open file classify_file last walked: the
 * walk, s->in[start, WALK_END), is its exact path. */
static __always_inline void walked_event(struct scratch *s, __u32 type, __u32 code)
{
	__u32 at = s->n.in_start;
	if (at < WALK_END)
		file_event(type, code, &s->in[at & BUF_MASK], WALK_END - at);
}

/* Sends a file event for a count that needed no path: walks it now. */
static __noinline void file_event_walk(__u32 type, __u32 code, struct file *f)
{
	if (!events_per_cpu_second)
		return;
	struct scratch *s = get_scratch();
	if (!s)
		return;
	bool outside = false;
	int at = walk_path(s, BPF_CORE_READ(f, f_path.dentry), BPF_CORE_READ(f, f_path.mnt), &outside);
	if (at < 0 || at >= WALK_END)
		file_event(type, code, s->in, 0);
	else
		file_event(type, code, &s->in[at & BUF_MASK], WALK_END - at);
}

/* Keeps the exact path that classify last looked up for the thread's
 * syscall exit; false (counted when the map is full) when it cannot. */
static __noinline bool save_event_path(struct scratch *s)
{
	__u32 len = exact_path(s);
	if (len == 0)
		return false;
	s->ev.len = len;
	s->ev.pad = 0;
	if (len > EVENT_PATH_LEN)
		len = EVENT_PATH_LEN;
	bpf_probe_read_kernel(s->ev.path, ((len - 1) & (EVENT_PATH_LEN - 1)) + 1, s->out);
	__u64 id = bpf_get_current_pid_tgid();
	if (bpf_map_update_elem(&file_event_paths, &id, &s->ev, BPF_ANY)) {
		count_stat(&file_stats, STAT_FILE_EVENT_PATHS_FULL);
		return false;
	}
	return true;
}

/* ---- opens: classified at exit from the opened file ---- */

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
		dev_t rdev = BPF_CORE_READ(inode, i_rdev);
		__u32 minor = rdev & 0xfffff;
		if ((rdev >> 20) == MEM_MAJOR && (minor == 1 || minor == 2 || minor == 4)) {
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

/* An open for writing: counted when its path has a class. A regular file
 * that the open created with an x bit in its mode is drift wherever it is
 * (exec_mode, under "other" outside every class); a created name starting
 * with '.' in a class is hidden. */
static __noinline void modifying_open(struct file *f, __u16 mode, int kind)
{
	struct dentry *d = BPF_CORE_READ(f, f_path.dentry);
	__u32 fmode = BPF_CORE_READ(f, f_mode);
	const char *upath;
	__u64 flags;
	open_args(kind, &upath, &flags);
	__u8 op = FOP_WRITE;
	if (fmode & FMODE_CREATED)
		op = FOP_CREATE;
	else if (flags & O_TRUNC)
		op = FOP_TRUNCATE;
	const unsigned char *name = BPF_CORE_READ(d, d_name.name);
	if (gate(name) == GATE_RELEASE_AGENT) {
		count(0, PATH_CLASS_CGROUP_RELEASE_AGENT, op);
		file_event_walk(EVENT_FILE_MODIFICATION, file_code(op, PATH_CLASS_CGROUP_RELEASE_AGENT, false), f);
		return;
	}
	bool exec = op == FOP_CREATE && (mode & S_IFMT) == S_IFREG && (mode & S_IXUGO);
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

static __always_inline int on_open_exit(struct trace_event_raw_sys_exit *ctx, int kind)
{
	long fd = ctx->ret;
	if (fd < 0)
		return 0;
	struct task_struct *task = bpf_get_current_task_btf();
	struct file **fds = task->files->fdt->fd;
	struct file *raw = NULL;
	bpf_probe_read_kernel(&raw, sizeof(raw), &fds[fd & 0xffff]);
	if (!raw)
		return 0;
	struct file *f = bpf_rdonly_cast(raw, bpf_core_type_id_kernel(struct file));
	struct inode *inode = f->f_inode;
	__u16 mode = inode->i_mode;
	if (f->f_mode & FMODE_WRITE) {
		/* Character devices (/dev/null, ttys) are written all the time and
		 * are never modifications of a class (/dev counts creations): no
		 * walk. /dev/mem and friends still count, as kernel memory. A FIFO
		 * (runc's exec.fifo at each container start) holds no data. */
		if ((mode & S_IFMT) == S_IFCHR)
			sensitive_read(f, inode, mode, kind);
		else if ((mode & S_IFMT) != S_IFIFO)
			modifying_open(f, mode, kind);
		return 0;
	}
	if ((mode & S_IFMT) == S_IFDIR)
		return 0;
	sensitive_read(f, inode, mode, kind);
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

/* ---- path syscalls: classified at enter, counted at exit ---- */

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

char LICENSE[] SEC("license") = "GPL";
