/* SPDX-License-Identifier: GPL-2.0 */
/* Fixed-width types for headers shared by BPF programs and user space. */
#ifndef WS_TYPES_H
#define WS_TYPES_H

#ifdef __VMLINUX_H__
/* BPF side: vmlinux.h already defines __u8 ... __u64. */
#else
#include <linux/types.h>
#endif

#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif

/*
 * Hide @v's value from the compiler, so that it keeps each bound check of
 * it: otherwise clang 14 drops one a former check implies and then adds a
 * fresh, unbounded load of l4_off to the packet pointer (the 6.1 verifier
 * then loses the packet range), or turns arithmetic back into branches.
 */
#ifdef __VMLINUX_H__
#define WS_OPAQUE(v) asm volatile("" : "+r"(v))
#else
#define WS_OPAQUE(v) ((void)0)
#endif

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define ws_ntohs(x) __builtin_bswap16(x)
#define ws_ntohl(x) __builtin_bswap32(x)
#else
#define ws_ntohs(x) (x)
#define ws_ntohl(x) (x)
#endif
#define ws_htons(x) ws_ntohs(x)

/* Directions, as seen from the watched interface. */
enum ws_dir {
	WS_RX = 0,
	WS_TX = 1,
	WS_NDIRS = 2,
};

/* How a collector's ingress program was attached, reported in stats. */
enum ws_hook_mode {
	WS_HOOK_NONE = 0,
	WS_HOOK_XDP_NATIVE,
	WS_HOOK_XDP_GENERIC,
	WS_HOOK_TCX,
	WS_HOOK_CLSACT,
};

#endif
