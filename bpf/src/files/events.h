/* The event log of file modifications and reads.
 * Included by files.bpf.c after its maps and types. */
#ifndef RTSEC_FILES_EVENTS_H
#define RTSEC_FILES_EVENTS_H

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

#endif
