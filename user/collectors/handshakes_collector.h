/* SPDX-License-Identifier: GPL-2.0 */
/* Handshakes and accept queues: one concern, two collectors (handshakes.c,
 * accept.c). */
#ifndef WS_HANDSHAKES_COLLECTOR_H
#define WS_HANDSHAKES_COLLECTOR_H

#include "core/core.h"
#include "handshakes.h" /* headers/ */

/* handshakes (user/handshakes.c) */
extern const struct ws_collector ws_handshakes_collector;
extern const char *const hs_leg_names[HS_NLEGS];

struct hs_port_row {
	uint32_t port;
	struct hs_port_stats s;
};

/* Totals since start: counters and latency histograms, both roles. */
void hs_totals(struct hs_stats *out);
/* Server handshakes completed: final ACKs minus those proven dropped, 0
 * when an interval proves more dropped than it received. */
uint64_t hs_server_handshakes(const struct hs_stats *d);
/* Handshakes the LRU flow table evicted before they ended (--max-flows). */
uint64_t hs_flows_evicted(void);
/*
 * The flow table's upkeep alone, for accept without this collector: the
 * counters read, stale entries swept, evictions counted.
 */
int hs_keep_flows(struct ws_session *s);
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
	ACCEPT_SYNQ_FULL,
	ACCEPT_NOT_QUEUE, /* the wire shows losses no listener dropped */
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
	/* Accept-queue overflows (ListenOverflows) and SYN-queue drops
	 * (TCPReqQFullDrop): the namespace's counters, exact when this is
	 * its only listener with drops, else apportioned by listen drops
	 * (see accept.c, attribute()). */
	uint64_t overflows;
	uint64_t syn_queue_drops;
	bool apportioned;      /* they or kfree_overflows are in part shares */
	uint64_t listen_drops; /* sk_drops less double counts */
	/* ACK-site drops (skb:kfree_skb), counted per address, port and
	 * family: shared out among the sockets on one (SO_REUSEPORT) */
	uint64_t kfree_overflows;
	uint64_t synack_retrans; /* its address, port and family's */
	bool defer_accept;
	struct hs_port_stats wire; /* per port, from the XDP/tc programs */
	/* no wire evidence (no -i, or no per-port slot): unknown, not 0 */
	bool wire_unknown;
	enum accept_verdict verdict;
};

extern const char *const accept_verdict_names[];
/* Listeners seen since start; *n gets the count.  Valid until next sample. */
const struct accept_listener *accept_listeners(int *n);
/* Host-wide TcpExt counters since start (this network namespace). */
void accept_host_totals(uint64_t *listen_overflows, uint64_t *listen_drops);

#endif
