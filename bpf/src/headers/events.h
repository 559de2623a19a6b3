/* rtsec's event log: rare, detailed events sent to the exporter through one
 * BPF ring buffer ("events"), which prints each as a JSON line.
 *
 * Every object that emits events includes this header; the exporter loads
 * them so that they all share the ring buffer, the rate limit and the
 * counters of the first object loaded (bpfprog.Set.LoadWithMaps). To add an
 * event type: add an EVENT_* value to enum event below (its name, lower
 * case, is the type's name), fill a struct rtsec_event from event_reserve()
 * (event_reserve_size() for a struct that starts with one, like struct
 * rtsec_file_event), and give the type a decoder in exporter/events. */
#ifndef RTSEC_EVENTS_H
#define RTSEC_EVENTS_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

/* Event types (label type): rtsec_events_total by type. */
enum event {
	EVENT_NONE,
	EVENT_SUSPICIOUS_EXEC,
	EVENT_PRIVILEGE_CHANGE,
	EVENT_SENSITIVE_SYSCALL,
	EVENT_FILE_MODIFICATION,
	EVENT_FILE_SENSITIVE_READ,
	EVENT_ENFORCEMENT, /* enforce.h */
	EVENT_COMPAT_SYSCALL, /* process/compat.h */
	EVENTS,            /* how many */
};
/* Entries of event_counts: more than the types, room for new ones. */
#define EVENT_TYPES 8
_Static_assert(EVENTS <= EVENT_TYPES, "event_counts has an entry per event type");

/* Sizes of an event's strings. */
enum event_len {
	EVENT_EXE_LEN = 128,
	EVENT_ARGV_LEN = 256,
	EVENT_PATH_LEN = 256,
};

/* event_stats indexes: events that did not reach the ring buffer. */
enum event_stat {
	EVENT_STAT_RATE_LIMITED,
	EVENT_STAT_RINGBUF_FULL,
	EVENT_STAT_CGROUP_LIMITED,
	EVENT_STATS, /* how many */
};

struct rtsec_event {
	__u64 cgroup_id;
	__u32 type;
	/* type-specific: a bit mask of reasons, a kind, a syscall… */
	__u32 code;
	/* syscall return value, or 0 */
	__s64 ret;
	__u32 pid, ppid, uid, euid;
	__u32 argv_len;
	__u32 pad;
	char comm[16];
	char parent_comm[16];
	char exe[EVENT_EXE_LEN];
	/* the arguments, NUL-separated, cut at EVENT_ARGV_LEN */
	char argv[EVENT_ARGV_LEN];
};

/* A file event (EVENT_FILE_*): an event followed by the file's absolute
 * path. Its code is op | class << 8 | traversal << 16 (op 0 for reads). */
struct rtsec_file_event {
	struct rtsec_event e;
	/* the whole path's length: more than EVENT_PATH_LEN means cut */
	__u32 path_len;
	__u32 pad;
	char path[EVENT_PATH_LEN];
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} events SEC(".maps");

/* A one-second window and the events sent in it: per CPU, and per cgroup;
 * prev is what the previous window sent (0 when that was not the one just
 * before). */
struct event_window {
	__u64 start;
	__u64 sent;
	__u64 prev;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct event_window);
} event_windows SEC(".maps");

/* Events sent, by type; and events lost, by EVENT_STAT_*. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, EVENT_TYPES);
	__type(key, __u32);
	__type(value, __u64);
} event_counts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, EVENT_STATS);
	__type(key, __u32);
	__type(value, __u64);
} event_stats SEC(".maps");

/* Per cgroup windows, so that one container flooding events (a loop of
 * failing unshare calls) spends its own budget, not the CPU's that every
 * container shares. LRU: a cgroup evicted starts a fresh window, which a
 * flood cannot make more often than the map turns over. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u64);
	__type(value, struct event_window);
} event_buckets SEC(".maps");

/* Set by the exporter: 0 turns the event log off (nothing is reserved),
 * else the most events each CPU may send per second; and the most events
 * each cgroup may send per second. */
volatile const __u32 events_per_cpu_second = 0;
volatile const __u32 events_per_cgroup_second = 0;

static __always_inline void event_count(void *map, __u32 index)
{
	__u64 *v = bpf_map_lookup_elem(map, &index);
	if (v)
		*v += 1;
}

#define WINDOW_NS 1000000000ULL

/* Starts a new window once a second has passed. */
static __always_inline void window_roll(struct event_window *w, __u64 now)
{
	__u64 age = now - w->start;
	if (age < WINDOW_NS)
		return;
	w->prev = age < 2 * WINDOW_NS ? w->sent : 0;
	w->start = now;
	w->sent = 0;
}

/* Whether a window has room for one more of limit events per second;
 * counted under stat when not. */
static __always_inline bool window_room(struct event_window *w, __u64 limit, __u32 stat)
{
	if (w->sent < limit)
		return true;
	event_count(&event_stats, stat);
	return false;
}

/* Takes one unit of the current cgroup's and of this CPU's rate budgets;
 * false (counted) when either is spent. The cgroup's comes first, so a
 * flooding container does not spend the CPU's; and a quarter of the CPU's
 * is kept for cgroups quiet for the last second or more (nothing sent in
 * this window nor the one before), so that many flooding containers
 * together cannot hide another container's first event either: to spend
 * the reserve they would need, per CPU, two quiet cgroups for each
 * reserved event per second. A cgroup's window is shared by the CPUs,
 * which may overshoot it by their number. */
static __always_inline bool event_admit(void)
{
	__u32 zero = 0;
	struct event_window *w = bpf_map_lookup_elem(&event_windows, &zero);
	if (!w)
		return false;
	__u64 now = bpf_ktime_get_ns();
	__u64 cgroup_id = bpf_get_current_cgroup_id();
	struct event_window *c = bpf_map_lookup_elem(&event_buckets, &cgroup_id);
	if (!c) {
		struct event_window fresh = {.start = now};
		bpf_map_update_elem(&event_buckets, &cgroup_id, &fresh, BPF_ANY);
		c = bpf_map_lookup_elem(&event_buckets, &cgroup_id);
	}
	/* a cgroup without a window (the LRU map refused it) has only the
	 * CPU's, without the reserve */
	bool quiet = false;
	if (c) {
		window_roll(c, now);
		if (!window_room(c, events_per_cgroup_second, EVENT_STAT_CGROUP_LIMITED))
			return false;
		quiet = c->sent == 0 && c->prev == 0;
	}
	window_roll(w, now);
	__u64 limit = events_per_cpu_second;
	if (!quiet)
		limit -= events_per_cpu_second / 4;
	if (!window_room(w, limit, EVENT_STAT_RATE_LIMITED))
		return false;
	w->sent++;
	if (c)
		__sync_fetch_and_add(&c->sent, 1);
	return true;
}

/* Reserves an event of the given type and size (at least a struct
 * rtsec_event) with the current task's identity filled in, or returns NULL
 * (rate limit, full ring buffer, log off). The caller fills exe and the
 * code, then calls bpf_ringbuf_submit. */
static __always_inline struct rtsec_event *event_reserve_size(__u32 type, __u32 code, struct task_struct *task, __u64 size)
{
	if (!events_per_cpu_second || !event_admit())
		return NULL;
	struct rtsec_event *e = bpf_ringbuf_reserve(&events, size, 0);
	if (!e) {
		event_count(&event_stats, EVENT_STAT_RINGBUF_FULL);
		return NULL;
	}
	e->cgroup_id = bpf_get_current_cgroup_id();
	e->type = type;
	e->code = code;
	e->ret = 0;
	e->pid = BPF_CORE_READ(task, tgid);
	e->ppid = BPF_CORE_READ(task, real_parent, tgid);
	e->uid = BPF_CORE_READ(task, cred, uid.val);
	e->euid = BPF_CORE_READ(task, cred, euid.val);
	e->pad = 0;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	BPF_CORE_READ_STR_INTO(&e->parent_comm, task, real_parent, comm);
	e->exe[0] = 0;
	unsigned long start = BPF_CORE_READ(task, mm, arg_start);
	unsigned long end = BPF_CORE_READ(task, mm, arg_end);
	__u32 n = end > start ? end - start : 0;
	if (n > EVENT_ARGV_LEN)
		n = EVENT_ARGV_LEN;
	/* 1…EVENT_ARGV_LEN in a form the verifier can bound */
	if (n > 0 && bpf_probe_read_user(e->argv, ((n - 1) & (EVENT_ARGV_LEN - 1)) + 1, (void *)start))
		n = 0;
	e->argv_len = n;
	if (type < EVENT_TYPES)
		event_count(&event_counts, type);
	return e;
}

static __always_inline struct rtsec_event *event_reserve(__u32 type, __u32 code, struct task_struct *task)
{
	return event_reserve_size(type, code, task, sizeof(struct rtsec_event));
}

/* Copies the base name of the task's executable into e->exe. */
static __always_inline void event_exe_name(struct rtsec_event *e, struct task_struct *task)
{
	const unsigned char *name = BPF_CORE_READ(task, mm, exe_file, f_path.dentry, d_name.name);
	bpf_probe_read_kernel_str(e->exe, sizeof(e->exe), name);
}

#endif
