/* Per-container counters of the process signals that have a small fixed
 * label set (suspicious exec reasons, binary classes, privilege change
 * kinds, sensitive syscalls and their results, 32-bit syscall classes): one hash map keyed by
 * container key, signal and label value, read by the exporter at scrape. */
#ifndef RTSEC_PROCESS_SIGNALS_H
#define RTSEC_PROCESS_SIGNALS_H

#include "rtsec.h"

/* Signals of signal_counts. */
enum signal {
	SIGNAL_SUSPICIOUS_EXEC = 1,
	SIGNAL_EXEC_CLASS,
	SIGNAL_PRIVILEGE_CHANGE,
	SIGNAL_SENSITIVE_SYSCALL,
	/* past enum enforce_signal's (enforce.h): no policy acts on it */
	SIGNAL_COMPAT_SYSCALL = 6,
};

/* signal_stats indexes */
enum signal_stat {
	STAT_SIGNAL_COUNTS_FULL,
	STAT_PATH_WALK_TRUNCATED,
};

STATS_MAP(signal_stats);

struct signal_key {
	__u64 cgroup_id;
	__u16 signal;
	__u16 value;
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 32768);
	__type(key, struct signal_key);
	__type(value, __u64);
} signal_counts SEC(".maps");

static __always_inline void count_signal(__u64 cgroup_id, __u16 signal, __u16 value)
{
	struct signal_key key = {.cgroup_id = cgroup_id, .signal = signal, .value = value};
	increment(&signal_counts, &key, &signal_stats, STAT_SIGNAL_COUNTS_FULL);
}

#endif
