/* Socket helpers on struct file, for any rtsec program that meets a file
 * descriptor and must know whether it is a network socket. */
#ifndef RTSEC_SOCK_H
#define RTSEC_SOCK_H

#include "vmlinux.h"
#include <bpf/bpf_core_read.h>

#define RTSEC_S_IFMT 00170000
#define RTSEC_S_IFSOCK 0140000
#define RTSEC_AF_INET 2
#define RTSEC_AF_INET6 10

/* The socket behind f, or NULL when f is not a socket. */
static __always_inline struct sock *file_sock(struct file *f)
{
	if (!f)
		return NULL;
	umode_t mode = BPF_CORE_READ(f, f_inode, i_mode);
	if ((mode & RTSEC_S_IFMT) != RTSEC_S_IFSOCK)
		return NULL;
	struct socket *s = BPF_CORE_READ(f, private_data);
	if (!s)
		return NULL;
	return BPF_CORE_READ(s, sk);
}

/* Whether f is an IPv4 or IPv6 socket (TCP, UDP, raw…): a network peer,
 * unlike the unix sockets services get as stdio from their supervisor. */
static __always_inline bool file_is_inet_socket(struct file *f)
{
	struct sock *sk = file_sock(f);
	if (!sk)
		return false;
	__u16 family = BPF_CORE_READ(sk, __sk_common.skc_family);
	return family == RTSEC_AF_INET || family == RTSEC_AF_INET6;
}

#endif
