// SPDX-License-Identifier: GPL-2.0
/*
 * --locate: name the device that sent a middlebox RST.  TTL-limited TCP
 * probes on the flow's own addresses and ports (so ECMP and per-flow
 * policy route them like the flow, as paris-traceroute and tracebox do)
 * expire on the routers before the peer; the ICMP time-exceeded sources
 * name them (ICMPv6 for IPv6).  At most RST_LOCATE_TRIES probes per TTL,
 * TTL at most the peer's distance: never more than 30 packets per flow.
 *
 * A refused connect has no peer distance to stop at: SYN probes go up to
 * the RST's own distance plus one (2 per TTL, 32 packets at most with the
 * echo), their RSTs are read on a raw TCP socket connected to the peer,
 * and one echo request measures the peer's distance (resets.md).
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
#include "core/core.h"
#include "collectors/verdict.h"

#define RST_LOCATE_TRIES   2
#define RST_LOCATE_WAIT_MS 1000
#define PROBE_ID_BASE	   0x5700
#define PROBE_SYN_SEQ	   0x57a70000u /* SYN probe seq: this + probe id */

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
 * A TCP ACK, what an established flow would carry, or a SYN whose seq is
 * the probe id; the window holds the probe id too (IPv6 has no IP ID;
 * ICMPv6 quotes the whole TCP header).
 */
static void build_tcp(uint8_t *t, const struct rst_locate_req *q, int id)
{
	memset(t, 0, 20);
	put16(t, q->lport);
	put16(t + 2, q->rport);
	put32(t + 4, q->syn ? PROBE_SYN_SEQ + id : q->seq);
	put32(t + 8, q->syn ? 0 : q->ack);
	t[12] = 5 << 4;
	t[13] = q->syn ? 0x02 : 0x10;
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

/* The TCP header @t goes from port @src to port @dst. */
static bool ports_are(const uint8_t *t, uint16_t src, uint16_t dst)
{
	return ((t[0] << 8) | t[1]) == src && ((t[2] << 8) | t[3]) == dst;
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3];
}

static int ttl_of_syn_ack(uint32_t ack)
{
	uint32_t id = ack - 1 - PROBE_SYN_SEQ;

	return id > 0xffff ? -1 : ttl_of_id((int)id);
}

bool rst_locate_probe_answer(uint32_t ack)
{
	return ttl_of_syn_ack(ack) >= 1;
}

int rst_locate_match_rst(const uint8_t *t, size_t n,
			 const struct rst_locate_req *q)
{
	if (n < 20 || !(t[13] & 0x04) || !ports_are(t, q->rport, q->lport))
		return -1;
	return ttl_of_syn_ack(get32(t + 8));
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
	    memcmp(inner + 16, q->raddr, 4) ||
	    !ports_are(inner + 20, q->lport, q->rport))
		return -1;
	return ttl_of_id((inner[4] << 8) | inner[5]);
}

/* ICMPv6 (no IPv6 header on a raw socket): type 3, then the probe. */
static int match_reply6(const uint8_t *b, ssize_t n,
			const struct rst_locate_req *q)
{
	const uint8_t *inner = b + 8, *t = b + 48;

	if (n < 8 + 40 + 20 || b[0] != 3 || inner[6] != IPPROTO_TCP ||
	    memcmp(inner + 24, q->raddr, 16) ||
	    !ports_are(t, q->lport, q->rport))
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

/* The probe run's sockets: -1 when not open. */
struct probe_socks {
	int raw;  /* sends the probes (IPv6: and receives TCP) */
	int icmp; /* time exceeded, echo (IPv4: with the IP header) */
	int tcp;  /* syn, IPv4: RSTs with the IP header */
};

/* recvfrom, plus the hop limit of an IPv6 packet (IPV6_RECVHOPLIMIT). */
static ssize_t recv_hops(int fd, uint8_t *b, size_t len,
			 struct sockaddr_storage *from, int *hops)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { .iov_base = b, .iov_len = len };
	struct msghdr m = { .msg_name = from,
			    .msg_namelen = sizeof(*from),
			    .msg_iov = &iov,
			    .msg_iovlen = 1,
			    .msg_control = ctl.buf,
			    .msg_controllen = sizeof(ctl.buf) };
	struct cmsghdr *c;
	ssize_t n;

	*hops = -1;
	n = recvmsg(fd, &m, MSG_DONTWAIT);
	for (c = n >= 0 ? CMSG_FIRSTHDR(&m) : NULL; c; c = CMSG_NXTHDR(&m, c))
		if (c->cmsg_level == IPPROTO_IPV6 &&
		    c->cmsg_type == IPV6_HOPLIMIT)
			memcpy(hops, CMSG_DATA(c), sizeof(int));
	return n;
}

static bool from_peer(const struct sockaddr_storage *from,
		      const struct rst_locate_req *q)
{
	if (q->family == 4)
		return !memcmp(&((struct sockaddr_in *)from)->sin_addr,
			       q->raddr, 4);
	return !memcmp(&((struct sockaddr_in6 *)from)->sin6_addr, q->raddr, 16);
}

static void note_hop(const struct sockaddr_storage *from,
		     const struct rst_locate_req *q, struct rst_locate_res *r,
		     int ttl)
{
	if (ttl < 1 || r->hop[ttl][0])
		return;
	if (q->family == 4)
		inet_ntop(AF_INET, &((struct sockaddr_in *)from)->sin_addr,
			  r->hop[ttl], sizeof(r->hop[ttl]));
	else
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)from)->sin6_addr,
			  r->hop[ttl], sizeof(r->hop[ttl]));
	r->answered++;
}

static uint16_t echo_id(const struct rst_locate_req *q)
{
	return PROBE_ID_BASE ^ q->lport;
}

/* An echo reply from the peer: its distance. */
static void read_echo(const uint8_t *b, ssize_t n, int hops,
		      const struct sockaddr_storage *from,
		      const struct rst_locate_req *q, struct rst_locate_res *r)
{
	size_t ihl = q->family == 4 && n >= 20 ? (b[0] & 0x0f) * 4 : 0;
	const uint8_t *icmp = b + ihl;

	if (!q->syn || r->echo || n < (ssize_t)(ihl + 8) || !from_peer(from, q))
		return;
	if (icmp[0] != (q->family == 4 ? 0 : 129) ||
	    ((icmp[4] << 8) | icmp[5]) != echo_id(q))
		return;
	if (q->family == 4)
		hops = rst_initial_ttl(b[8]) - b[8];
	else if (hops >= 0)
		hops = rst_initial_ttl(hops) - hops;
	r->echo = hops >= 0;
	r->echo_hops = hops;
}

static void read_icmp(int fd, const struct rst_locate_req *q,
		      struct rst_locate_res *r)
{
	struct sockaddr_storage from;
	uint8_t b[1500];
	ssize_t n;
	int hops;

	n = recv_hops(fd, b, sizeof(b), &from, &hops);
	if (n <= 0)
		return;
	note_hop(&from, q, r, rst_locate_match(b, n, q));
	read_echo(b, n, hops, &from, q, r);
}

/* An RST from the peer's address answering a SYN probe. */
static void read_tcp(int fd, const struct rst_locate_req *q,
		     struct rst_locate_res *r)
{
	struct sockaddr_storage from;
	uint8_t b[1500];
	size_t ihl = 0;
	ssize_t n;
	int hops, ttl;

	n = recv_hops(fd, b, sizeof(b), &from, &hops);
	if (q->family == 4 && n >= 20)
		ihl = (b[0] & 0x0f) * 4;
	if (n < (ssize_t)ihl + 20 || !from_peer(&from, q))
		return;
	ttl = rst_locate_match_rst(b + ihl, n - ihl, q);
	if (ttl < 1)
		return;
	r->rsts++;
	if (!r->rst_ttl || ttl < r->rst_ttl)
		r->rst_ttl = ttl;
}

/*
 * Everything asked for came back: no need to wait out the second.  SYN
 * probes wait for every RST past the first, so that none is still on its
 * way when the reset collector sorts them from the flow's own.
 */
static bool complete(const struct rst_locate_req *q,
		     const struct rst_locate_res *r)
{
	if (!q->syn)
		return r->answered == q->max_ttl;
	return r->echo && r->rst_ttl && r->answered >= r->rst_ttl - 1 &&
	       r->rsts >= (q->max_ttl - r->rst_ttl + 1) * RST_LOCATE_TRIES;
}

/* Up to RST_LOCATE_WAIT_MS for the answers, less if q->stop_fd fires. */
static void collect(const struct probe_socks *k, const struct rst_locate_req *q,
		    struct rst_locate_res *r)
{
	struct pollfd pfd[3] = {
		{ .fd = k->icmp, .events = POLLIN },
		{ .fd = q->syn ? k->tcp : -1, .events = POLLIN },
		{ .fd = q->stop_fd > 0 ? q->stop_fd : -1, .events = POLLIN },
	};
	int64_t start = ws_mono_ms(), left;

	while (!complete(q, r) &&
	       (left = start + RST_LOCATE_WAIT_MS - ws_mono_ms()) > 0) {
		if (poll(pfd, 3, (int)left) <= 0)
			break;
		if (pfd[2].revents) {
			r->stopped = true;
			break;
		}
		if (pfd[0].revents & POLLIN)
			read_icmp(k->icmp, q, r);
		if (q->syn && (pfd[1].revents & POLLIN))
			read_tcp(k->tcp, q, r);
	}
}

static socklen_t sockaddr_of(const struct rst_locate_req *q,
			     const uint32_t *addr, struct sockaddr_storage *to)
{
	struct sockaddr_in *a4 = (struct sockaddr_in *)to;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)to;

	memset(to, 0, sizeof(*to));
	if (q->family == 4) {
		a4->sin_family = AF_INET;
		memcpy(&a4->sin_addr, addr, 4);
		return sizeof(*a4);
	}
	a6->sin6_family = AF_INET6;
	memcpy(&a6->sin6_addr, addr, 16);
	if (IN6_IS_ADDR_LINKLOCAL(&a6->sin6_addr))
		a6->sin6_scope_id = q->ifindex;
	return sizeof(*a6);
}

/* The raw TCP socket sees only the flow's two addresses, not all TCP. */
static int bind_connect(int fd, const struct rst_locate_req *q)
{
	struct sockaddr_storage a;
	socklen_t len = sockaddr_of(q, q->laddr, &a);

	if (bind(fd, (struct sockaddr *)&a, len))
		return -errno;
	len = sockaddr_of(q, q->raddr, &a);
	return connect(fd, (struct sockaddr *)&a, len) ? -errno : 0;
}

static int open_sockets(const struct rst_locate_req *q, struct probe_socks *k)
{
	int off = 16; /* the kernel fills in the TCP checksum */
	int on = 1;

	if (q->family == 4) {
		k->raw = socket(AF_INET, SOCK_RAW, IPPROTO_RAW); /* HDRINCL */
		k->icmp = socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
		if (q->syn)
			k->tcp = socket(AF_INET, SOCK_RAW, IPPROTO_TCP);
		if (k->raw < 0 || k->icmp < 0 || (q->syn && k->tcp < 0))
			return -errno;
		return q->syn ? bind_connect(k->tcp, q) : 0;
	}
	k->raw = socket(AF_INET6, SOCK_RAW, IPPROTO_TCP);
	k->icmp = socket(AF_INET6, SOCK_RAW, IPPROTO_ICMPV6);
	if (k->raw < 0 || k->icmp < 0)
		return -errno;
	k->tcp = k->raw;
	if (setsockopt(k->raw, IPPROTO_IPV6, IPV6_CHECKSUM, &off,
		       sizeof(off)) ||
	    setsockopt(k->raw, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, &on,
		       sizeof(on)) ||
	    setsockopt(k->icmp, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, &on,
		       sizeof(on)))
		return -errno;
	return bind_connect(k->raw, q);
}

static void close_sockets(struct probe_socks *k)
{
	if (k->tcp >= 0 && k->tcp != k->raw)
		close(k->tcp);
	if (k->raw >= 0)
		close(k->raw);
	if (k->icmp >= 0)
		close(k->icmp);
}

static int send_to_peer(int fd, const struct rst_locate_req *q,
			const uint8_t *pkt, size_t len)
{
	struct sockaddr_storage to;
	socklen_t tlen = sockaddr_of(q, q->raddr, &to);

	return sendto(fd, pkt, len, 0, (struct sockaddr *)&to, tlen) < 0
		   ? -errno
		   : 0;
}

static int send_probe(int raw, const struct rst_locate_req *q, int ttl, int try)
{
	uint8_t pkt[40];
	size_t len = rst_locate_probe(pkt, q, ttl, try);

	if (q->family == 6 &&
	    setsockopt(raw, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &ttl, sizeof(ttl)))
		return -errno;
	return send_to_peer(raw, q, pkt, len);
}

/* An echo request with the system's default TTL (ICMPv6: the kernel
 * computes the checksum). */
static int send_echo(int icmp, const struct rst_locate_req *q, int try)
{
	uint8_t e[8] = { q->family == 4 ? 8 : 128 };

	put16(e + 4, echo_id(q));
	put16(e + 6, try);
	if (q->family == 4)
		put16(e + 2, csum_fold(csum_add(0, e, sizeof(e))));
	return send_to_peer(icmp, q, e, sizeof(e));
}

int rst_locate_farthest(const struct rst_locate_res *r)
{
	int ttl = RST_LOCATE_MAX_TTL;

	while (ttl > 0 && !r->hop[ttl][0])
		ttl--;
	return ttl;
}

int rst_locate_check(void)
{
	int fd = socket(AF_INET, SOCK_RAW, IPPROTO_RAW);

	if (fd < 0 && errno == EAFNOSUPPORT) /* a kernel without IPv4 */
		fd = socket(AF_INET6, SOCK_RAW, IPPROTO_TCP);
	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

int rst_locate(const struct rst_locate_req *q, struct rst_locate_res *r)
{
	struct probe_socks k = { -1, -1, -1 };
	int ttl, try, err;

	memset(r, 0, sizeof(*r));
	if (q->max_ttl < 1 || q->max_ttl > RST_LOCATE_MAX_TTL)
		return -EINVAL;
	err = open_sockets(q, &k);
	for (try = 0; !err && q->syn && try < RST_LOCATE_TRIES; try++)
		err = send_echo(k.icmp, q, try);
	for (ttl = 1; !err && ttl <= q->max_ttl; ttl++) {
		for (try = 0; !err && try < RST_LOCATE_TRIES; try++) {
			err = send_probe(k.raw, q, ttl, try);
			r->sent += !err;
		}
	}
	if (!err)
		collect(&k, q, r);
	close_sockets(&k);
	return err;
}
