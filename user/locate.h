/* SPDX-License-Identifier: GPL-2.0 */
/* --locate: TTL-limited TCP probes on a flow's own tuple. */
#ifndef WS_LOCATE_H
#define WS_LOCATE_H

#include <stdint.h>
#include <arpa/inet.h>

#define RST_LOCATE_MAX_TTL 15

struct rst_locate_req {
	int family;		     /* 4 or 6 */
	uint32_t laddr[4], raddr[4]; /* network byte order; IPv4 in [0] */
	uint16_t lport, rport;	     /* host byte order */
	uint32_t seq, ack; /* what the flow's next segment would carry */
	int max_ttl;	   /* probe TTLs 1..max_ttl */
};

struct rst_locate_res {
	char hop[RST_LOCATE_MAX_TTL + 1][INET6_ADDRSTRLEN]; /* [ttl]; "" */
	int sent;
	int answered;
};

/* Send the probes and wait for the answers; 0 or -errno. */
int rst_locate(const struct rst_locate_req *q, struct rst_locate_res *r);

#endif
