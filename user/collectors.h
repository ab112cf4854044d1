/* SPDX-License-Identifier: GPL-2.0 */
#ifndef WS_COLLECTORS_H
#define WS_COLLECTORS_H

#include "core.h"
#include "sizes.h" /* headers/ */
#include "handshakes.h"

extern const struct ws_collector ws_sizes_collector;
extern const struct ws_collector ws_host_collector;
extern const struct ws_collector ws_sndbuf_collector;
extern const struct ws_collector ws_retrans_collector;
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
/* handshakes (user/handshakes.c) */
extern const struct ws_collector ws_handshakes_collector;
extern const char *const hs_leg_names[HS_NLEGS];

struct hs_port_row {
	uint32_t port;
	struct hs_port_stats s;
};

/* Totals since start: counters and latency histograms, both roles. */
void hs_totals(struct hs_stats *out);
/* Server handshakes completed: final ACKs minus those proven dropped. */
uint64_t hs_server_handshakes(const struct hs_stats *d);
/* Handshakes the LRU flow table evicted before they ended (--max-flows). */
uint64_t hs_flows_evicted(void);
/* Totals since start for one local listening port; -ENOENT if unseen. */
int hs_port_totals(uint16_t port, struct hs_port_stats *out);
/* Quantile @q (0..1) of a log2-usec histogram, in seconds; -1 if empty. */
double hs_quantile(const __u64 *hist, double q);
/* Cumulative per-port counters straight from the map. */
int hs_read_port(struct ws_session *s, uint16_t port,
		 struct hs_port_stats *out);
int hs_configure_bpf(struct ws_session *s);
/* True if -p lists @port, or no -p was given. */
bool hs_port_wanted(const struct ws_opts *o, uint32_t port);

/* Options shared by handshakes and accept (hs_option: -1 if not ours). */
enum {
	HS_OPT_MAX_FLOWS = WS_OPT_CMD_BASE + 50,
	HS_OPT_MAX_PORTS,
	HS_OPT_TOP,
	HS_OPT_HIST,
};
int hs_option(int c, const char *arg, struct ws_opts *o, const char *cmd,
	      void *ctx);

/* accept (user/accept.c) */
extern const struct ws_collector ws_accept_collector;

enum accept_verdict {
	ACCEPT_OK = 0,
	ACCEPT_OVERFLOWING,
	ACCEPT_DEFERRED,
};

/* One listening socket, totals since start (or since it appeared). */
struct accept_listener {
	uint32_t addr[4]; /* network byte order */
	uint16_t port;
	uint8_t family;
	bool gone; /* closed while we ran */
	uint32_t inode;
	int pid; /* owner, 0 if unknown */
	char comm[16];
	uint32_t queue;	    /* accept queue now */
	uint32_t queue_max; /* max seen since start */
	uint32_t backlog;
	uint64_t overflows;	  /* sk_drops delta: ListenOverflows/Drops */
	uint64_t kfree_overflows; /* ACK-site drops, skb:kfree_skb */
	uint64_t synack_retrans;
	bool defer_accept;
	struct hs_port_stats wire; /* per port, from the XDP/tc programs */
	enum accept_verdict verdict;
};

extern const char *const accept_verdict_names[];
/* Listeners seen since start; *n gets the count.  Valid until next sample. */
const struct accept_listener *accept_listeners(int *n);
/* Host-wide TcpExt counters since start (this network namespace). */
void accept_host_totals(uint64_t *listen_overflows, uint64_t *listen_drops);
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
