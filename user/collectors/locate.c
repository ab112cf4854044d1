// SPDX-License-Identifier: GPL-2.0
/*
 * --locate: name the device that sent a middlebox RST.  TTL-limited TCP
 * probes on the flow's own addresses and ports (so ECMP and per-flow
 * policy route them like the flow, as paris-traceroute and tracebox do)
 * expire on the routers before the peer; the ICMP time-exceeded sources
 * name them (ICMPv6 for IPv6).  At most RST_LOCATE_TRIES probes per TTL,
 * TTL at most the peer's distance: never more than 30 packets per flow.
 */
#include <errno.h>
#include <stdbool.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include "collectors/locate.h"

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

static int probe_id(int ttl, int try)
{
	return PROBE_ID_BASE + ttl * RST_LOCATE_TRIES + try;
}

/*
 * A TCP ACK, what an established flow would carry; the window holds the
 * probe id (IPv6 has no IP ID; ICMPv6 quotes the whole TCP header).
 */
static void build_tcp(uint8_t *t, const struct rst_locate_req *q, int id)
{
	memset(t, 0, 20);
	put16(t, q->lport);
	put16(t + 2, q->rport);
	put32(t + 4, q->seq);
	put32(t + 8, q->ack);
	t[12] = 5 << 4;
	t[13] = 0x10;
	put16(t + 14, id);
}

/* IPv4 + TCP; the IP ID says which TTL and try it was. */
static void build_probe4(uint8_t *b, const struct rst_locate_req *q, int ttl,
			 int try)
{
	uint8_t pseudo[12];
	uint32_t sum;

	memset(b, 0, 20);
	b[0] = 0x45;
	put16(b + 2, 40);
	put16(b + 4, probe_id(ttl, try));
	b[8] = ttl;
	b[9] = IPPROTO_TCP;
	memcpy(b + 12, q->laddr, 4);
	memcpy(b + 16, q->raddr, 4);
	put16(b + 10, csum_fold(csum_add(0, b, 20)));
	build_tcp(b + 20, q, probe_id(ttl, try));
	memcpy(pseudo, b + 12, 8);
	pseudo[8] = 0;
	pseudo[9] = IPPROTO_TCP;
	put16(pseudo + 10, 20);
	sum = csum_add(csum_add(0, pseudo, sizeof(pseudo)), b + 20, 20);
	put16(b + 36, csum_fold(sum));
}

static int ttl_of_id(int id)
{
	id -= PROBE_ID_BASE;
	if (id < 0 || id / RST_LOCATE_TRIES > RST_LOCATE_MAX_TTL)
		return -1;
	return id / RST_LOCATE_TRIES;
}

static bool same_ports(const uint8_t *t, const struct rst_locate_req *q)
{
	return ((t[0] << 8) | t[1]) == q->lport &&
	       ((t[2] << 8) | t[3]) == q->rport;
}

/* The TTL of our probe an ICMP time exceeded quotes, or -1. */
static int match_reply4(const uint8_t *b, ssize_t n,
			const struct rst_locate_req *q)
{
	const uint8_t *inner;
	size_t ihl;

	if (n < 20)
		return -1;
	ihl = (b[0] & 0x0f) * 4;
	if (ihl < 20 || (size_t)n < ihl + 8 + 28 || b[ihl] != 11)
		return -1;
	inner = b + ihl + 8;
	if ((inner[0] & 0x0f) != 5 || inner[9] != IPPROTO_TCP ||
	    memcmp(inner + 16, q->raddr, 4) || !same_ports(inner + 20, q))
		return -1;
	return ttl_of_id((inner[4] << 8) | inner[5]);
}

/* ICMPv6 (no IPv6 header on a raw socket): type 3, then the probe. */
static int match_reply6(const uint8_t *b, ssize_t n,
			const struct rst_locate_req *q)
{
	const uint8_t *inner = b + 8, *t = b + 48;

	if (n < 8 + 40 + 20 || b[0] != 3 || inner[6] != IPPROTO_TCP ||
	    memcmp(inner + 24, q->raddr, 16) || !same_ports(t, q))
		return -1;
	return ttl_of_id((t[14] << 8) | t[15]);
}

int rst_locate_match(const uint8_t *b, ssize_t n,
		     const struct rst_locate_req *q)
{
	return q->family == 4 ? match_reply4(b, n, q) : match_reply6(b, n, q);
}

size_t rst_locate_probe(uint8_t *b, const struct rst_locate_req *q, int ttl,
			int try)
{
	if (q->family == 4) {
		build_probe4(b, q, ttl, try);
		return 40;
	}
	build_tcp(b, q, probe_id(ttl, try));
	return 20;
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
	struct sockaddr_storage from;
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
		ttl = rst_locate_match(b, n, q);
		if (ttl < 1 || r->hop[ttl][0])
			continue;
		if (q->family == 4)
			inet_ntop(AF_INET,
				  &((struct sockaddr_in *)&from)->sin_addr,
				  r->hop[ttl], sizeof(r->hop[ttl]));
		else
			inet_ntop(AF_INET6,
				  &((struct sockaddr_in6 *)&from)->sin6_addr,
				  r->hop[ttl], sizeof(r->hop[ttl]));
		r->answered++;
		if (r->answered == q->max_ttl)
			break;
	}
}

static int open_sockets(const struct rst_locate_req *q, int *raw, int *icmp)
{
	struct sockaddr_in6 src = { .sin6_family = AF_INET6 };
	int off = 16; /* the kernel fills in the TCP checksum */

	if (q->family == 4) {
		*raw = socket(AF_INET, SOCK_RAW, IPPROTO_RAW); /* HDRINCL */
		*icmp = socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
		return *raw < 0 || *icmp < 0 ? -errno : 0;
	}
	*raw = socket(AF_INET6, SOCK_RAW, IPPROTO_TCP);
	*icmp = socket(AF_INET6, SOCK_RAW, IPPROTO_ICMPV6);
	if (*raw < 0 || *icmp < 0)
		return -errno;
	memcpy(&src.sin6_addr, q->laddr, 16);
	if (setsockopt(*raw, IPPROTO_IPV6, IPV6_CHECKSUM, &off, sizeof(off)) ||
	    bind(*raw, (struct sockaddr *)&src, sizeof(src)))
		return -errno;
	return 0;
}

static int send_probe(int raw, const struct rst_locate_req *q, int ttl, int try)
{
	struct sockaddr_in to4 = { .sin_family = AF_INET };
	struct sockaddr_in6 to6 = { .sin6_family = AF_INET6 };
	uint8_t pkt[40];

	if (q->family == 4) {
		memcpy(&to4.sin_addr, q->raddr, 4);
		rst_locate_probe(pkt, q, ttl, try);
		return sendto(raw, pkt, 40, 0, (struct sockaddr *)&to4,
			      sizeof(to4)) < 0
			   ? -errno
			   : 0;
	}
	memcpy(&to6.sin6_addr, q->raddr, 16);
	rst_locate_probe(pkt, q, ttl, try);
	if (setsockopt(raw, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &ttl, sizeof(ttl)))
		return -errno;
	return sendto(raw, pkt, 20, 0, (struct sockaddr *)&to6, sizeof(to6)) < 0
		   ? -errno
		   : 0;
}

int rst_locate(const struct rst_locate_req *q, struct rst_locate_res *r)
{
	int raw = -1, icmp = -1, ttl, try, err;

	memset(r, 0, sizeof(*r));
	if (q->max_ttl < 1 || q->max_ttl > RST_LOCATE_MAX_TTL)
		return -EINVAL;
	err = open_sockets(q, &raw, &icmp);
	for (ttl = 1; !err && ttl <= q->max_ttl; ttl++) {
		for (try = 0; !err && try < RST_LOCATE_TRIES; try++) {
			err = send_probe(raw, q, ttl, try);
			r->sent += !err;
		}
	}
	if (!err)
		collect(icmp, q, r);
	if (raw >= 0)
		close(raw);
	if (icmp >= 0)
		close(icmp);
	return err;
}
