/* SPDX-License-Identifier: GPL-2.0 */
#ifndef WS_COLLECTORS_H
#define WS_COLLECTORS_H

#include "core.h"
#include "sizes.h" /* headers/ */

extern const struct ws_collector ws_sizes_collector;
extern const struct ws_collector ws_host_collector;
extern const struct ws_collector ws_retrans_collector;
extern const char *const ws_size_bucket_names[WS_SIZE_NBUCKETS];

struct wirescope_bpf;
int sizes_set_slot(struct wirescope_bpf *skel, uint32_t ifindex, uint32_t slot);

/* Totals since start for interface @i (index into opts) and direction. */
const struct sizes_counters *sizes_total(int i, int dir,
					 struct sizes_counters *out);

struct ws_findings;
void find_small_packets(const char *iface, uint64_t packets, uint64_t small,
			double secs, unsigned threshold, struct ws_findings *f);

#endif
