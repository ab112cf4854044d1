/* SPDX-License-Identifier: GPL-2.0 */
/* Packet-size collector: per-CPU counters per (interface, direction). */
#ifndef WS_SIZES_BPF_H
#define WS_SIZES_BPF_H

#include "common.bpf.h"
#include "sizes.h"

const volatile bool sizes_enabled = false;
const volatile __u32 sizes_small_threshold = 128;

/*
 * Array lookups are inlined by the verifier; a per-CPU hash keyed by
 * (ifindex, dir) cost ten times as much per packet (docs/BENCHMARKS.md).
 * User space fills the slot maps for each watched interface.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, WS_IFINDEX_DIRECT);
	__type(key, __u32);
	__type(value, __u32);
} sizes_slot_of SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, WS_SIZES_MAX_IFACES);
	__type(key, __u32);
	__type(value, __u32);
} sizes_slot_big SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, WS_SIZES_MAX_IFACES *WS_NDIRS);
	__type(key, __u32);
	__type(value, struct sizes_counters);
} sizes_counters SEC(".maps");

static __always_inline struct sizes_counters *sizes_slot(__u32 ifindex,
							 __u32 dir)
{
	__u32 *slot, idx;

	if (ifindex < WS_IFINDEX_DIRECT) {
		slot = bpf_map_lookup_elem(&sizes_slot_of, &ifindex);
		/* Keep clang from merging the two lookups into one call on a
		 * variable map, which the verifier cannot inline. */
		asm volatile("" : "+r"(slot));
	} else {
		slot = bpf_map_lookup_elem(&sizes_slot_big, &ifindex);
	}
	if (!slot || !*slot) {
		health_inc(WS_H_SIZES_NO_SLOT);
		return NULL;
	}
	idx = (*slot - 1) * WS_NDIRS + dir;
	return bpf_map_lookup_elem(&sizes_counters, &idx);
}

static __always_inline void sizes_add(struct sizes_counters *c, __u32 len,
				      __u32 n)
{
	c->packets += n;
	c->bytes += (__u64)len * n;
	c->bucket[ws_size_bucket(len)] += n;
	if (len < sizes_small_threshold)
		c->small += n;
}

/* One frame as it is on the wire. */
static __always_inline void sizes_count(__u32 ifindex, __u32 dir, __u32 len)
{
	struct sizes_counters *c;

	if (!sizes_enabled)
		return;
	c = sizes_slot(ifindex, dir);
	if (c)
		sizes_add(c, len, 1);
}

/*
 * A GSO/GRO super-packet of @len bytes becomes @segs wire frames, each with
 * the @hdr bytes of headers repeated and up to @mss bytes of payload.  When
 * the headers cannot be parsed (@hdr == 0) or the numbers disagree, spread
 * the length evenly over the segments: the packet count stays exact.  An
 * untrusted sender's GSO (tap, virtio) has no @segs yet: the headers give
 * it, or else @len / @mss rounded up (one too many at most).
 */
static __always_inline void sizes_count_gso(__u32 ifindex, __u32 dir, __u32 len,
					    __u32 segs, __u32 mss, __u32 hdr)
{
	struct sizes_counters *c;
	__u32 payload, full, rem;

	if (!sizes_enabled)
		return;
	c = sizes_slot(ifindex, dir);
	if (!c)
		return;
	if (hdr && hdr < len && mss) {
		payload = len - hdr;
		full = payload / mss;
		rem = payload - full * mss;
		if (!segs)
			segs = full + (rem != 0);
		if (full + (rem != 0) == segs) {
			sizes_add(c, hdr + mss, full);
			if (rem)
				sizes_add(c, hdr + rem, 1);
			return;
		}
	}
	if (!segs)
		segs = mss ? (len + mss - 1) / mss : 1;
	sizes_add(c, len / segs, segs);
	c->bytes += len - (len / segs) * segs;
}

#endif
