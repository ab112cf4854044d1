/* SPDX-License-Identifier: GPL-2.0 */
#ifndef WS_COLLECTORS_H
#define WS_COLLECTORS_H

#include "core.h"
#include "sizes.h" /* headers/ */

extern const struct ws_collector ws_sizes_collector;
extern const char *const ws_size_bucket_names[WS_SIZE_NBUCKETS];

struct wirescope_bpf;
int sizes_set_slot(struct wirescope_bpf *skel, uint32_t ifindex, uint32_t slot);

/* Totals since start for interface @i (index into opts) and direction. */
const struct sizes_counters *sizes_total(int i, int dir,
					 struct sizes_counters *out);

/* resets: who sent each TCP RST (user/resets.c, verdict.c). */
#include "resets.h" /* headers/ */
#include "verdict.h"

struct rst_options {
	uint32_t flows; /* flow baselines kept (LRU) */
	uint64_t rate;	/* RST events per second per CPU */
	bool locate;	/* --locate: probe for a middlebox's address */
};

extern const struct ws_collector ws_resets_collector;
/* Before ws_session_run(); the defaults need no call. */
void resets_set_options(const struct rst_options *o);

#define RESETS_QUERY_MAX 8
struct resets_middlebox {
	char peer[46];
	char hop_addr[46]; /* "" unless --locate found it */
	int hops_before_peer;
	double idle_min_s, idle_max_s; /* -1: unknown */
	bool unsolicited;
	uint64_t count;
};
struct resets_query {
	uint64_t total;
	uint64_t by_verdict[RV_N];
	uint64_t by_dir[WS_NDIRS];
	int n_middlebox;
	struct resets_middlebox middlebox[RESETS_QUERY_MAX];
};
/* Resets decided so far (after the settle time), for diag. */
void resets_query(struct resets_query *q);

#endif
