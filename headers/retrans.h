/* SPDX-License-Identifier: GPL-2.0 */
/* TCP retransmissions per remote peer: bpf/retrans.bpf.h and user/retrans.c */
#ifndef WS_RETRANS_H
#define WS_RETRANS_H

#include "ws_types.h"

#define WS_RETRANS_MAX_PEERS 4096

/* An IPv4 peer is stored as an IPv4-mapped IPv6 address (::ffff:a.b.c.d). */
struct retrans_key {
	__u8 addr[16];
};

/* Updated in place with atomic adds; never reset. */
struct retrans_val {
	__u64 events;
	__u64 segs; /* segments, as TcpRetransSegs counts them */
};

/* Per-CPU totals in the namespace, including peers that found no slot. */
struct retrans_total {
	__u64 events; /* resends that left this host (6.17+: err 0) */
	__u64 segs;
	/* 6.17+: resends that failed here and never left (not in segs) */
	__u64 failed_segs;
};

_Static_assert(sizeof(struct retrans_key) == 16, "retrans_key layout");
_Static_assert(sizeof(struct retrans_val) == 16, "retrans_val layout");
_Static_assert(sizeof(struct retrans_total) == 24, "retrans_total layout");

#endif
