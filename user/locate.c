// SPDX-License-Identifier: GPL-2.0
/*
 * --locate: name the device that sent a middlebox RST.  TTL-limited TCP
 * probes on the flow's own addresses and ports (so ECMP and per-flow
 * policy route them like the flow, as paris-traceroute and tracebox do)
 * expire on the routers before the peer; the ICMP time-exceeded sources
 * name them.  At most RST_LOCATE_TRIES probes per TTL, TTL at most the
 * peer's distance, so never more than a few dozen packets per flow.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include "locate.h"

#define RST_LOCATE_TRIES   2
#define RST_LOCATE_WAIT_MS 1000
#define PROBE_ID_BASE	   0x5700

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (p[i] << 8) | p[i + 1];
	if (len & 1)
		sum += p[len - 1] << 8;
	return sum;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v & 0xffff);
}

/* An IPv4 + TCP ACK probe; the IP ID says which TTL and try it was. */
static size_t build_probe(uint8_t *b, const struct rst_locate_req *q, int ttl,
			  int try)
{
	uint8_t pseudo[12];
	uint32_t sum;

	memset(b, 0, 40);
	b[0] = 0x45;
	put16(b + 2, 40);
	put16(b + 4, PROBE_ID_BASE + ttl * RST_LOCATE_TRIES + try);
	b[8] = ttl;
	b[9] = IPPROTO_TCP;
	memcpy(b + 12, &q->laddr, 4);
	memcpy(b + 16, &q->raddr, 4);
	put16(b + 10, csum_fold(csum_add(0, b, 20)));
	put16(b + 20, q->lport);
	put16(b + 22, q->rport);
	put32(b + 24, q->seq);
	put32(b + 28, q->ack);
	b[32] = 5 << 4;
	b[33] = 0x10; /* ACK: what an established flow would carry */
	put16(b + 34, 1024);
	memcpy(pseudo, b + 12, 8);
	pseudo[8] = 0;
	pseudo[9] = IPPROTO_TCP;
	put16(pseudo + 10, 20);
	sum = csum_add(csum_add(0, pseudo, sizeof(pseudo)), b + 20, 20);
	put16(b + 36, csum_fold(sum));
	return 40;
}

/* The TTL of our probe an ICMP time exceeded quotes, or -1. */
static int match_reply(const uint8_t *b, ssize_t n,
		       const struct rst_locate_req *q)
{
	const uint8_t *inner;
	size_t ihl;
	int id;

	if (n < 20)
		return -1;
	ihl = (b[0] & 0x0f) * 4;
	if (ihl < 20 || (size_t)n < ihl + 8 + 28 || b[ihl] != 11)
		return -1;
	inner = b + ihl + 8;
	if ((inner[0] & 0x0f) != 5 || inner[9] != IPPROTO_TCP ||
	    memcmp(inner + 16, &q->raddr, 4) ||
	    ((inner[20] << 8) | inner[21]) != q->lport ||
	    ((inner[22] << 8) | inner[23]) != q->rport)
		return -1;
	id = ((inner[4] << 8) | inner[5]) - PROBE_ID_BASE;
	if (id < 0 || id / RST_LOCATE_TRIES > RST_LOCATE_MAX_TTL)
		return -1;
	return id / RST_LOCATE_TRIES;
}

static long ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000 +
	       (t.tv_nsec - t0->tv_nsec) / 1000000;
}

static void collect(int icmp, const struct rst_locate_req *q,
		    struct rst_locate_res *r)
{
	struct pollfd pfd = { .fd = icmp, .events = POLLIN };
	struct sockaddr_in from;
	socklen_t flen;
	struct timespec t0;
	uint8_t b[1500];
	ssize_t n;
	long left;
	int ttl;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while ((left = RST_LOCATE_WAIT_MS - ms_since(&t0)) > 0) {
		if (poll(&pfd, 1, (int)left) <= 0)
			break;
		flen = sizeof(from);
		n = recvfrom(icmp, b, sizeof(b), 0, (struct sockaddr *)&from,
			     &flen);
		ttl = match_reply(b, n, q);
		if (ttl < 1 || r->hop[ttl].s_addr)
			continue;
		r->hop[ttl] = from.sin_addr;
		r->answered++;
		if (r->answered == q->max_ttl)
			break;
	}
}

int rst_locate(const struct rst_locate_req *q, struct rst_locate_res *r)
{
	struct sockaddr_in to = { .sin_family = AF_INET };
	int raw, icmp, ttl, try, err = 0;
	uint8_t pkt[40];

	memset(r, 0, sizeof(*r));
	if (q->max_ttl < 1 || q->max_ttl > RST_LOCATE_MAX_TTL)
		return -EINVAL;
	to.sin_addr = q->raddr;
	raw = socket(AF_INET, SOCK_RAW, IPPROTO_RAW); /* IP_HDRINCL */
	icmp = socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
	if (raw < 0 || icmp < 0) {
		err = -errno;
		goto out;
	}
	for (ttl = 1; ttl <= q->max_ttl; ttl++) {
		for (try = 0; try < RST_LOCATE_TRIES; try++) {
			build_probe(pkt, q, ttl, try);
			if (sendto(raw, pkt, sizeof(pkt), 0,
				   (struct sockaddr *)&to, sizeof(to)) < 0) {
				err = -errno;
				goto out;
			}
			r->sent++;
		}
	}
	collect(icmp, q, r);
out:
	if (raw >= 0)
		close(raw);
	if (icmp >= 0)
		close(icmp);
	return err;
}
