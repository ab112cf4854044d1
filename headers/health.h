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
	WS_H_RESETS_RATE_LIMITED = 12, /* RST event over the rate limit */
	WS_H_RESETS_RINGBUF_FULL = 13, /* RST event lost: ring buffer full */
	WS_H_RESETS_FLOW_INSERT = 14,  /* flow baseline could not be added */
	WS_H_NCOUNTERS = 16,
};

#endif
