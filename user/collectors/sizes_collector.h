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

struct ws_findings;
void find_small_packets(const char *iface, uint64_t packets, uint64_t small,
			double secs, unsigned threshold, struct ws_findings *f);

#endif
