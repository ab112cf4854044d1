// SPDX-License-Identifier: GPL-2.0
/* Minimal rtnetlink client for what libbpf's tc API does not answer. */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/pkt_sched.h>
#include <linux/gen_stats.h>
#include "netlink.h"

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

/*
 * Run one dump request and call @cb on every message of type @type.
 * Returns 0 or a negative errno.
 */
static int nl_dump(int fd, void *req, size_t len, uint16_t type,
		   void (*cb)(const struct nlmsghdr *, void *), void *arg)
{
	char buf[16384] __attribute__((aligned(4)));
	struct nlmsghdr *h;
	ssize_t n;

	if (send(fd, req, len, 0) < 0)
		return -errno;
	for (;;) {
		n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0)
			return -errno;
		for (h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n);
		     h = NLMSG_NEXT(h, n)) {
			if (h->nlmsg_type == NLMSG_DONE)
				return 0;
			if (h->nlmsg_type == NLMSG_ERROR) {
				struct nlmsgerr *e = NLMSG_DATA(h);

				return e->error;
			}
			if (h->nlmsg_type == type)
				cb(h, arg);
		}
	}
}

static void count_filter(const struct nlmsghdr *h, void *arg)
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
	err = nl_dump(fd, &req, req.n.nlmsg_len, reply, cb, arg);
	close(fd);
	return err;
}

int nl_tc_filter_count(int ifindex, int egress)
{
	uint32_t parent =
	    TC_H_MAKE(TC_H_CLSACT, egress ? TC_H_MIN_EGRESS : TC_H_MIN_INGRESS);
	int count = 0;
	int err = tc_dump(ifindex, parent, RTM_GETTFILTER, RTM_NEWTFILTER,
			  count_filter, &count);

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
