/* SPDX-License-Identifier: GPL-2.0 */
/* Pieces every collector's BPF code uses. */
#ifndef WS_COMMON_BPF_H
#define WS_COMMON_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "ws_types.h"
#include "health.h"
#include "parse.h"

#define TC_ACT_UNSPEC (-1)

/*
 * Arguments of a tp_btf tracepoint that later kernels added: how many this
 * kernel has (void *ctx not counted), set by user space from the kernel's
 * BTF (btf_trace_<event>).  A read past them is rejected at load, so such
 * reads sit behind these constants and the verifier drops them.  The
 * defaults are the oldest kernels' counts.
 */
const volatile __u32 ws_tp_kfree_skb_nargs = 2;	    /* 5.17 reason, 6.11 rx_sk */
const volatile __u32 ws_tp_send_reset_nargs = 2;    /* 6.10 reason */
const volatile __u32 ws_tp_retransmit_nargs = 2;    /* 6.17 err */

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, WS_H_NCOUNTERS);
	__type(key, __u32);
	__type(value, __u64);
} ws_health SEC(".maps");

/* Counter @idx of a per-CPU array of __u64 (this CPU's: no atomics). */
static __always_inline void percpu_inc(void *map, __u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(map, &idx);

	if (v)
		(*v)++;
}

static __always_inline void health_inc(__u32 idx)
{
	percpu_inc(&ws_health, idx);
}

#endif
