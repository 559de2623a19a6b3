// SPDX-License-Identifier: GPL-2.0
/* Network signals, counted per container key (cgroup v2 id) with bounded
 * label ids: connections (outbound connect and UDP sendto, inbound
 * handshakes), listeners, raw and packet sockets, connections to container
 * runtime sockets, DNS, and the distinct destinations and DNS names of each
 * container in a sliding window.
 *
 * Where a result is known:
 *  - TCP out: the socket's SYN_SENT → ESTABLISHED (ok) or → CLOSE (refused
 *    when sk_err is ECONNREFUSED, else failed) in inet_sock_set_state, for
 *    blocking and non-blocking connects alike; a connect that fails before
 *    a SYN is sent (no route, EACCES) is counted at its syscall exit.
 *  - UDP out: connect's return value; sendto with an address counts ok,
 *    once per socket and destination (udp_seen), every time for DNS.
 *  - TCP in: the accepted socket's SYN_RECV → ESTABLISHED, whose cgroup is
 *    the listener's (sk_cgrp_data, copied from the listener), so the count
 *    is right in softirq context, accepted by the program or not.
 *  - listeners: CLOSE → LISTEN; the listening set is the sockets between
 *    → LISTEN and LISTEN →. */
#include "rtsec.h"
#include "netclass.h"

#define ECONNREFUSED 111
#define EINPROGRESS 115
#define EALREADY 114
#define EISCONN 106
#define ETIMEDOUT 110
#define SOCK_DGRAM 2
#define SOCK_RAW 3
#define S_IFMT 00170000
#define S_IFSOCK 0140000
#define UNIX_PATH 108
#define UNIX_MASK 127 /* indexes into a 128-byte buffer */
#define DNS_NAME_SCAN 64

/* net_counts key kinds and their label ids. */
enum net_kind {
	KIND_CONN = 1, /* l0 direction, l1 scope, l2 port class, l3 protocol, l4 result */
	KIND_LISTEN,   /* l1 scope, l2 port class */
	KIND_RAW,      /* l0 raw socket type */
	KIND_RUNTIME,  /* l0 runtime socket */
	KIND_DNS,
};

/* Direction of a connection (label direction). */
enum dir {
	DIR_OUT,
	DIR_IN,
};

/* Protocol of a connection (label protocol). */
enum protocol {
	PROTOCOL_TCP,
	PROTOCOL_UDP,
};

/* Result of a connection (label result). */
enum result {
	RESULT_OK,
	RESULT_REFUSED,
	RESULT_FAILED,
};

/* Raw socket types (label type): AF_PACKET, SOCK_RAW. */
enum raw_socket {
	RAW_SOCKET_PACKET,
	RAW_SOCKET_RAW,
};

/* Runtime sockets (label socket), in the order runtime_socket() matches
 * them against the bound path of the peer. */
enum runtime_socket {
	RUNTIME_SOCKET_DOCKER,
	RUNTIME_SOCKET_CONTAINERD,
	RUNTIME_SOCKET_CRIO,
	RUNTIME_SOCKET_PODMAN,
	RUNTIME_SOCKET_KUBELET_POD_RESOURCES,
};

/* novelty key kinds */
enum novel {
	NOVEL_DEST,
	NOVEL_DNS_NAME,
};

STATS_MAP(net_stats);

/* net_stats indexes */
enum net_stat {
	STAT_COUNTS_FULL,
	STAT_NOVELTY_BUDGET_FULL,
	STAT_NOVELTY_OVER_BUDGET,
	STAT_CONNECTS_FULL,
	STAT_LISTENERS_FULL,
	STAT_DNS_NAMES_OVER_BUDGET,
};

struct net_key {
	__u64 cgroup_id;
	__u8 kind;
	__u8 l[5];
	__u8 pad[2];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, struct net_key);
	__type(value, __u64);
} net_counts SEC(".maps");

/* A connect in flight, from its syscall entry to its exit. */
struct connect_arg {
	struct endpoint ep;
	__u64 cgroup_id;
	__s32 fd;
	__u16 family;
	__u8 proto;
	__u8 syn_sent;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8192);
	__type(key, __u64);
	__type(value, struct connect_arg);
} net_connects SEC(".maps");

/* Listening sockets (socket address → cgroup id): the gauge of listeners. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64);
	__type(value, __u64);
} net_listeners SEC(".maps");

/* Distinct destinations and DNS names per container: key → last seen
 * (CLOCK_MONOTONIC ns). The exporter counts entries seen within the window
 * and deletes older ones. */
struct novelty_key {
	__u64 cgroup_id;
	__u8 kind;
	__u8 scope;
	__u16 port;
	__u32 pad;
	struct addr16 addr; /* the address, or the DNS name's hash */
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct novelty_key);
	__type(value, __u64);
} net_novelty SEC(".maps");

/* New novelty entries per container and kind in the current window. */
struct novelty_budget_key {
	__u64 cgroup_id;
	__u64 kind;
};

struct novelty_budget {
	__u64 window_start;
	__u64 used;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, struct novelty_budget_key);
	__type(value, struct novelty_budget);
} net_novelty_budgets SEC(".maps");

/* UDP sockets connected to a DNS port, whose sends carry queries. */
struct dns_sock {
	__u32 tgid;
	__s32 fd;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, struct dns_sock);
	__type(value, __u8);
} net_dns_socks SEC(".maps");

/* A filter before net_dns_socks, so that a send() on any other socket
 * (every TCP send) costs a few instructions, not a hash lookup: bit
 * dns_bit(tgid, fd) is set before a socket enters the map and is never
 * cleared, so a socket in the map always finds its bit set. A stale bit
 * only costs the lookup it saves. */
#define DNS_BLOOM_WORDS 1024 /* 65536 bits */
__u64 dns_bloom[DNS_BLOOM_WORDS];

static __always_inline __u32 dns_bit(__u32 tgid, __s32 fd)
{
	return (((__u64)tgid << 16 ^ (__u32)fd) * 0x9e3779b97f4a7c15ULL) >> 48;
}

/* Addressed UDP flows already counted. A datagram counts as an outbound
 * connection when its socket sends to a destination for the first time, as
 * a connect() counts once; later datagrams of that flow find its tag here
 * and return after reading the address. Direct-mapped by the flow's hash
 * (udp_flow_tag), a slot holds the last tag stored in it: flows sharing a
 * slot, and two CPUs storing at once, only count a flow again. Only a tag
 * equal to another flow's (a 64-bit collision) skips a count; the hash is
 * keyed (udp_flow_key), so a process cannot choose a destination whose tag
 * equals one it sent to before. DNS destinations never enter it: every
 * query is counted. */
#define UDP_SEEN_SLOTS 65536
__u64 udp_seen[UDP_SEEN_SLOTS];

/* A generation per process (by hash of tgid), bumped when it asks for an
 * inet datagram socket: a new socket on a reused descriptor gets new tags,
 * so it is counted as the old one was. The process's other flows then
 * count once more: a duplicate, bounded by its socket creations. */
#define UDP_GEN_SLOTS 1024
__u32 udp_gen[UDP_GEN_SLOTS];

static __always_inline __u32 udp_gen_slot(__u32 tgid)
{
	return (tgid * 0x9e3779b9U) >> 22;
}

/* Set by the exporter before loading, from a random source. */
volatile const __u64 udp_flow_key = 0x9e3779b97f4a7c15ULL;

static __always_inline __u64 mix(__u64 h, __u64 v)
{
	h = (h ^ v) * 0xff51afd7ed558ccdULL;
	return h ^ h >> 32;
}

/* Hash of (tgid, socket generation, fd, address, port); never 0, the empty slot. */
static __always_inline __u64 udp_flow_tag(__u32 tgid, __s32 fd, const struct endpoint *ep)
{
	__u64 hi, lo;
	__builtin_memcpy(&hi, &ep->addr.b[0], 8);
	__builtin_memcpy(&lo, &ep->addr.b[8], 8);
	__u32 gen = udp_gen[udp_gen_slot(tgid) % UDP_GEN_SLOTS];
	__u64 h = mix(udp_flow_key, (__u64)tgid << 32 | (__u32)fd);
	h = mix(h, (__u64)gen << 16 | ep->port);
	h = mix(h, hi);
	return mix(h, lo) | 1;
}

/* Set by the exporter before loading. */
volatile const __u64 novelty_window_ns = 60ULL * 1000000000ULL;
volatile const __u64 novelty_budget = 1024;

static __always_inline void count(__u64 cgroup_id, __u8 kind, __u8 l0, __u8 l1, __u8 l2, __u8 l3, __u8 l4)
{
	struct net_key key = { .cgroup_id = cgroup_id, .kind = kind, .l = { l0, l1, l2, l3, l4 } };
	increment(&net_counts, &key, &net_stats, STAT_COUNTS_FULL);
}

/* Admits one new novelty entry for the container within its budget. */
static __always_inline bool spend_novelty(__u64 cgroup_id, __u8 kind, __u64 now)
{
	struct novelty_budget_key bk = { .cgroup_id = cgroup_id, .kind = kind };
	struct novelty_budget *b = bpf_map_lookup_elem(&net_novelty_budgets, &bk);
	if (!b) {
		struct novelty_budget fresh = { .window_start = now };
		if (bpf_map_update_elem(&net_novelty_budgets, &bk, &fresh, BPF_NOEXIST) && !bpf_map_lookup_elem(&net_novelty_budgets, &bk)) {
			count_stat(&net_stats, STAT_NOVELTY_BUDGET_FULL);
			return false;
		}
		b = bpf_map_lookup_elem(&net_novelty_budgets, &bk);
		if (!b)
			return false;
	}
	if (now - b->window_start >= novelty_window_ns) {
		b->window_start = now;
		b->used = 0;
	}
	if (b->used >= novelty_budget) {
		count_stat(&net_stats, kind == NOVEL_DEST ? STAT_NOVELTY_OVER_BUDGET : STAT_DNS_NAMES_OVER_BUDGET);
		return false;
	}
	__sync_fetch_and_add(&b->used, 1);
	return true;
}

static __always_inline void record_novelty(struct novelty_key *k)
{
	__u64 now = bpf_ktime_get_ns();
	__u64 *seen = bpf_map_lookup_elem(&net_novelty, k);
	if (seen) {
		*seen = now;
		return;
	}
	if (spend_novelty(k->cgroup_id, k->kind, now))
		bpf_map_update_elem(&net_novelty, k, &now, BPF_ANY);
}

/* Counts one outbound connection with its result, and its destination. */
static __always_inline void count_outbound(__u64 cgroup_id, struct endpoint *ep, __u8 proto, __u8 result)
{
	count(cgroup_id, KIND_CONN, DIR_OUT, ep->scope, ep->port_class, proto, result);
	if (ep->port_class == PORT_CLASS_DNS)
		count(cgroup_id, KIND_DNS, 0, 0, 0, 0, 0);
	struct novelty_key k = { .cgroup_id = cgroup_id, .kind = NOVEL_DEST, .scope = ep->scope, .port = ep->port, .addr = ep->addr };
	record_novelty(&k);
}

/* The socket behind a descriptor of the current task, or NULL. */
static __always_inline struct socket *socket_from_fd(int fd)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);
	if (!fdt || fd < 0 || (unsigned int)fd >= BPF_CORE_READ(fdt, max_fds))
		return NULL;
	struct file **fds = BPF_CORE_READ(fdt, fd);
	struct file *f = NULL;
	bpf_probe_read_kernel(&f, sizeof(f), &fds[fd]);
	if (!f || (BPF_CORE_READ(f, f_inode, i_mode) & S_IFMT) != S_IFSOCK)
		return NULL;
	return BPF_CORE_READ(f, private_data);
}

/* Maps a socket's protocol to PROTOCOL_*; false for anything but TCP and UDP. */
static __always_inline bool socket_proto(struct sock *sk, __u8 *proto)
{
	__u16 p = BPF_CORE_READ(sk, sk_protocol);
	if (p == IPPROTO_TCP)
		*proto = PROTOCOL_TCP;
	else if (p == IPPROTO_UDP)
		*proto = PROTOCOL_UDP;
	else
		return false;
	return true;
}

static __always_inline __u64 sock_cgroup_id(const struct sock *sk)
{
	return BPF_CORE_READ(sk, sk_cgrp_data.cgroup, kn, id);
}

/* Entry only reads the address: the socket is looked at on exit, and only
 * when no SYN was sent (a TCP handshake is counted by its state change). */
SEC("tracepoint/syscalls/sys_enter_connect")
int handle_connect_enter(struct trace_event_raw_sys_enter *ctx)
{
	const void *uaddr = (const void *)ctx->args[1];
	__u16 family = 0;
	if (bpf_probe_read_user(&family, sizeof(family), uaddr))
		return 0;
	struct connect_arg a = { .fd = ctx->args[0], .family = family };
	if (family == AF_INET || family == AF_INET6) {
		if (!read_user_sockaddr(&a.ep, uaddr, family))
			return 0;
	} else if (family != AF_UNIX) {
		return 0;
	}
	a.cgroup_id = bpf_get_current_cgroup_id();
	__u64 id = bpf_get_current_pid_tgid();
	if (bpf_map_update_elem(&net_connects, &id, &a, BPF_ANY))
		count_stat(&net_stats, STAT_CONNECTS_FULL);
	return 0;
}

/* Runtime socket suffixes of a bound path, matched at a '/' or the start. */
#define MATCH(buf, n, pat, id)                                                      \
	do {                                                                        \
		const char p[] = pat;                                               \
		__u32 plen = sizeof(p) - 1;                                         \
		if (n >= plen) {                                                    \
			__u32 start = n - plen;                                     \
			bool ok = start == 0 || buf[(start - 1) & UNIX_MASK] == '/'; \
			for (__u32 i = 0; i < sizeof(p) - 1 && ok; i++)             \
				ok = buf[(start + i) & UNIX_MASK] == p[i];    \
			if (ok)                                                     \
				return id;                                          \
		}                                                                   \
	} while (0)

/* The runtime socket (enum runtime_socket) a bound path is, or -1. */
static __always_inline int runtime_socket(const char *buf, __u32 n)
{
	MATCH(buf, n, "docker.sock", RUNTIME_SOCKET_DOCKER);
	MATCH(buf, n, "containerd.sock", RUNTIME_SOCKET_CONTAINERD);
	MATCH(buf, n, "crio.sock", RUNTIME_SOCKET_CRIO);
	MATCH(buf, n, "podman.sock", RUNTIME_SOCKET_PODMAN);
	MATCH(buf, n, "pod-resources/kubelet.sock", RUNTIME_SOCKET_KUBELET_POD_RESOURCES);
	return -1;
}

/* Classifies a connected AF_UNIX socket by the path its peer is bound to,
 * so a runtime socket is recognised under any name the caller used (a
 * bind mount at another path, a symlink). */
static __always_inline void count_unix_peer(__u64 cgroup_id, int fd)
{
	struct socket *sock = socket_from_fd(fd);
	if (!sock)
		return;
	struct unix_sock *self = (struct unix_sock *)BPF_CORE_READ(sock, sk);
	struct unix_sock *peer = (struct unix_sock *)BPF_CORE_READ(self, peer);
	if (!peer)
		return;
	struct unix_address *ua = BPF_CORE_READ(peer, addr);
	if (!ua)
		return;
	char buf[UNIX_MASK + 1] = {};
	long n = bpf_probe_read_kernel_str(buf, UNIX_PATH, &ua->name[0].sun_path);
	if (n <= 1)
		return; /* unbound, or abstract (leading NUL) */
	int id = runtime_socket(buf, (__u32)(n - 1) & UNIX_MASK);
	if (id >= 0)
		count(cgroup_id, KIND_RUNTIME, id, 0, 0, 0, 0);
}

SEC("tracepoint/syscalls/sys_exit_connect")
int handle_connect_exit(struct trace_event_raw_sys_exit *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct connect_arg *a = bpf_map_lookup_elem(&net_connects, &id);
	if (!a)
		return 0;
	long ret = ctx->ret;
	if (a->family == AF_UNIX) {
		if (ret == 0)
			count_unix_peer(a->cgroup_id, a->fd);
	} else if (!a->syn_sent && ret != -EINPROGRESS && ret != -EALREADY && ret != -EISCONN &&
		   ret != -ECONNREFUSED && ret != -ETIMEDOUT) {
		/* With a SYN sent, inet_sock_set_state counts the handshake's end.
		 * A refusal or time-out also means a SYN went out, maybe in an
		 * earlier call: a blocking connect restarted after a signal
		 * (SA_RESTART) finds the socket already closed and returns the
		 * error without a SYN of its own. */
		struct socket *sock = socket_from_fd(a->fd);
		if (!sock || !socket_proto(BPF_CORE_READ(sock, sk), &a->proto))
			goto out;
		classify(&a->ep);
		__u8 result = ret == 0 ? RESULT_OK : ret == -ECONNREFUSED ? RESULT_REFUSED : RESULT_FAILED;
		count_outbound(a->cgroup_id, &a->ep, a->proto, result);
		if (ret == 0 && a->proto == PROTOCOL_UDP && a->ep.port_class == PORT_CLASS_DNS) {
			struct dns_sock ds = { .tgid = id >> 32, .fd = a->fd };
			__u8 one = 1;
			__u32 bit = dns_bit(ds.tgid, ds.fd);
			__sync_fetch_and_or(&dns_bloom[(bit / 64) % DNS_BLOOM_WORDS], 1ULL << (bit % 64));
			bpf_map_update_elem(&net_dns_socks, &ds, &one, BPF_ANY);
		}
	}
out:
	bpf_map_delete_elem(&net_connects, &id);
	return 0;
}

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(handle_sock_state, const struct sock *sk, int oldstate, int newstate)
{
	/* Most changes (closing states) matter to nobody: filter on states
	 * first, then read the socket through its BTF type (no helper call). */
	if (newstate != TCP_SYN_SENT && oldstate != TCP_SYN_SENT && oldstate != TCP_SYN_RECV &&
	    newstate != TCP_LISTEN && oldstate != TCP_LISTEN)
		return 0;
	if (sk->sk_protocol != IPPROTO_TCP)
		return 0;
	struct endpoint ep = {};
	__u64 key = (__u64)sk;
	if (newstate == TCP_SYN_SENT) {
		/* In the connect syscall: its exit leaves the count to us. */
		__u64 id = bpf_get_current_pid_tgid();
		struct connect_arg *a = bpf_map_lookup_elem(&net_connects, &id);
		if (a)
			a->syn_sent = 1;
		return 0;
	}
	if (oldstate == TCP_SYN_SENT && (newstate == TCP_ESTABLISHED || newstate == TCP_CLOSE)) {
		read_sock_endpoint(&ep, sk, true);
		classify(&ep);
		__u8 result = RESULT_OK;
		if (newstate == TCP_CLOSE)
			result = BPF_CORE_READ(sk, sk_err) == ECONNREFUSED ? RESULT_REFUSED : RESULT_FAILED;
		count_outbound(sock_cgroup_id(sk), &ep, PROTOCOL_TCP, result);
		return 0;
	}
	if (oldstate == TCP_SYN_RECV && newstate == TCP_ESTABLISHED) {
		/* Scope of the peer, class of the local (service) port. */
		read_sock_endpoint(&ep, sk, true);
		ep.port = BPF_CORE_READ(sk, __sk_common.skc_num);
		classify(&ep);
		count(sock_cgroup_id(sk), KIND_CONN, DIR_IN, ep.scope, ep.port_class, PROTOCOL_TCP, RESULT_OK);
		return 0;
	}
	if (newstate == TCP_LISTEN) {
		__u64 cgroup_id = sock_cgroup_id(sk);
		read_sock_endpoint(&ep, sk, false);
		classify(&ep);
		count(cgroup_id, KIND_LISTEN, 0, ep.scope, ep.port_class, 0, 0);
		if (bpf_map_update_elem(&net_listeners, &key, &cgroup_id, BPF_ANY))
			count_stat(&net_stats, STAT_LISTENERS_FULL);
		return 0;
	}
	if (oldstate == TCP_LISTEN)
		bpf_map_delete_elem(&net_listeners, &key);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_socket")
int handle_socket(struct trace_event_raw_sys_enter *ctx)
{
	long family = ctx->args[0];
	long type = ctx->args[1] & 0xf;
	if ((family == AF_INET || family == AF_INET6) && type == SOCK_DGRAM) {
		__u32 slot = udp_gen_slot(bpf_get_current_pid_tgid() >> 32);
		__sync_fetch_and_add(&udp_gen[slot % UDP_GEN_SLOTS], 1);
		return 0;
	}
	if (family == AF_PACKET)
		count(bpf_get_current_cgroup_id(), KIND_RAW, RAW_SOCKET_PACKET, 0, 0, 0, 0);
	else if ((family == AF_INET || family == AF_INET6) && type == SOCK_RAW)
		count(bpf_get_current_cgroup_id(), KIND_RAW, RAW_SOCKET_RAW, 0, 0, 0, 0);
	return 0;
}

/* Records the hash of a DNS query's first name (lower-cased wire format
 * after the 12-byte header) as a novelty entry; no name leaves the kernel. */
static __always_inline void record_dns_name(__u64 cgroup_id, const __u8 *buf, __u64 len)
{
	if (len <= 12)
		return;
	__u8 name[DNS_NAME_SCAN] = {};
	__u32 n = len - 12 > DNS_NAME_SCAN ? DNS_NAME_SCAN : len - 12;
	if (bpf_probe_read_user(name, n, buf + 12))
		return;
	__u64 hash = 0xcbf29ce484222325ULL; /* FNV-1a */
	for (__u32 i = 0; i < DNS_NAME_SCAN; i++) {
		__u8 c = name[i];
		if (i >= n || c == 0)
			break;
		if (c >= 'A' && c <= 'Z')
			c += 'a' - 'A';
		hash = (hash ^ c) * 0x100000001b3ULL;
	}
	struct novelty_key k = { .cgroup_id = cgroup_id, .kind = NOVEL_DNS_NAME };
	__builtin_memcpy(&k.addr, &hash, sizeof(hash));
	record_novelty(&k);
}

static __always_inline bool is_dns_sock(int fd)
{
	struct dns_sock ds = { .tgid = bpf_get_current_pid_tgid() >> 32, .fd = fd };
	__u32 bit = dns_bit(ds.tgid, ds.fd);
	if (!(dns_bloom[(bit / 64) % DNS_BLOOM_WORDS] & (1ULL << (bit % 64))))
		return false;
	return bpf_map_lookup_elem(&net_dns_socks, &ds) != NULL;
}

/* glibc's resolver sends the A and AAAA queries of a connected socket in
 * one sendmmsg: the first message's name is recorded. */
SEC("tracepoint/syscalls/sys_enter_sendmmsg")
int handle_sendmmsg(struct trace_event_raw_sys_enter *ctx)
{
	if (!is_dns_sock(ctx->args[0]))
		return 0;
	struct mmsghdr m;
	struct iovec iov;
	if (bpf_probe_read_user(&m, sizeof(m), (const void *)ctx->args[1]) || !m.msg_hdr.msg_iov ||
	    bpf_probe_read_user(&iov, sizeof(iov), m.msg_hdr.msg_iov))
		return 0;
	record_dns_name(bpf_get_current_cgroup_id(), iov.iov_base, iov.iov_len);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_sendto")
int handle_sendto(struct trace_event_raw_sys_enter *ctx)
{
	int fd = ctx->args[0];
	const __u8 *buf = (const __u8 *)ctx->args[1];
	__u64 len = ctx->args[2];
	const void *uaddr = (const void *)ctx->args[4];
	if (!uaddr) {
		/* send() on a connected socket: only DNS sockets matter. */
		if (is_dns_sock(fd))
			record_dns_name(bpf_get_current_cgroup_id(), buf, len);
		return 0;
	}
	struct endpoint ep = {};
	if (!read_user_inet_sockaddr(&ep, uaddr, ctx->args[5]))
		return 0;
	__u64 tag = udp_flow_tag(bpf_get_current_pid_tgid() >> 32, fd, &ep);
	__u64 *seen = &udp_seen[(tag >> 48) % UDP_SEEN_SLOTS];
	if (*seen == tag)
		return 0;
	struct socket *sock = socket_from_fd(fd);
	__u8 proto;
	if (!sock || !socket_proto(BPF_CORE_READ(sock, sk), &proto) || proto != PROTOCOL_UDP)
		return 0;
	classify(&ep);
	__u64 cgroup_id = bpf_get_current_cgroup_id();
	count_outbound(cgroup_id, &ep, PROTOCOL_UDP, RESULT_OK);
	if (ep.port_class == PORT_CLASS_DNS)
		record_dns_name(cgroup_id, buf, len);
	else
		*seen = tag;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
