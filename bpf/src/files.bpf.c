// SPDX-License-Identifier: GPL-2.0
/* File modifications and sensitive-file reads, counted per container key
 * (cgroup v2 id), path class and operation.
 *
 * Opens are classified at sys_exit from the opened file itself (fd -> file
 * -> f_path walked up to the task's root), which is exact: `..`, `.`,
 * repeated slashes and symlinks are already resolved by the kernel. The hot
 * path is a read-only open of an ordinary file; it is rejected after
 * reading the file's mode and the first bytes of the names of the file
 * and its parent (a bit filter each), with plain loads and no call but
 * the one that gives the current task, before any path is built.
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
 * classes all the time.
 *
 * Under an enforcement policy (enforce.h) a write-open of a modification
 * class the policy names kills the task at the open's exit: the file is
 * open (created, or truncated by O_TRUNC) but nothing is written. */
#include "rtsec.h"
#include "events.h"
#include "pt_regs.h"
#include "process/runtime.h"
#include "enforce.h"

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

/* The lengths of the names the read gate maps to GATE_RELEASE_AGENT
 * (fileclass's release_agent and notify_on_release): a write-open of a
 * name of another length is no release agent, without the gate. */
enum release_agent_len {
	RELEASE_AGENT_LEN = 13,
	NOTIFY_ON_RELEASE_LEN = 17,
};

/* Read gate values (read_gate map). */
enum gate {
	GATE_PATH = 1,      /* classify by path */
	GATE_PROC_ENVIRON,  /* on procfs */
	GATE_PROC_MEM,      /* on procfs */
	GATE_KCORE,         /* on procfs */
	GATE_RELEASE_AGENT, /* a cgroup release agent, when written */
	GATE_MASK = 0x7f,   /* the read gate's value */
	GATE_FIRST = 0x80,  /* or'ed in: the first component of a modification class's prefix */
};

/* gate_filter's entries: the read gate's filter, the first-component
 * filter, and a flag that makes every write-open walk (a class "/"). */
enum gate_filter_index {
	GATE_FILTER_FIRST = 16,
	GATE_FILTER_ALL = 32,
};
_Static_assert(GATE_FILTER_FIRST == GATE_LEN && GATE_FILTER_ALL == 2 * GATE_LEN, "gate_filter layout");

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
	__uint(max_entries, 512);
	__type(key, struct gate_key);
	__type(value, __u8);
} read_gate SEC(".maps");

/* A cheap filter before read_gate: bit (first byte & 63) of entry
 * min(name length, GATE_LEN - 1) is set for every name in the read gate,
 * of entry GATE_FILTER_FIRST + min(...) for every first component. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, GATE_FILTER_ALL + 1);
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

#include "files/walk.h"
#include "files/classify.h"
#include "files/events.h"
#include "files/opens.h"
#include "files/paths.h"

char LICENSE[] SEC("license") = "GPL";
