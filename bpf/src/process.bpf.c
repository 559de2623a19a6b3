// SPDX-License-Identifier: GPL-2.0
/* Process executions, counted per container key (cgroup v2 id) and binary
 * base name. The distinct names per key are capped by a budget; names past
 * it are counted as "_other", so an attacker who execs endless names fills
 * neither the map nor Prometheus.
 *
 * The same object carries the other process signals (process/): each exec
 * is also classified (suspicious reasons, binary class, setuid exec), and
 * the set*id, capset and sensitive syscalls have their own tracepoints,
 * and 32-bit syscalls, which those miss, are counted by class. */
#include "rtsec.h"
#include "events.h"
#include "process/signals.h"
#include "process/suspicious.h"
#include "process/privilege.h"
#include "process/syscalls.h"
#include "process/runtime.h"
#include "process/compat.h"
#include "enforce.h"

/* Bytes of a binary's base name (exec_key, class_names), its NUL included. */
enum binary_len {
	BINARY_LEN = 32,
};
#define PATH_SCAN 256
#define ROOT_CGROUP_ID 1

STATS_MAP(exec_stats);

/* exec_stats indexes */
enum exec_stat {
	STAT_EXEC_OVERFLOW,
	STAT_EXEC_COUNTS_FULL,
	STAT_EXEC_BUDGET_FULL,
};

struct exec_key {
	__u64 cgroup_id;
	char binary[BINARY_LEN];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, struct exec_key);
	__type(value, __u64);
} exec_counts SEC(".maps");

/* Per container key: names admitted, and execs that found exec_counts
 * full (exported under "_other", so no exec goes uncounted). */
struct exec_budget {
	__u32 used;
	__u32 pad;
	__u64 dropped;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, struct exec_budget);
} exec_budgets SEC(".maps");

struct scratch {
	char path[PATH_SCAN];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct scratch);
} exec_scratch SEC(".maps");

/* Set by the exporter before loading: the name budget of a container, and
 * of a host cgroup. */
volatile const __u32 binary_budget = 64;
volatile const __u32 host_binary_budget = 1024;

/* Cgroups the exporter resolved to the host after they spent a container's
 * budget (systemd services, user sessions): they get the host's. Until
 * then a cgroup is budgeted as a container, the safe default for a cgroup
 * an attacker may control. The root cgroup is always the host's. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u64);
	__type(value, __u8);
} host_cgroups SEC(".maps");

static __always_inline struct exec_budget *get_budget(__u64 cgroup_id)
{
	struct exec_budget *b = bpf_map_lookup_elem(&exec_budgets, &cgroup_id);
	if (b)
		return b;
	struct exec_budget zero = {};
	long err = bpf_map_update_elem(&exec_budgets, &cgroup_id, &zero, BPF_NOEXIST);
	if (err && err != -EEXIST) {
		count_stat(&exec_stats, STAT_EXEC_BUDGET_FULL);
		return NULL;
	}
	return bpf_map_lookup_elem(&exec_budgets, &cgroup_id);
}

/* Spends one unit of the key's name budget; false when it is spent. */
static __always_inline bool spend_budget(struct exec_budget *b, __u64 cgroup_id)
{
	__u32 budget = binary_budget;
	/* Check before adding so the count never wraps; concurrent execs may
	 * overshoot by at most the number of CPUs. Host cgroups are looked up
	 * only past the container budget, which few cgroups reach. */
	if (b->used >= budget) {
		if (cgroup_id != ROOT_CGROUP_ID && !bpf_map_lookup_elem(&host_cgroups, &cgroup_id))
			return false;
		budget = host_binary_budget;
		if (b->used >= budget)
			return false;
	}
	return __sync_fetch_and_add(&b->used, 1) < budget;
}

/* Copies the base name of the exec's path into out. bprm->filename is the
 * path as the caller passed it (or /dev/fd/N for execveat), so the last '/'
 * is found within the first PATH_SCAN bytes; a longer path's last
 * component lies beyond them, and the name of the file executed (a
 * symlink's target's) stands in for it. */
static __always_inline void read_basename(struct linux_binprm *bprm, char out[BINARY_LEN])
{
	__u32 zero = 0;
	struct scratch *s = bpf_map_lookup_elem(&exec_scratch, &zero);
	if (!s)
		return;
	const char *path = BPF_CORE_READ(bprm, filename);
	long n = bpf_probe_read_kernel_str(s->path, sizeof(s->path), path);
	if (n <= 0)
		return;
	if (n >= PATH_SCAN) {
		bpf_probe_read_kernel_str(out, BINARY_LEN, BPF_CORE_READ(bprm, file, f_path.dentry, d_name.name));
		return;
	}
	__u32 start = 0;
	for (__u32 i = 0; i < PATH_SCAN; i++) {
		if (i >= n)
			break;
		if (s->path[i] == '/')
			start = i + 1;
	}
	bpf_probe_read_kernel_str(out, BINARY_LEN, path + (start & (PATH_SCAN - 1)));
}

/* Whether name is the overflow label value "_other". */
static __always_inline bool overflow_name(const char name[BINARY_LEN])
{
	return name[0] == '_' && name[1] == 'o' && name[2] == 't' && name[3] == 'h' && name[4] == 'e' && name[5] == 'r' && name[6] == 0;
}

/* Counts the exec's class and suspicious reasons, and sends an event for a
 * suspicious one. */
static __always_inline void classify_exec(struct task_struct *p, struct linux_binprm *bprm, const struct exec_key *key)
{
	__u8 class = binary_class(key->binary);
	if (class)
		count_signal(key->cgroup_id, SIGNAL_EXEC_CLASS, class);
	bool pool = miner_class && class != miner_class &&
		    argv_names_pool(BPF_CORE_READ(p, mm, arg_start), BPF_CORE_READ(p, mm, arg_end));
	if (pool)
		count_signal(key->cgroup_id, SIGNAL_EXEC_CLASS, miner_class);
	/* At sched_process_exec the new image is mapped but has not run: a
	 * kill here means it runs no instruction. Called right after each
	 * classification, so that no extra value stays live across the rest. */
	enforce(SIGNAL_EXEC_CLASS, class_bits(class) | (pool ? class_bits(miner_class) : 0));
	struct file *f = BPF_CORE_READ(bprm, file);
	__u32 reasons = suspicious_reasons(p, f, key->binary, class);
	enforce(SIGNAL_SUSPICIOUS_EXEC, reasons);
	exec_privilege(p, bprm);
	if (!reasons)
		return;
	for (__u32 r = 0; r < REASONS; r++)
		if (reasons & (1 << r))
			count_signal(key->cgroup_id, SIGNAL_SUSPICIOUS_EXEC, r);
	struct rtsec_event *e = event_reserve(EVENT_SUSPICIOUS_EXEC, reasons, p);
	if (!e)
		return;
	bpf_probe_read_kernel_str(e->exe, sizeof(e->exe), BPF_CORE_READ(bprm, filename));
	bpf_ringbuf_submit(e, 0);
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(handle_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	/* runc (re-)executing itself in a new container is not the container's */
	if (runtime_file(BPF_CORE_READ(bprm, file)))
		return 0;
	struct exec_key key = {};
	key.cgroup_id = bpf_get_current_cgroup_id();
	read_basename(bprm, key.binary);
	classify_exec(p, bprm, &key);
	/* A binary really named _other shares the overflow series, so it
	 * counts as an overflow too: the series never looks like one name. */
	if (overflow_name(key.binary))
		count_stat(&exec_stats, STAT_EXEC_OVERFLOW);

	__u64 *v = bpf_map_lookup_elem(&exec_counts, &key);
	if (v) {
		__sync_fetch_and_add(v, 1);
		return 0;
	}
	struct exec_budget *b = get_budget(key.cgroup_id);
	if (!b || !spend_budget(b, key.cgroup_id)) {
		count_stat(&exec_stats, STAT_EXEC_OVERFLOW);
		__builtin_memset(key.binary, 0, sizeof(key.binary));
		__builtin_memcpy(key.binary, "_other", 7);
	}
	if (!increment(&exec_counts, &key, &exec_stats, STAT_EXEC_COUNTS_FULL) && b)
		__sync_fetch_and_add(&b->dropped, 1);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
