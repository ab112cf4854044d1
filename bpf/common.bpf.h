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

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, WS_H_NCOUNTERS);
	__type(key, __u32);
	__type(value, __u64);
} ws_health SEC(".maps");

static __always_inline void health_inc(__u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(&ws_health, &idx);

	if (v)
		(*v)++;
}

#endif
