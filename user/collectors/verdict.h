/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Who sent an RST: the rules as a pure function over recorded evidence,
 * so they can be tested on the host without packets (tests/unit).
 */
#ifndef WS_VERDICT_H
#define WS_VERDICT_H

#include <stdbool.h>
#include <stdint.h>

enum rst_verdict {
	RV_UNKNOWN = 0,
	RV_LOCAL,
	RV_LOCAL_NETFILTER,
	RV_PEER_ABORT,
	RV_PEER_NO_SOCKET,
	RV_MIDDLEBOX,
	RV_INJECTED,
	RV_N,
};

enum rst_confidence { RC_LOW = 0, RC_MEDIUM, RC_HIGH };

/* Why the kernel-side evidence for an RST may be missing. */
enum rst_lost {
	RST_LOST_NONE = 0,
	RST_LOST_RATE_LIMITED,	 /* the BPF rate limit dropped events */
	RST_LOST_RINGBUF_FULL,	 /* the ring buffer was full */
	RST_LOST_TABLE_FULL,	 /* user space had no room to keep them */
	RST_LOST_EVENT_UNREAD,	 /* an event's segment could not be read */
	RST_LOST_HEADERS_UNREAD, /* a segment on the wire could not be read */
	RST_LOST_TRACEPOINT_OFF, /* this kernel lacks or refused the event */
	RST_LOST_TRACEPOINT_PARTIAL, /* before 6.10: no event without a
				      * full socket */
};

/*
 * What tells a refused connect's origin apart: where the route says the
 * peer is, and what --locate's SYN probes and echo request measured.
 */
struct rst_refused {
	bool route_known;
	bool peer_onlink;     /* no gateway: the peer is on this link */
	bool probed;	      /* --locate ran */
	int probe_rst_ttl;    /* the smallest probe TTL an RST answered, or 0 */
	bool hop_exceeded;    /* the router at the RST's distance answered a
			       * probe with time exceeded */
	int exceeded_ttl; /* the farthest probe TTL time exceeded answered */
	const char *exceeded_from; /* its source's address */
	bool echo;	      /* the peer answered an echo request */
	int echo_hops;	      /* from that reply's TTL */
	const char *no_probe; /* why --locate did not probe, or NULL */
};

/* What a peer's TS clock was seen to run at. */
enum rst_ts_clock {
	RST_TS_CLOCK_UNKNOWN = 0,
	RST_TS_CLOCK_SLOW,  /* 1 kHz or slower */
	RST_TS_CLOCK_USEC,  /* 1 MHz: Linux's tcp_usec_ts (6.7+) */
	RST_TS_CLOCK_OTHER, /* neither */
};

/* Everything recorded about one RST and its flow. */
struct rst_evidence {
	bool sent;	  /* left this host on a watched interface */
	bool foreign_src; /* sent from no address of this namespace */
	bool forwarded;	  /* sent: received on an interface here, routed */
	bool via_lo;	  /* came back on lo from a non-loopback address */
	bool kernel_sent; /* a tcp:tcp_send_reset event matches it */
	bool has_peer;	  /* the baseline holds packets from the peer */
	bool syn_sent;	  /* no peer packet, but our SYN went out */
	struct rst_refused refused; /* syn_sent: the peer's distance */
	uint8_t ttl;
	uint8_t peer_ttl_min, peer_ttl_max, peer_ttl_last;
	bool has_ts; /* the RST carries a TCP timestamp */
	uint32_t tsval;
	bool peer_ts; /* the peer sent timestamps on this flow */
	uint32_t peer_tsval;
	enum rst_ts_clock peer_ts_clock;
	bool ipv4;
	uint16_t ip_id, peer_ip_id;
	/* The peer's segments since peer_ip_id that the baseline let by: at
	 * least the first, at most the second (the same when counted). */
	uint16_t peer_ip_id_lag, peer_ip_id_lag_max;
	double idle_rx_s;    /* since the peer's last packet */
	bool triggered;	     /* one of our segments came just before */
	bool peer_fin;	     /* the peer's FIN was seen on the flow */
	bool tx_seen;	     /* a segment of ours was seen on the flow */
	int burst;	     /* RSTs received on this flow within 1 s */
	int burst_seqs;	     /* distinct sequence numbers among them */
	uint32_t data_after; /* peer segments with data after the RST */
	/* Events were lost around this RST's time: a missing tcp_send_reset
	 * proves nothing then. */
	enum rst_lost lost;
};

struct rst_result {
	enum rst_verdict verdict;
	enum rst_confidence conf;
	int hops;	      /* -1: not applicable */
	int peer_hops;	      /* from its last packet (a middlebox: its
			       * nearest), -1: unknown */
	int hops_before_peer; /* middlebox only, else -1 */
	int hop;	      /* refused middlebox: its distance (TTL), or -1 */
	bool ttl_inconsistent;
	bool ts_continues;
	bool ts_unsure; /* continues only at a clock in µs, its rate unknown */
	bool ipid_continues;
	bool ipid_unsure;    /* continues for some of the uncounted lags only */
	bool after_peer_fin; /* decided by the peer's FIN before it */
	char why[192];
};

#define RST_TRIGGER_WINDOW_S 1.0 /* our segment this close: it triggered */
/*
 * A peer's TS clock is told from its segments at least RST_TS_RATE_SPAN_S
 * apart; RST_TS_JITTER_S: the coarse clock's and the path's jitter in a
 * time between two segments.  A TSval that fits only a clock in µs says
 * so (unsure) only after RST_TS_UNSURE_IDLE_S idle: shorter, that window
 * is mostly jitter, and a small jump of a 1 kHz clock would fit it.
 */
#define RST_TS_RATE_SPAN_S   0.5
#define RST_TS_JITTER_S	     0.25
#define RST_TS_UNSURE_IDLE_S 1.5

struct rst_result rst_unmeasured(enum rst_verdict v, enum rst_confidence c);
void rst_decide(const struct rst_evidence *ev, struct rst_result *r);
int rst_initial_ttl(uint8_t ttl);
int rst_hops(uint8_t ttl);
/*
 * The TTL up to which --locate's ACK probes go for a mid-flow middlebox
 * @hops away, the peer's packets coming from @peer_hops: the device's own
 * hop (hops + 1), never the peer's.  0, no probe, when the RST came from
 * this link and the peer's address is on it: the device holds that
 * address (a NAT or proxy in front of the peer, whose packets come from
 * farther), and a probe would reach it and draw resets of its own.
 */
int rst_mid_probe_ttl(int hops, int peer_hops, bool peer_onlink);
/*
 * A 32-bit TS clock's advance @ticks fits @secs at @hz, modulo 2^32: within
 * RST_TS_JITTER_S and a drift of 0.1%.
 */
bool rst_ts_advance_fits(uint32_t ticks, double secs, double hz);
/*
 * A peer's TS clock from its advance @ticks between two of its segments
 * @secs apart: unknown when they are too close, or when both clocks fit
 * (or the µs one could have wrapped past telling).
 */
enum rst_ts_clock rst_ts_clock(uint32_t ticks, double secs);
const char *rst_verdict_name(enum rst_verdict v);
const char *rst_confidence_name(enum rst_confidence c);
const char *rst_lost_name(enum rst_lost l);
void rst_drop_view(const char *reason, char *buf, size_t len);

#endif
