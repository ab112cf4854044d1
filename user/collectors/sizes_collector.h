/* SPDX-License-Identifier: GPL-2.0 */
/* sizes: frame-length histograms per interface and direction (sizes.c). */
#ifndef WS_SIZES_COLLECTOR_H
#define WS_SIZES_COLLECTOR_H

#include "core/core.h"
#include "sizes.h" /* headers/ */

extern const struct ws_collector ws_sizes_collector;
extern const char *const ws_size_bucket_names[WS_SIZE_NBUCKETS];

struct wirescope_bpf;
int sizes_set_slot(struct wirescope_bpf *skel, uint32_t ifindex, uint32_t slot);

/* Totals since start for interface @i (index into opts) and direction. */
const struct sizes_counters *sizes_total(int i, int dir,
					 struct sizes_counters *out);

/* --small N, of sizes and diag: 0 or a usage error. */
int sizes_parse_small(const char *arg, struct ws_opts *o, const char *cmd);

/*
 * Received frames of one interface, over the whole run and over its busy
 * seconds: the sampling intervals at >= WS_BUSY_PPS (an idle second says
 * nothing about the per-packet cost of the busy ones).  peak_pps is the
 * busiest interval of at least half a second.
 */
#define WS_BUSY_PPS 1000.0
struct ws_rx_rates {
	uint64_t packets, small; /* whole run */
	double secs;
	uint64_t busy_packets, busy_small;
	double busy_secs;
	double peak_pps;
};

/* Since start, for interface @i (index into opts). */
void sizes_rx_rates(int i, double elapsed, struct ws_rx_rates *out);

struct ws_findings;
void find_small_packets(const char *iface, const struct ws_rx_rates *r,
			unsigned threshold, struct ws_findings *f);

#endif
