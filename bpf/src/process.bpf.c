// SPDX-License-Identifier: GPL-2.0
/* Process executions, counted per container key (cgroup v2 id) and binary
 * base name. The number of distinct names per container is capped by
 * binary_budget; names past it are counted as "_other". */
#include "rtsec.h"

#define BINARY_LEN 32
#define PATH_SCAN 256

STATS_MAP(exec_stats);

/* exec_stats indexes, mirrored in the exporter */
#define STAT_EXEC_OVERFLOW 0
#define STAT_EXEC_COUNTS_FULL 1
#define STAT_EXEC_BUDGET_FULL 2

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

/* Distinct binary names admitted per container key. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, __u32);
} exec_budget SEC(".maps");

struct scratch {
	char path[PATH_SCAN];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct scratch);
} exec_scratch SEC(".maps");

volatile const __u32 binary_budget = 64;

/* Spends one unit of the container's name budget; false when it is spent. */
static __always_inline bool spend_budget(__u64 cgroup_id)
{
	__u32 *used = bpf_map_lookup_elem(&exec_budget, &cgroup_id);
	if (!used) {
		__u32 zero = 0;
		long err = bpf_map_update_elem(&exec_budget, &cgroup_id, &zero, BPF_NOEXIST);
		if (err && err != -EEXIST) {
			count_stat(&exec_stats, STAT_EXEC_BUDGET_FULL);
			return false;
		}
		used = bpf_map_lookup_elem(&exec_budget, &cgroup_id);
		if (!used)
			return false;
	}
	/* Check before adding so the count never wraps; concurrent execs may
	 * overshoot by at most the number of CPUs. */
	if (*used >= binary_budget)
		return false;
	return __sync_fetch_and_add(used, 1) < binary_budget;
}

/* Copies the base name of path into out. bprm->filename is the path as
 * the caller passed it (or /dev/fd/N for execveat), so the last '/' is
 * found within the first PATH_SCAN bytes. */
static __always_inline void read_basename(const char *path, char out[BINARY_LEN])
{
	__u32 zero = 0;
	struct scratch *s = bpf_map_lookup_elem(&exec_scratch, &zero);
	if (!s)
		return;
	long n = bpf_probe_read_kernel_str(s->path, sizeof(s->path), path);
	if (n <= 0)
		return;
	__u32 start = 0;
	for (__u32 i = 0; i < PATH_SCAN; i++) {
		if (i >= n)
			break;
		if (s->path[i] == '/')
			start = i + 1;
	}
	bpf_probe_read_kernel_str(out, BINARY_LEN, path + (start & (PATH_SCAN - 1)));
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(handle_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	struct exec_key key = {};
	key.cgroup_id = bpf_get_current_cgroup_id();
	read_basename(BPF_CORE_READ(bprm, filename), key.binary);

	__u64 *v = bpf_map_lookup_elem(&exec_counts, &key);
	if (v) {
		__sync_fetch_and_add(v, 1);
		return 0;
	}
	if (!spend_budget(key.cgroup_id)) {
		count_stat(&exec_stats, STAT_EXEC_OVERFLOW);
		__builtin_memset(key.binary, 0, sizeof(key.binary));
		__builtin_memcpy(key.binary, "_other", 7);
	}
	increment(&exec_counts, &key, &exec_stats, STAT_EXEC_COUNTS_FULL);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
