/* SPDX-License-Identifier: GPL-2.0 */
/* Packet-size collector: shared between bpf/sizes.bpf.h and user/sizes.c. */
#ifndef WS_SIZES_H
#define WS_SIZES_H

#include "ws_types.h"

/*
 * On-wire frame length, Ethernet header included, FCS excluded.
 * Upper bounds (inclusive) of each bucket; the last one is open.
 */
#define WS_SIZE_NBUCKETS    7
#define WS_SIZES_MAX_IFACES 64

/*
 * ifindex -> slot: a direct array below this ifindex (inlined lookups, 256
 * KB), a small hash above it.  Slots are stored +1 so that 0 means "not
 * watched".  Counters live at index slot * WS_NDIRS + dir.
 */
#define WS_IFINDEX_DIRECT 65536

/* One per CPU and per (interface slot, dir): summed, never reset. */
struct sizes_counters {
	__u64 packets;
	__u64 bytes;
	__u64 small; /* frames shorter than the --small threshold */
	__u64 bucket[WS_SIZE_NBUCKETS];
};

_Static_assert(sizeof(struct sizes_counters) == 80, "sizes_counters layout");

static __always_inline __u32 ws_size_bucket(__u32 len)
{
	if (len <= 64)
		return 0;
	if (len <= 127)
		return 1;
	if (len <= 255)
		return 2;
	if (len <= 511)
		return 3;
	if (len <= 1023)
		return 4;
	if (len <= 1518)
		return 5;
	return 6;
}

#endif
