/* Classification of remote addresses and ports into rtsec's bounded label
 * ids. The tables are maps the exporter fills before attaching: the scope
 * of an address by longest prefix (IPv4 as v4-mapped IPv6), the class of a
 * port by exact match. */
#ifndef RTSEC_NETCLASS_H
#define RTSEC_NETCLASS_H

#include "rtsec.h"
#include <bpf/bpf_endian.h>

#define AF_UNIX 1
#define AF_INET 2
#define AF_INET6 10
#define AF_PACKET 17

/* Address scopes (label scope). SCOPE_PUBLIC is what no prefix matches;
 * the exporter's scope table gives the others but SCOPE_ANY. */
enum scope {
	SCOPE_PUBLIC,
	SCOPE_LOOPBACK,
	SCOPE_PRIVATE,
	SCOPE_LINK_LOCAL,
	SCOPE_METADATA,
	SCOPE_CLUSTER_POD,
	SCOPE_CLUSTER_SERVICE,
	SCOPE_NODE,
	SCOPE_ANY, /* 0.0.0.0 or ::, for listeners */
};

/* Port classes (label port_class), of the exporter's port table but
 * PORT_CLASS_OTHER and PORT_CLASS_OTHER_PRIVILEGED (any unlisted port below 1024). */
enum port_class {
	PORT_CLASS_OTHER,
	PORT_CLASS_OTHER_PRIVILEGED,
	PORT_CLASS_SSH,
	PORT_CLASS_DNS,
	PORT_CLASS_HTTP,
	PORT_CLASS_HTTPS,
	PORT_CLASS_K8S_API,
	PORT_CLASS_KUBELET,
	PORT_CLASS_ETCD,
	PORT_CLASS_DOCKER_API,
	PORT_CLASS_DATABASE,
	PORT_CLASS_SMTP,
	PORT_CLASS_IRC,
	PORT_CLASS_TOR,
	PORT_CLASS_MINING,
};

/* An address in network byte order, IPv4 mapped into IPv6. */
struct addr16 {
	__u8 b[16];
};

struct lpm_key {
	__u32 prefixlen;
	struct addr16 addr;
};

struct scope_info {
	__u8 scope;
	/* The address is a Kubernetes API server: its API ports are k8s_api. */
	__u8 api_server;
};

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 1024);
	__type(key, struct lpm_key);
	__type(value, struct scope_info);
	__uint(map_flags, BPF_F_NO_PREALLOC);
} net_scopes SEC(".maps");

/* Class of a port; toward an API server, api_port ports are k8s_api. */
struct port_info {
	__u8 port_class;
	__u8 api_port;
};

/* Port (host byte order) → class. Unlisted ports are other_privileged
 * below 1024, else other. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u16);
	__type(value, struct port_info);
} net_ports SEC(".maps");

/* A remote endpoint, classified. */
struct endpoint {
	struct addr16 addr;
	__u16 port; /* host byte order */
	__u8 scope;
	__u8 port_class;
};

static __always_inline void addr_from_v4(struct addr16 *a, __be32 v4)
{
	__builtin_memset(a, 0, sizeof(*a));
	a->b[10] = 0xff;
	a->b[11] = 0xff;
	__builtin_memcpy(&a->b[12], &v4, 4);
}

static __always_inline bool addr_is_zero(const struct addr16 *a)
{
	__u64 hi, lo;
	__builtin_memcpy(&hi, &a->b[0], 8);
	__builtin_memcpy(&lo, &a->b[8], 8);
	/* :: or ::ffff:0.0.0.0 */
	return hi == 0 && (lo == 0 || lo == 0xffff0000);
}

/* Fills scope and port_class of e from its address and port. */
static __always_inline void classify(struct endpoint *e)
{
	struct lpm_key key = { .prefixlen = 128, .addr = e->addr };
	struct scope_info *s = bpf_map_lookup_elem(&net_scopes, &key);
	bool api = false;
	e->scope = SCOPE_PUBLIC;
	if (addr_is_zero(&e->addr))
		e->scope = SCOPE_ANY;
	else if (s) {
		e->scope = s->scope;
		api = s->api_server;
	}
	__u16 port = e->port;
	struct port_info *p = bpf_map_lookup_elem(&net_ports, &port);
	if (p && p->api_port && api)
		e->port_class = PORT_CLASS_K8S_API;
	else if (p)
		e->port_class = p->port_class;
	else if (port < 1024)
		e->port_class = PORT_CLASS_OTHER_PRIVILEGED;
	else
		e->port_class = PORT_CLASS_OTHER;
}

/* Reads a user sockaddr_in/sockaddr_in6 into e; false for other families. */
static __always_inline bool read_user_sockaddr(struct endpoint *e, const void *uaddr, __u16 family)
{
	if (family == AF_INET) {
		struct sockaddr_in sin;
		if (bpf_probe_read_user(&sin, sizeof(sin), uaddr))
			return false;
		addr_from_v4(&e->addr, sin.sin_addr.s_addr);
		e->port = bpf_ntohs(sin.sin_port);
		return true;
	}
	if (family == AF_INET6) {
		struct sockaddr_in6 sin6;
		if (bpf_probe_read_user(&sin6, sizeof(sin6), uaddr))
			return false;
		__builtin_memcpy(&e->addr, &sin6.sin6_addr, 16);
		e->port = bpf_ntohs(sin6.sin6_port);
		return true;
	}
	return false;
}

/* Reads a user sockaddr_in or sockaddr_in6 of len bytes into e in one read
 * (the family is its first field); false for other families. */
static __always_inline bool read_user_inet_sockaddr(struct endpoint *e, const void *uaddr, __u64 len)
{
	union {
		struct sockaddr_in v4;
		struct sockaddr_in6 v6;
	} sa = {};
	/* Constant sizes: the verifier wants a bounded one. 24 is a sockaddr_in6
	 * without its scope id, which the kernel accepts. */
	long err;
	if (len >= sizeof(sa.v6))
		err = bpf_probe_read_user(&sa, sizeof(sa.v6), uaddr);
	else if (len >= offsetof(struct sockaddr_in6, sin6_scope_id))
		err = bpf_probe_read_user(&sa, offsetof(struct sockaddr_in6, sin6_scope_id), uaddr);
	else if (len >= sizeof(sa.v4))
		err = bpf_probe_read_user(&sa, sizeof(sa.v4), uaddr);
	else
		return false;
	if (err)
		return false;
	if (sa.v4.sin_family == AF_INET) {
		addr_from_v4(&e->addr, sa.v4.sin_addr.s_addr);
		e->port = bpf_ntohs(sa.v4.sin_port);
		return true;
	}
	if (sa.v6.sin6_family != AF_INET6 || len < offsetof(struct sockaddr_in6, sin6_scope_id))
		return false;
	__builtin_memcpy(&e->addr, &sa.v6.sin6_addr, 16);
	e->port = bpf_ntohs(sa.v6.sin6_port);
	return true;
}

/* Reads the remote (remote=true) or local endpoint of an inet socket. */
static __always_inline void read_sock_endpoint(struct endpoint *e, const struct sock *sk, bool remote)
{
	__u16 family = BPF_CORE_READ(sk, __sk_common.skc_family);
	if (family == AF_INET6) {
		if (remote)
			BPF_CORE_READ_INTO(&e->addr, sk, __sk_common.skc_v6_daddr);
		else
			BPF_CORE_READ_INTO(&e->addr, sk, __sk_common.skc_v6_rcv_saddr);
	} else {
		__be32 v4 = remote ? BPF_CORE_READ(sk, __sk_common.skc_daddr) : BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr);
		addr_from_v4(&e->addr, v4);
	}
	e->port = remote ? bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport)) : BPF_CORE_READ(sk, __sk_common.skc_num);
}

#endif
