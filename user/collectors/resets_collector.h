/* SPDX-License-Identifier: GPL-2.0 */
/* resets: who sent each TCP RST (resets.c, resets_out.c, verdict.c, locate.c).
 */
#ifndef WS_RESETS_COLLECTOR_H
#define WS_RESETS_COLLECTOR_H

#include "core/core.h"
#include "resets.h" /* headers/ */
#include "collectors/verdict.h"

struct rst_options {
	uint32_t flows; /* flow baselines kept (LRU) */
	uint64_t rate;	/* RST events per second per CPU */
	bool locate;	/* --locate: probe for a middlebox's address */
};

extern const struct ws_collector ws_resets_collector;
/* The presence filter in front of rst_flows (resets_present.c). */
struct rst_present {
	uint8_t *slots; /* the rst_present map, mapped */
	uint32_t *half; /* .bss rst_present_half: the bit BPF reads */
	struct bpf_map *flows; /* rst_flows */
	uint32_t marked_after_rebuild;
};
int resets_present_open(struct rst_present *p, struct wirescope_bpf *skel);
void resets_present_close(struct rst_present *p);
/* Rebuild now: the flows walked, or -errno. */
int resets_present_rebuild(struct rst_present *p);
/* Rebuild if stale marks have doubled: the flows walked, -1 if none. */
int resets_present_refresh(struct rst_present *p);
/* Flow baselines the LRU evicted so far: a lower bound (resets.c). */
uint64_t rst_flows_evicted(void);
/* Before ws_session_run(); the defaults need no call. */
void resets_set_options(const struct rst_options *o);

#define RESETS_QUERY_MAX 8
struct resets_middlebox {
	char peer[WS_ADDRSTRLEN];
	char hop_addr[WS_ADDRSTRLEN]; /* "" unless --locate found it */
	int hops_before_peer;
	double idle_min_s, idle_max_s; /* -1: unknown */
	bool unsolicited;
	uint64_t count;
};
struct resets_query {
	uint64_t total;
	uint64_t by_verdict[RV_N];
	uint64_t by_dir[WS_NDIRS];
	uint64_t
	    unknown_ours; /* unknown, but this host's (kernel or firewall) */
	int n_middlebox;
	struct resets_middlebox middlebox[RESETS_QUERY_MAX];
};
/* Resets decided so far (after the settle time), for diag. */
void resets_query(struct resets_query *q);

/* Keepalive evidence and advice against a middlebox idle timeout. */
struct ws_finding;
void ws_advise_keepalive(struct ws_finding *x, double idle_timeout_s);

#endif
