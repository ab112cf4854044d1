/* SPDX-License-Identifier: GPL-2.0 */
/* Between the reset collector (resets.c) and its output (resets_out.c). */
#ifndef WS_RESETS_INT_H
#define WS_RESETS_INT_H

#include <arpa/inet.h>
#include "collectors/resets_collector.h"

/* One printed RST. */
struct rst_row {
	const struct rst_event *e;
	double wall; /* when it was seen: CLOCK_REALTIME seconds */
	bool via_lo;
	char saddr[WS_ADDRSTRLEN], daddr[WS_ADDRSTRLEN]; /* fe80::1%eth0 */
	uint16_t sport, dport;
	char peer[WS_ADDRSTRLEN];
	struct rst_result res;
	const char *reason; /* local: the kernel's sk_rst_reason name */
	char kernel[96];    /* what the kernel did with it */
	const char *ts_state;
	enum rst_ts_clock peer_ts_clock;
	bool seq_known;
	bool seq_lags; /* our side of the baseline lags: no seq_delta */
	int64_t seq_delta;
	double idle_s, idle_rx_s, idle_tx_s; /* < 0: unknown */
	bool triggered;
	bool tx_seen;	      /* a segment of ours was seen on the flow */
	bool refused;	      /* it answered our SYN: a refused connect */
	bool ours;	      /* this host's, kernel's or firewall's alike */
	bool probed;	      /* refused, and --locate probed for it */
	const char *no_probe; /* refused: why --locate did not, or NULL */
	double trigger_ago_s;
	char hop_addr[WS_ADDRSTRLEN];
	char locate_note[64];
};

/* An event waiting for its decision. */
struct rst_stored {
	struct rst_event e;
	double t;  /* seconds, CLOCK_MONOTONIC (bpf_ktime_get_ns) */
	bool done; /* printed, or claimed by a wire event */
};

/*
 * The unclaimed kernel event of @kind among @tab[0..@n) that belongs to
 * wire RST @w: on its flow (or the reverse one, @either_way), with its seq
 * (@by_seq), within RST_MATCH_S; NULL if none.
 */
struct rst_stored *rst_match(struct rst_stored *tab, int n,
			     const struct rst_stored *w, int kind,
			     bool either_way, bool by_seq);

/*
 * Wire RSTs received on @w's flow within 1 s of it (@burst), and the
 * distinct seqs among them (@seqs) but our rcv_nxt's: the exact RST that
 * answers our challenge ACK (RFC 5961) is no jump.
 */
void rst_burst(const struct rst_stored *tab, int n, const struct rst_stored *w,
	       int *burst, int *seqs);

/* Print one decided RST and count it for the summary and Prometheus. */
void rst_record(struct ws_session *s, const struct rst_row *r);
/* The summary grouped by origin, with advice. */
void rst_report_summary(struct ws_session *s);
/* Events lost in user space (a full event table). */
uint64_t rst_events_lost(void);
/* tcp:tcp_send_reset runs: without it no RST is known to be this host's. */
bool rst_local_traced(void);
/*
 * And it fires for every RST this host sends (6.10+), so one it did not
 * fire for is this host's firewall's: else local_netfilter is never said.
 */
bool rst_local_netfilter_decidable(void);
/* Raise the count of evicted baselines to what these numbers prove. */
void rst_evicted_at_least(uint64_t ins, uint64_t del, uint64_t present);
/* RSTs that answered --locate's SYN probes (not counted as resets). */
uint64_t rst_probe_resets(void);
void resets_prom(struct ws_session *s, struct ws_buf *b);
struct ws_findings;
struct ws_diag_cols;
void resets_findings(struct ws_session *s, struct ws_findings *f);
void resets_diag_cols(struct ws_session *s, double secs,
		      struct ws_diag_cols *c);

/* No libm in the static build. */
static inline double dmin(double a, double b)
{
	return a < b ? a : b;
}

static inline double dmax(double a, double b)
{
	return a > b ? a : b;
}

#endif
