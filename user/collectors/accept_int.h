/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The accept collector's rules as pure functions over recorded counts, so
 * that they can be tested without sockets (tests/unit/test_accept.c).
 */
#ifndef WS_ACCEPT_INT_H
#define WS_ACCEPT_INT_H

#include "collectors/handshakes_collector.h"

/* One listener's counts over one span: since the last interval or start. */
struct accept_span {
	uint64_t overflows, syn_queue_drops, sk_drops, kfree, retrans;
	struct hs_port_stats wire;
	uint32_t queue_max;
	/* its sk_drops rose within WIRE_LAG_S before the span: the wire's
	 * resends in the span can be of those drops */
	bool dropped_before;
	/* ... and the kernel last said those were SYN-queue drops, not
	 * overflows (TCPReqQFullDrop): the resends are that queue's */
	bool synq_before;
	/* another listener on its port dropped (in the span or just before)
	 * or may have (one went unwatched): the wire is per port */
	bool port_dropped;
};

enum accept_verdict accept_judge(const struct accept_span *sp, bool defer);

/*
 * One socket's part of the BPF counts of its (family, address, port): the
 * kernel's tracepoints cannot tell the sockets on one apart.
 */
struct accept_part {
	uint64_t weight;  /* its sk_drops since the last sample */
	uint64_t kfree;	  /* its ACK-site drops so far (in and out) */
	bool live;	  /* open, not closed while we ran */
	bool apportioned; /* out: its share is a guess among several */
};

/* Hand the key's ACK-site drops so far, @total, to its @n sockets. */
void accept_share_key(uint64_t total, struct accept_part *p, int n);

/* "longest sampled Q of B", and why an overflowing queue looked short. */
const char *accept_queue_seen(const struct accept_listener *l, char *buf,
			      size_t len);

/* Process @pid still holds socket:[@inode] as its fd @fd (/proc). */
bool accept_owner_holds(int pid, int fd, uint32_t inode);

/*
 * What to change for a listener whose accept queue overflowed: @backlog
 * is its limit, min(listen() backlog, @somaxconn); @comm its owner.
 */
void accept_overflow_advice(char *buf, size_t len, uint32_t backlog,
			    long somaxconn, uint16_t port, const char *comm);

#endif
