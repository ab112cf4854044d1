/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Handshake and accept-queue collectors: shared between
 * bpf/handshakes.bpf.h and user/handshakes.c, user/accept.c.
 */
#ifndef WS_HANDSHAKES_H
#define WS_HANDSHAKES_H

#include "ws_types.h"

/* Latency buckets: bucket b counts [2^b, 2^(b+1)) microseconds, 0 is [0,2). */
#define HS_NBUCKETS	     27 /* up to 2^27 us: 134 s */
#define HS_DEFAULT_MAX_FLOWS 65536
#define HS_DEFAULT_MAX_PORTS 256
#define HS_MAX_LISTENERS     1024
/* Slots of the pending-handshake filter (power of two). */
#define HS_FILTER_SLOTS 4096
/* A SYN with no SYN-ACK this long after it is "unanswered". */
#define HS_UNANSWERED_NS 1000000000ULL
/* An entry idle this long after its final ACK is stale (deleted on hit). */
#define HS_LINGER_NS 3000000000ULL
/*
 * No handshake the kernel still tries lasts this long (tcp_syn_retries 6
 * gives up after 127 s, tcp_synack_retries 5 after 63 s): an entry with
 * no handshake event since is stale, and user space deletes it.
 */
#define HS_STALE_NS 180000000000ULL

enum hs_counter {
	/* server side: the SYN came in on a watched interface */
	HS_SYN_RX,	    /* SYNs that opened a handshake */
	HS_SYN_RETX_RX,	    /* the same-ISN SYN seen again */
	HS_SYNACK_TX,	    /* first SYN-ACK of a handshake */
	HS_SYNACK_RETX_TX,  /* SYN-ACK sent again */
	HS_SERVER_ACKS,	    /* final ACKs received */
	HS_SERVER_ACK_LOST, /* ...then proven dropped (SYN-ACK again, or RST) */
	HS_SYN_UNANSWERED,  /* SYNs with no SYN-ACK within 1 s */
	/* client side: the SYN went out */
	HS_SYN_TX,
	HS_SYN_RETX_TX,
	HS_SYNACK_RX,
	HS_CLIENT_DONE, /* final ACK sent */
	HS_CLIENT_RST,	/* RST received instead of a SYN-ACK */
	/* flow table bookkeeping */
	HS_FLOW_INSERTS,
	HS_FLOW_DELETES,
	/*
	 * SYN-ACKs with no entry (health hs_no_flow): evicted, begun before
	 * the run, or its SYN crossed another interface.  Each may answer a
	 * SYN counted here, so they bound what "unanswered" may claim.
	 */
	HS_SYNACK_RX_NO_FLOW, /* in: a connect of ours answered */
	HS_SYNACK_TX_NO_FLOW, /* out: a client's SYN answered */
	HS_NCOUNTERS,
};

enum hs_leg {
	HS_LEG_SERVER,	/* server: SYN in -> SYN-ACK out (kernel delay) */
	HS_LEG_RTT,	/* server: SYN-ACK out -> final ACK in (client RTT) */
	HS_LEG_CONNECT, /* client: first SYN out -> SYN-ACK in */
	HS_NLEGS,
};

/* Per CPU, one entry: summed by user space, never reset. */
struct hs_stats {
	__u64 count[HS_NCOUNTERS];
	__u64 hist[HS_NLEGS][HS_NBUCKETS];
	__u64 sum_ns[HS_NLEGS];
};

/* Per local listening port (server side), per CPU. */
struct hs_port_stats {
	__u64 syn_rx;
	__u64 syn_retx_rx;
	__u64 synack_tx;
	__u64 synack_retx_tx;
	__u64 acks;	      /* final ACKs received */
	__u64 ack_lost;	      /* final ACKs proven dropped */
	__u64 unanswered;     /* SYNs with no SYN-ACK within 1 s */
	__u64 syn_site_drops; /* same-ISN SYN again, no SYN-ACK in between */
	__u64 ack_site_drops; /* SYN-ACK again after the final ACK */
	__u64
	    rst_after_ack; /* RST answering the final ACK (abort_on_overflow) */
	__u64 cookie_synacks; /* SYN-ACKs sent with no request socket */
	__u64
	    cookie_drops; /* cookie SYN-ACK, ACK, then data resent unanswered */
};

enum hs_state {
	HS_ST_SYN = 1, /* SYN seen, no SYN-ACK since */
	HS_ST_SYNACK,  /* SYN-ACK seen */
	HS_ST_ACKED,   /* final ACK passed, the server has not spoken since */
};

/*
 * Initiator first: the same key whichever way a packet goes.  Our role is
 * part of it: on lo each segment passes egress and ingress, and the two
 * ends of one connection keep an entry each.
 */
struct hs_key {
	__u32 caddr[4]; /* client (initiator), network byte order */
	__u32 saddr[4]; /* server */
	__u16 cport;	/* host byte order */
	__u16 sport;
	__u32 ifindex;
	__u8 family; /* 4 or 6 */
	__u8 server; /* 1: we are the responder (the SYN came in) */
	__u8 pad[2];
};

struct hs_flow {
	__u64 first_syn_ns;
	__u64 last_syn_ns;
	__u64 synack_ns;
	__u64 acked_ns;
	__u32 isn;	  /* client ISN */
	__u32 server_isn; /* from the first SYN-ACK */
	__u32 data_seq;	  /* first client data after a cookie ACK */
	__u8 state;	  /* enum hs_state */
	__u8 server;	  /* 1: the SYN came in (we are the server) */
	__u8 cookie;	  /* the SYN-ACK left with no request socket */
	__u8 pad;
};

/* Listening socket, as sock_diag names it. */
struct hs_listener_key {
	__u32 addr[4]; /* network byte order; IPv4 in [0] */
	__u16 port;    /* host byte order */
	__u8 family;   /* AF_INET or AF_INET6 */
	__u8 pad;
};

struct hs_listener_stats {
	__u64 kfree_overflows; /* skb:kfree_skb reason TCP_LISTEN_OVERFLOW */
	__u64 synack_retrans;  /* tcp:tcp_retransmit_synack */
	__u32 defer_accept;    /* rskq_defer_accept seen on it (retransmits) */
	__u32 pad;
};

_Static_assert(sizeof(struct hs_key) == 44, "hs_key layout");
_Static_assert(sizeof(struct hs_flow) == 48, "hs_flow layout");
_Static_assert(sizeof(struct hs_stats) ==
		   8 * (HS_NCOUNTERS + HS_NLEGS * HS_NBUCKETS + HS_NLEGS),
	       "hs_stats layout");
_Static_assert(sizeof(struct hs_port_stats) == 96, "hs_port_stats layout");
_Static_assert(sizeof(struct hs_listener_key) == 20, "listener key layout");
_Static_assert(sizeof(struct hs_listener_stats) == 24, "listener layout");

static __always_inline __u32 hs_endpoint_hash(const __u32 *a, __u16 port)
{
	return (a[0] ^ a[1] ^ a[2] ^ a[3]) + port * 0x9e3779b1U;
}

/* The pending filter's slot of a 4-tuple: the same for both directions. */
static __always_inline __u32 hs_tuple_slot(const __u32 *a, __u16 pa,
					   const __u32 *b, __u16 pb)
{
	__u32 h = hs_endpoint_hash(a, pa) + hs_endpoint_hash(b, pb);

	h ^= h >> 16;
	h *= 0x85ebca6bU;
	h ^= h >> 13;
	return h & (HS_FILTER_SLOTS - 1);
}

/*
 * 1 if @v is not 0, without a branch (BPF has no set-on-condition): hidden
 * from clang, which would make it one.
 */
static __always_inline __u64 hs_nonzero(__u64 v)
{
	__u64 neg = 0 - v;

	WS_OPAQUE(neg);
	return (v | neg) >> 63;
}

/*
 * floor(log2(v)) for v >= 1, 0 for 0; capped to the last bucket.  Without
 * branches: each branch of a binary search left the verifier a state per
 * bucket, and the code after both call sites was verified once for each
 * (5.15's verifier gave up at 1M instructions).
 */
static __always_inline __u32 hs_log2_bucket(__u64 us)
{
	__u64 s, b = 0;
	__u32 shift;

	for (shift = 32; shift; shift >>= 1) {
		s = hs_nonzero(us >> shift) * shift;
		us >>= s;
		b += s;
	}
	return b < HS_NBUCKETS ? b : HS_NBUCKETS - 1;
}

#endif
