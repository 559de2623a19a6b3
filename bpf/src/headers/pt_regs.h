/* SPDX-License-Identifier: GPL-2.0 */
/* The register types bpf_tracing.h's PT_REGS_*_CORE macros read on the
 * target architecture that vmlinux.h (generated on x86-64) does not
 * define. CO-RE relocates the field offsets against the running kernel's
 * BTF, so only the fields' names and types matter here. */
#pragma once

#if defined(__TARGET_ARCH_arm64)
/* arm64 exposes the syscall registers as struct user_pt_regs
 * (arch/arm64/include/uapi/asm/ptrace.h), the first member of its
 * struct pt_regs. */
struct user_pt_regs {
	__u64 regs[31];
	__u64 sp;
	__u64 pc;
	__u64 pstate;
} __attribute__((preserve_access_index));
#elif !defined(__TARGET_ARCH_x86)
#error "files.bpf.c reads syscall registers: build it with bpf2go -target amd64 or arm64"
#endif
