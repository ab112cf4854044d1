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
	WS_H_NCOUNTERS = 16,
};

#endif
