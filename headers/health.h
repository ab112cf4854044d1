/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Self-health counters: every place a BPF program could lose a count
 * (no map slot, a full table, a dropped event) increments one of these, and
 * every report shows them.  Indices into the per-CPU array "ws_health".
 */
#ifndef WS_HEALTH_H
#define WS_HEALTH_H

#include "ws_types.h"

enum ws_health_idx {
	WS_H_SIZES_NO_SLOT =
	    0, /* frame on an ifindex we have no counters for */
	WS_H_RETRANS_NO_SLOT = 1, /* retransmit from a peer beyond the map */
	/* IPv6 whose extension headers the parser could not walk to L4 (more
	 * than WS_MAX_IPV6_EXTS, or past the frame): TCP collectors miss it */
	WS_H_IPV6_EXT_UNWALKED = 2,
	/* tc: a TCP frame whose headers lay past the skb's linear head and
	 * were not pulled in (egress; on ingress a failed pull, or a head of
	 * 54 bytes or more still short of them): TCP collectors miss it */
	WS_H_HEADERS_UNREAD = 3,
	/* resets: a tcp_send_reset event whose segment's headers could not
	 * be read (nor a socket's): that RST of ours is unknown */
	WS_H_RESETS_EVENT_UNREAD = 4,
	/* handshakes/accept */
	WS_H_HS_FLOW_INSERT_FAILED = 8, /* SYN not tracked: insert failed */
	WS_H_HS_NO_FLOW = 9,	 /* SYN-ACK of a SYN we hold no state for */
	WS_H_HS_PORTS_FULL = 10, /* no per-port slot (--max-ports) */
	WS_H_ACCEPT_LISTENERS_FULL = 11, /* no per-listener slot */
	WS_H_RESETS_RATE_LIMITED = 12,	 /* RST event over the rate limit */
	WS_H_RESETS_RINGBUF_FULL = 13,	 /* RST event lost: ring buffer full */
	WS_H_RESETS_FLOW_INSERT = 14,	 /* flow baseline could not be added */
	/* user space (ws_health_count): a listener's port got no per-port
	 * slot (--max-ports), so its wire evidence is missing */
	WS_H_ACCEPT_PORTS_FULL = 15,
	WS_H_NCOUNTERS = 16,
};

#endif
