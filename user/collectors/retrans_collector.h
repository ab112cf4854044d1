/* SPDX-License-Identifier: GPL-2.0 */
/*
 * retrans: TCP retransmissions per peer (retrans.c).  The judgement is a
 * pure function over the report so unit tests can feed it numbers.
 */
#ifndef WS_RETRANS_COLLECTOR_H
#define WS_RETRANS_COLLECTOR_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include "core/core.h"
#include "core/findings.h"

extern const struct ws_collector ws_retrans_collector;

#define WS_RETRANS_TOP_PEERS 3

/* The run's retransmissions, against what the namespace sent. */
struct ws_retrans_report {
	uint64_t out_segs;	/* Tcp OutSegs */
	uint64_t kernel_resent; /* Tcp RetransSegs */
	uint64_t spurious;	/* TCPDSACKRecvSegs: the peer had them */
	/* Resends that left this host, from tcp:tcp_retransmit_skb; else
	 * kernel_resent, with no peers (an upper bound). */
	uint64_t resent;
	uint64_t failed; /* more that failed here, never left (6.17+) */
	uint64_t events;
	bool traced;
	bool traced_err;  /* the tracepoint has err (6.17+): failed is known */
	uint64_t no_slot; /* resends to peers the full map had no room for */
	bool peers_unread; /* the walk of the peer map failed */
	int n_peers;	  /* the busiest, most resent first */
	struct ws_retrans_peer {
		char addr[INET6_ADDRSTRLEN];
		uint64_t segs;
	} peers[WS_RETRANS_TOP_PEERS];
};

void find_tcp_retransmits(const struct ws_retrans_report *r,
			  struct ws_findings *f);

#endif
