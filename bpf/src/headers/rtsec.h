/* Shared definitions for rtsec's BPF programs. */
#ifndef RTSEC_H
#define RTSEC_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>

#define EAGAIN 11
#define EEXIST 17

/* Each object has a per-CPU array of counted failures and overflows (its
 * "stats" map, named after the object), read by the exporter as
 * rtsec_bpf_map_insert_failures_total and rtsec_label_overflows_total. */
#define STATS_MAP(name)                                 \
	struct {                                        \
		__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY); \
		__uint(max_entries, 8);                  \
		__type(key, __u32);                      \
		__type(value, __u64);                    \
	} name SEC(".maps")

static __always_inline void count_stat(void *stats, __u32 index)
{
	__u64 *v = bpf_map_lookup_elem(stats, &index);
	if (v)
		*v += 1;
}

/* Adds one to the counter at key, creating it. Returns false when the map
 * is full, after counting that in stats[full_stat]. */
static __always_inline bool increment(void *map, const void *key, void *stats, __u32 full_stat)
{
	__u64 *v = bpf_map_lookup_elem(map, key);
	if (v) {
		__sync_fetch_and_add(v, 1);
		return true;
	}
	__u64 one = 1;
	long err = bpf_map_update_elem(map, key, &one, BPF_NOEXIST);
	if (err == -EEXIST) {
		/* Another CPU created it between our lookup and update. */
		v = bpf_map_lookup_elem(map, key);
		if (v)
			__sync_fetch_and_add(v, 1);
		return true;
	}
	if (err) {
		count_stat(stats, full_stat);
		return false;
	}
	return true;
}

#endif
