// SPDX-License-Identifier: GPL-2.0
/*
 * Minimal netlink clients: rtnetlink for what libbpf's tc API does not
 * answer, sock_diag for listening sockets (as ss -lnt) and senders
 * (as ss -tmi).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/pkt_sched.h>
#include <linux/gen_stats.h>
#include <linux/sock_diag.h>
#include <linux/inet_diag.h>
#include <linux/tcp.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include "core/netlink.h"

#ifndef TC_H_CLSACT
#define TC_H_CLSACT TC_H_INGRESS
#endif
#ifndef TC_H_MIN_INGRESS
#define TC_H_MIN_INGRESS 0xFFF2U
#define TC_H_MIN_EGRESS	 0xFFF3U
#endif

static int nl_open(int proto)
{
	struct timeval tv = { .tv_sec = 2 };
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, proto);

	if (fd < 0)
		return -errno;
	/* A kernel that never answers must not hang us. */
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return fd;
}

/* The error code an NLMSG_ERROR or NLMSG_DONE message carries, if any. */
static int nl_msg_error(const struct nlmsghdr *h)
{
	int err;

	if (h->nlmsg_len < NLMSG_LENGTH(sizeof(err)))
		return h->nlmsg_type == NLMSG_ERROR ? -EBADMSG : 0;
	memcpy(&err, NLMSG_DATA(h), sizeof(err));
	return err > 0 ? -EPROTO : err;
}

/*
 * Walk one received buffer of netlink messages (@buf 4-byte aligned) and
 * call @cb on each message of type @type whose payload has at least
 * @min_payload bytes.  Pure: no I/O, so it is fuzzed on its own.
 * Returns 1 once the reply is complete (NLMSG_DONE, or an ACK), 0 if more
 * messages are to come, or a negative errno (an error reply, a bad message).
 */
int nl_walk(const void *buf, size_t len, uint16_t type, size_t min_payload,
	    void (*cb)(const struct nlmsghdr *, void *), void *arg)
{
	const char *p = buf;
	size_t off = 0;
	int err;

	while (len - off >= NLMSG_HDRLEN) {
		const struct nlmsghdr *h = (const void *)(p + off);

		if (h->nlmsg_len < NLMSG_HDRLEN || h->nlmsg_len > len - off)
			return -EBADMSG;
		if (h->nlmsg_type == NLMSG_DONE ||
		    h->nlmsg_type == NLMSG_ERROR) {
			err = nl_msg_error(h);
			return err ? err : 1;
		}
		if (h->nlmsg_type == type &&
		    h->nlmsg_len - NLMSG_HDRLEN >= min_payload)
			cb(h, arg);
		if (NLMSG_ALIGN(h->nlmsg_len) >= len - off)
			break;
		off += NLMSG_ALIGN(h->nlmsg_len);
	}
	return 0;
}

/*
 * Run one dump request and call @cb on every message of type @type with at
 * least @min_payload bytes.  Returns 0 or a negative errno.
 */
static int nl_dump(int fd, void *req, size_t len, uint16_t type,
		   size_t min_payload,
		   void (*cb)(const struct nlmsghdr *, void *), void *arg)
{
	char buf[16384] __attribute__((aligned(4)));
	ssize_t n;
	int ret;

	if (send(fd, req, len, 0) < 0)
		return -errno;
	for (;;) {
		n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0)
			return -errno;
		if (n == 0)
			return -ECONNRESET;
		ret = nl_walk(buf, n, type, min_payload, cb, arg);
		if (ret)
			return ret < 0 ? ret : 0;
	}
}

void nl_count_filter(const struct nlmsghdr *h, void *arg)
{
	const struct tcmsg *t = NLMSG_DATA(h);

	/* Each classifier is dumped once as a chain head (handle 0). */
	if (t->tcm_handle)
		(*(int *)arg)++;
}

/* Dumps tc objects (qdiscs, filters) of @ifindex under @parent (0: all). */
static int tc_dump(int ifindex, uint32_t parent, uint16_t get, uint16_t reply,
		   void (*cb)(const struct nlmsghdr *, void *), void *arg)
{
	struct {
		struct nlmsghdr n;
		struct tcmsg t;
	} req = {
		.n.nlmsg_len = NLMSG_LENGTH(sizeof(struct tcmsg)),
		.n.nlmsg_type = get,
		.n.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP,
		.t.tcm_family = AF_UNSPEC,
		.t.tcm_ifindex = ifindex,
		.t.tcm_parent = parent,
	};
	int fd, err;

	fd = nl_open(NETLINK_ROUTE);
	if (fd < 0)
		return fd;
	err = nl_dump(fd, &req, req.n.nlmsg_len, reply, sizeof(struct tcmsg),
		      cb, arg);
	close(fd);
	return err;
}

int nl_tc_filter_count(int ifindex, int egress)
{
	uint32_t parent =
	    TC_H_MAKE(TC_H_CLSACT, egress ? TC_H_MIN_EGRESS : TC_H_MIN_INGRESS);
	int count = 0;
	int err = tc_dump(ifindex, parent, RTM_GETTFILTER, RTM_NEWTFILTER,
			  nl_count_filter, &count);

	return err ? err : count;
}

/* Copies an attribute's payload into a zeroed @dst, whatever its length. */
static void rta_copy(void *dst, size_t len, const struct rtattr *a)
{
	size_t n = RTA_PAYLOAD(a);

	memset(dst, 0, len);
	memcpy(dst, RTA_DATA(a), n < len ? n : len);
}

static void parse_stats2(const struct rtattr *nest, struct nl_qdisc_stats *q)
{
	int len = RTA_PAYLOAD(nest);
	const struct rtattr *a;
	struct gnet_stats_basic b;
	struct gnet_stats_queue s;

	for (a = RTA_DATA(nest); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
		if (a->rta_type == TCA_STATS_BASIC) {
			rta_copy(&b, sizeof(b), a);
			q->bytes = b.bytes;
			q->packets = b.packets;
		} else if (a->rta_type == TCA_STATS_QUEUE) {
			rta_copy(&s, sizeof(s), a);
			q->qlen = s.qlen;
			q->backlog = s.backlog;
			q->drops = s.drops;
			q->requeues = s.requeues;
			q->overlimits = s.overlimits;
		}
	}
}

int nl_parse_qdisc(const struct nlmsghdr *h, struct nl_qdisc_stats *q)
{
	const struct tcmsg *t = NLMSG_DATA(h);
	const struct rtattr *a;
	int len = (int)h->nlmsg_len - NLMSG_LENGTH(sizeof(*t));

	if (len < 0)
		return -EINVAL;
	memset(q, 0, sizeof(*q));
	q->handle = t->tcm_handle;
	q->parent = t->tcm_parent;
	for (a = TCA_RTA(t); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
		if (a->rta_type == TCA_KIND)
			rta_copy(q->kind, sizeof(q->kind) - 1, a);
		else if (a->rta_type == TCA_STATS2)
			parse_stats2(a, q);
	}
	return 0;
}

struct qdisc_dump {
	int ifindex;
	struct nl_qdisc_stats *out;
	int max, n;
};

static void collect_qdisc(const struct nlmsghdr *h, void *arg)
{
	struct qdisc_dump *d = arg;
	const struct tcmsg *t = NLMSG_DATA(h);

	if (t->tcm_ifindex != d->ifindex || d->n == d->max)
		return;
	if (!nl_parse_qdisc(h, &d->out[d->n]))
		d->n++;
}

int nl_qdisc_stats(int ifindex, struct nl_qdisc_stats *out, int max)
{
	struct qdisc_dump d = { ifindex, out, max, 0 };
	int err =
	    tc_dump(ifindex, 0, RTM_GETQDISC, RTM_NEWQDISC, collect_qdisc, &d);

	return err ? err : d.n;
}

struct listeners_ctx {
	void (*cb)(const struct nl_listener *, void *);
	void *arg;
};

static void parse_listener(const struct nlmsghdr *h, void *arg)
{
	const struct inet_diag_msg *m = NLMSG_DATA(h);
	struct listeners_ctx *ctx = arg;
	struct nl_listener l = {
		.family = m->idiag_family,
		.port = ntohs(m->id.idiag_sport),
		.inode = m->idiag_inode,
		.uid = m->idiag_uid,
		.rqueue = m->idiag_rqueue,
		.wqueue = m->idiag_wqueue,
	};
	int len = h->nlmsg_len - NLMSG_LENGTH(sizeof(*m));
	struct rtattr *a;

	memcpy(l.addr, m->id.idiag_src, sizeof(l.addr));
	if (l.family == AF_INET)
		memset(&l.addr[1], 0, 12);
	for (a = (struct rtattr *)(m + 1); RTA_OK(a, len);
	     a = RTA_NEXT(a, len)) {
		if (a->rta_type == INET_DIAG_SKMEMINFO &&
		    RTA_PAYLOAD(a) >= (SK_MEMINFO_DROPS + 1) * sizeof(uint32_t))
			l.drops =
			    ((const uint32_t *)RTA_DATA(a))[SK_MEMINFO_DROPS];
	}
	ctx->cb(&l, ctx->arg);
}

/* sock_diag state filter bits: 1 << TCP_* (include/net/tcp_states.h). */
enum {
	ST_ESTABLISHED = 1 << 1,
	ST_FIN_WAIT1 = 1 << 4,
	ST_CLOSE_WAIT = 1 << 8,
	ST_LAST_ACK = 1 << 9,
	ST_LISTEN = 1 << 10,
	ST_CLOSING = 1 << 11,
	/* a sender may still have data in flight */
	ST_SENDING = ST_ESTABLISHED | ST_FIN_WAIT1 | ST_CLOSE_WAIT |
		     ST_LAST_ACK | ST_CLOSING,
};

/* A sock_diag dump of TCP sockets in @states (ST_*), both families. */
static int tcp_diag_dump(uint32_t states, uint8_t ext,
			 void (*parse)(const struct nlmsghdr *, void *),
			 void *ctx)
{
	static const int families[] = { AF_INET, AF_INET6 };
	struct {
		struct nlmsghdr n;
		struct inet_diag_req_v2 r;
	} req = {
		.n.nlmsg_len = sizeof(req),
		.n.nlmsg_type = SOCK_DIAG_BY_FAMILY,
		.n.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP,
		.r.sdiag_protocol = IPPROTO_TCP,
		.r.idiag_states = states,
		.r.idiag_ext = ext,
	};
	unsigned int i;
	int fd, err = 0;

	fd = nl_open(NETLINK_SOCK_DIAG);
	if (fd < 0)
		return fd;
	for (i = 0; i < sizeof(families) / sizeof(families[0]) && !err; i++) {
		req.r.sdiag_family = families[i];
		err = nl_dump(fd, &req, sizeof(req), SOCK_DIAG_BY_FAMILY,
			      sizeof(struct inet_diag_msg), parse, ctx);
	}
	close(fd);
	return err;
}

int nl_tcp_listeners(void (*cb)(const struct nl_listener *, void *), void *arg)
{
	struct listeners_ctx ctx = { cb, arg };

	return tcp_diag_dump(ST_LISTEN, 1 << (INET_DIAG_SKMEMINFO - 1),
			     parse_listener, &ctx);
}

struct senders_ctx {
	void (*cb)(const struct nl_tcp_sender *, void *);
	void *arg;
};

static void parse_sender(const struct nlmsghdr *h, void *arg)
{
	const struct inet_diag_msg *m = NLMSG_DATA(h);
	int len = h->nlmsg_len - NLMSG_LENGTH(sizeof(*m));
	struct senders_ctx *ctx = arg;
	struct nl_tcp_sender t = {
		.family = m->idiag_family,
		.dport = ntohs(m->id.idiag_dport),
	};
	struct tcp_info ti = {};
	struct rtattr *a;
	bool info = false;

	memcpy(&t.cookie, m->id.idiag_cookie, sizeof(t.cookie));
	memcpy(t.daddr, m->id.idiag_dst, sizeof(t.daddr));
	if (t.family == AF_INET)
		memset(&t.daddr[1], 0, 12);
	for (a = (struct rtattr *)(m + 1); RTA_OK(a, len);
	     a = RTA_NEXT(a, len)) {
		if (a->rta_type == INET_DIAG_SKMEMINFO &&
		    RTA_PAYLOAD(a) >=
			(SK_MEMINFO_SNDBUF + 1) * sizeof(uint32_t)) {
			t.sndbuf =
			    ((const uint32_t *)RTA_DATA(a))[SK_MEMINFO_SNDBUF];
		} else if (a->rta_type == INET_DIAG_INFO) {
			/* older kernels send a shorter struct: zeros */
			rta_copy(&ti, sizeof(ti), a);
			info = true;
		}
	}
	if (!info)
		return;
	t.busy_us = ti.tcpi_busy_time;
	t.sndbuf_limited_us = ti.tcpi_sndbuf_limited;
	t.rtt_us = ti.tcpi_rtt;
	ctx->cb(&t, ctx->arg);
}

int nl_tcp_senders(void (*cb)(const struct nl_tcp_sender *, void *), void *arg)
{
	struct senders_ctx ctx = { cb, arg };

	return tcp_diag_dump(ST_SENDING,
			     1 << (INET_DIAG_INFO - 1) |
				 1 << (INET_DIAG_SKMEMINFO - 1),
			     parse_sender, &ctx);
}

/* One RTM_NEWROUTE answer: via a gateway, and which. */
static void parse_route(const struct nlmsghdr *h, void *arg)
{
	const struct rtmsg *m = NLMSG_DATA(h);
	int len = h->nlmsg_len - NLMSG_LENGTH(sizeof(*m));
	size_t alen = m->rtm_family == AF_INET ? 4 : 16;
	struct nl_route *r = arg;
	struct rtattr *a;

	r->found = m->rtm_type == RTN_UNICAST || m->rtm_type == RTN_LOCAL;
	r->local = m->rtm_type == RTN_LOCAL;
	for (a = RTM_RTA(m); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
		if (a->rta_type == RTA_GATEWAY && RTA_PAYLOAD(a) >= alen) {
			r->gateway = true;
			r->gw_family = m->rtm_family;
			memcpy(r->gw, RTA_DATA(a), alen);
		} else if (a->rta_type == RTA_VIA ||
			   a->rta_type == RTA_MULTIPATH) {
			r->gateway = true; /* which one: not said */
		} else if (a->rta_type == RTA_OIF &&
			   RTA_PAYLOAD(a) >= sizeof(int)) {
			memcpy(&r->oif, RTA_DATA(a), sizeof(int));
		}
	}
}

static void rta_put(struct nlmsghdr *h, int type, const void *data, size_t len)
{
	struct rtattr *a =
	    (struct rtattr *)((char *)h + NLMSG_ALIGN(h->nlmsg_len));

	a->rta_type = type;
	a->rta_len = RTA_LENGTH(len);
	memcpy(RTA_DATA(a), data, len);
	h->nlmsg_len = NLMSG_ALIGN(h->nlmsg_len) + RTA_SPACE(len);
}

int ws_iface_ioctl(const char *name, unsigned long req, struct ifreq *ifr)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), err;

	if (fd < 0)
		return -1;
	snprintf(ifr->ifr_name, sizeof(ifr->ifr_name), "%s", name);
	err = ioctl(fd, req, ifr);
	close(fd);
	return err;
}

/* A point-to-point device: its peers are not on a shared link. */
static bool iface_p2p(int ifindex)
{
	char name[IF_NAMESIZE];
	struct ifreq ifr = { 0 };

	return ifindex > 0 && if_indextoname(ifindex, name) &&
	       !ws_iface_ioctl(name, SIOCGIFFLAGS, &ifr) &&
	       ifr.ifr_flags & IFF_POINTOPOINT;
}

int nl_route_get(int family, const void *src, const void *dst, int oif,
		 struct nl_route *out)
{
	struct {
		struct nlmsghdr h;
		struct rtmsg r;
		char attrs[2 * RTA_SPACE(16) + RTA_SPACE(sizeof(int))];
	} req = {
		.h.nlmsg_len = NLMSG_LENGTH(sizeof(struct rtmsg)),
		.h.nlmsg_type = RTM_GETROUTE,
		.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK,
		.r.rtm_family = family,
	};
	size_t alen = family == AF_INET ? 4 : 16;
	int fd, err;

	memset(out, 0, sizeof(*out));
	req.r.rtm_dst_len = alen * 8;
	rta_put(&req.h, RTA_DST, dst, alen);
	if (src) {
		req.r.rtm_src_len = alen * 8;
		rta_put(&req.h, RTA_SRC, src, alen);
	}
	if (oif > 0)
		rta_put(&req.h, RTA_OIF, &oif, sizeof(oif));
	fd = nl_open(NETLINK_ROUTE);
	if (fd < 0)
		return fd;
	err = nl_dump(fd, &req, req.h.nlmsg_len, RTM_NEWROUTE, sizeof(req.r),
		      parse_route, out);
	close(fd);
	if (!err && out->found)
		out->p2p = iface_p2p(out->oif);
	return err ? err : out->found ? 0 : -ENETUNREACH;
}

bool ws_addr_is_local(int family, const uint32_t addr[4])
{
	struct nl_route rt;

	if (nl_route_get(family == 4 ? AF_INET : AF_INET6, NULL, addr, 0, &rt))
		return true; /* unknown: as before this test existed */
	return rt.local;
}
