/* SPDX-License-Identifier: GPL-2.0 */
/* sndbuf: senders that waited for send-buffer space at a sysctl cap (sndbuf.c).
 */
#ifndef WS_SNDBUF_COLLECTOR_H
#define WS_SNDBUF_COLLECTOR_H

#include <stdbool.h>
#include <stdint.h>
#include "core/core.h"
#include "core/findings.h"

extern const struct ws_collector ws_sndbuf_collector;

/* One TCP sender's run (user/sndbuf.c): times from tcp_info, in usec. */
struct ws_sndbuf_delta {
	uint64_t busy_us;    /* sending data */
	uint64_t limited_us; /* of which waiting for send-buffer space */
	uint32_t sndbuf;     /* its buffer at the end (ss: tb) */
	uint32_t rtt_us;
	char peer[64];
};

/* The senders that waited for a buffer at a sysctl's cap. */
struct ws_sndbuf_report {
	int64_t tcp_wmem_max; /* autotuning's cap (tcp_wmem[2]) */
	int64_t wmem_max;     /* SO_SNDBUF's cap (doubled by the kernel) */
	int senders_limited;
	bool untracked; /* some sockets were not read at the start */
	bool unread;	/* a sock_diag dump failed: some were never judged */
	struct ws_sndbuf_delta worst;
};

/* Waited for buffer space >= 100 ms and >= 20% of its busy time. */
bool sndbuf_limited(const struct ws_sndbuf_delta *d);
/* @sndbuf is as large as tcp_wmem or wmem_max lets it grow. */
bool sndbuf_at_cap(uint32_t sndbuf, int64_t tcp_wmem_max, int64_t wmem_max);
void find_sndbuf(const struct ws_sndbuf_report *r, struct ws_findings *f);

#endif
