/* Suspicious executions, classified at exec from the new program's file,
 * stdio and terminal; and binary classes from a name list the exporter
 * loads. Reasons are bits of one mask: an exec may have several. */
#ifndef RTSEC_PROCESS_SUSPICIOUS_H
#define RTSEC_PROCESS_SUSPICIOUS_H

#include "rtsec.h"
#include "sock.h"
#include "signals.h"

/* Reasons of a suspicious exec, bit numbers of its mask (label reason). */
enum reason {
	REASON_STDIO_SOCKET,
	REASON_MEMFD,
	REASON_DELETED_BINARY,
	REASON_WRITABLE_DIR,
	REASON_LD_LOADER,
	REASON_UPPER_LAYER,
	REASON_TTY_SHELL,
	REASONS, /* how many */
};
_Static_assert(REASONS <= 32, "reasons are the bits of a __u32");

#define OVERLAYFS_SUPER_MAGIC 0x794c7630
/* Path components walked up from the executable; deeper paths count as
 * writable_dir (no system binary lives this deep). */
#define WALK_DEPTH 40
#define NAME_PREFIX 16

/* Binary name → class id (1…), filled by the exporter from its class list. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, char[32]);
	__type(value, __u8);
} class_names SEC(".maps");

/* Set by the exporter: the class ids of shells, for tty_shell, and of
 * miners, for pool URLs in arguments (0: none). */
volatile const __u8 shell_class = 0;
volatile const __u8 miner_class = 0;

/* Bytes of the arguments searched for a pool URL. */
#define ARGV_SCAN 1024

struct argv_scratch {
	char buf[ARGV_SCAN];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct argv_scratch);
} argv_scratch SEC(".maps");

static __always_inline bool has_prefix(const char *s, const char *prefix, int n)
{
	for (int i = 0; i < n; i++)
		if (s[i] != prefix[i])
			return false;
	return true;
}

/* Reads the first bytes of a dentry name, NUL-padded. */
static __always_inline void name_prefix(const unsigned char *name, char out[NAME_PREFIX])
{
	__builtin_memset(out, 0, NAME_PREFIX);
	if (name)
		bpf_probe_read_kernel_str(out, NAME_PREFIX, name);
}

static __always_inline bool name_is(const char n[NAME_PREFIX], const char *want, int len)
{
	/* len counts the NUL: "tmp" is 4 bytes */
	return has_prefix(n, want, len);
}

/* Walks from the executable's dentry up to the task's root, crossing
 * mounts, and reports whether the path as resolved starts with /tmp,
 * /dev/shm, /var/tmp, /run, /home or /root. */
static __always_inline bool in_writable_dir(struct file *f, struct task_struct *task)
{
	struct dentry *d = BPF_CORE_READ(f, f_path.dentry);
	struct vfsmount *vm = BPF_CORE_READ(f, f_path.mnt);
	struct mount *mnt = container_of(vm, struct mount, mnt);
	struct dentry *root = BPF_CORE_READ(task, fs, root.dentry);
	struct vfsmount *root_mnt = BPF_CORE_READ(task, fs, root.mnt);
	const unsigned char *top = NULL, *second = NULL;
	bool done = false;
	for (int i = 0; i < WALK_DEPTH; i++) {
		if (d == root && vm == root_mnt) {
			done = true;
			break;
		}
		if (d == BPF_CORE_READ(vm, mnt_root)) {
			struct mount *parent = BPF_CORE_READ(mnt, mnt_parent);
			if (parent == mnt) {
				done = true;
				break;
			}
			d = BPF_CORE_READ(mnt, mnt_mountpoint);
			mnt = parent;
			vm = &parent->mnt;
			continue;
		}
		struct dentry *up = BPF_CORE_READ(d, d_parent);
		if (up == d) {
			done = true;
			break;
		}
		second = top;
		top = BPF_CORE_READ(d, d_name.name);
		d = up;
	}
	if (!done) {
		count_stat(&signal_stats, STAT_PATH_WALK_TRUNCATED);
		return true;
	}
	char a[NAME_PREFIX], b[NAME_PREFIX];
	name_prefix(top, a);
	name_prefix(second, b);
	if (name_is(a, "tmp", 4) || name_is(a, "run", 4) || name_is(a, "home", 5) || name_is(a, "root", 5))
		return true;
	if (name_is(a, "dev", 4))
		return name_is(b, "shm", 4);
	if (name_is(a, "var", 4))
		return name_is(b, "tmp", 4);
	return false;
}

/* Whether one of fds 0-2 is an IPv4/IPv6 socket. */
static __always_inline bool stdio_is_socket(struct task_struct *task)
{
	struct file **fds = BPF_CORE_READ(task, files, fdt, fd);
	unsigned int max = BPF_CORE_READ(task, files, fdt, max_fds);
	for (unsigned int i = 0; i < 3 && i < max; i++) {
		struct file *f = NULL;
		bpf_probe_read_kernel(&f, sizeof(f), &fds[i]);
		if (file_is_inet_socket(f))
			return true;
	}
	return false;
}

/* The executable's inode is an overlayfs inode with an upper dentry: the
 * file was created or copied up (modified) in the writable layer. */
static __always_inline bool in_upper_layer(struct inode *inode)
{
	if (BPF_CORE_READ(inode, i_sb, s_magic) != OVERLAYFS_SUPER_MAGIC)
		return false;
	struct ovl_inode *oi = container_of(inode, struct ovl_inode, vfs_inode);
	return BPF_CORE_READ(oi, __upperdentry) != NULL;
}

/* The class id of a binary name, 0 for none. */
static __always_inline __u8 binary_class(const char binary[32])
{
	__u8 *c = bpf_map_lookup_elem(&class_names, binary);
	return c ? *c : 0;
}

struct pool_scan {
	const char *buf;
	__u32 matched;
	bool found;
};

/* One byte of the scan for "stratum", digits, '+'. A bpf_loop callback:
 * the verifier checks it once, where a plain loop over ARGV_SCAN bytes
 * explodes its state count. */
static long pool_scan_byte(__u64 i, struct pool_scan *scan)
{
	/* "stratum", little-endian: byte m is the m-th letter */
	const __u64 stratum = 0x6d757461727473ULL;
	char c = scan->buf[i & (ARGV_SCAN - 1)];
	if (scan->matched == 7) {
		if (c == '+') {
			scan->found = true;
			return 1;
		}
		if (c >= '0' && c <= '9')
			return 0;
		scan->matched = 0;
	}
	if (c >= 'A' && c <= 'Z')
		c += 'a' - 'A';
	if (c == (char)(stratum >> ((scan->matched & 7) * 8)))
		scan->matched++;
	else
		scan->matched = c == 's';
	return 0;
}

/* Whether the arguments at [start, end) of the new program's memory name
 * a mining pool: "stratum" then optional digits and '+' ("stratum+tcp://",
 * "stratum2+ssl://"), in any case. Miners take the pool as an argument
 * (-o/--url), so a renamed one that the name list misses still shows here;
 * one reading its pool from a config file does not. Reads the first
 * ARGV_SCAN bytes, as far as the arguments go (most are far shorter).
 * A global function, so the verifier checks it once on its own instead of
 * on every path of the exec handler. */
__noinline int argv_names_pool(__u64 start, __u64 end)
{
	if (end <= start)
		return 0;
	__u32 n = end - start > ARGV_SCAN ? ARGV_SCAN : end - start;
	__u32 zero = 0;
	struct argv_scratch *s = bpf_map_lookup_elem(&argv_scratch, &zero);
	if (!s || bpf_probe_read_user(s->buf, ((n - 1) & (ARGV_SCAN - 1)) + 1, (void *)start))
		return 0;
	struct pool_scan scan = {.buf = s->buf};
	bpf_loop(n, pool_scan_byte, &scan, 0);
	return scan.found;
}

/* The reasons why an exec of binary (its base name as called) with file f
 * is suspicious, as a bit mask. */
static __always_inline __u32 suspicious_reasons(struct task_struct *task, struct file *f, const char binary[32], __u8 class)
{
	__u32 reasons = 0;
	if (stdio_is_socket(task))
		reasons |= 1 << REASON_STDIO_SOCKET;
	if (class && class == shell_class && BPF_CORE_READ(task, signal, tty))
		reasons |= 1 << REASON_TTY_SHELL;
	if (!f)
		return reasons;
	struct dentry *d = BPF_CORE_READ(f, f_path.dentry);
	struct inode *inode = BPF_CORE_READ(f, f_inode);
	char name[NAME_PREFIX];
	name_prefix(BPF_CORE_READ(d, d_name.name), name);
	if (has_prefix(name, "memfd:", 6)) {
		reasons |= 1 << REASON_MEMFD;
	} else if (!BPF_CORE_READ(d, d_hash.pprev) || !BPF_CORE_READ(inode, __i_nlink)) {
		reasons |= 1 << REASON_DELETED_BINARY;
	}
	if (has_prefix(binary, "ld-linux", 8) || has_prefix(binary, "ld-musl", 7) ||
	    has_prefix(name, "ld-linux", 8) || has_prefix(name, "ld-musl", 7))
		reasons |= 1 << REASON_LD_LOADER;
	if (in_upper_layer(inode))
		reasons |= 1 << REASON_UPPER_LAYER;
	if (!(reasons & (1 << REASON_MEMFD)) && in_writable_dir(f, task))
		reasons |= 1 << REASON_WRITABLE_DIR;
	return reasons;
}

#endif
