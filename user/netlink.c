// SPDX-License-Identifier: GPL-2.0
/*
 * Minimal netlink clients: rtnetlink for what libbpf's tc API does not
 * answer, sock_diag for listening sockets (as ss -lnt).
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/pkt_sched.h>
#include <linux/sock_diag.h>
#include <linux/inet_diag.h>
#include <netinet/in.h>
#include <arpa/inet.h>
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

int nl_tc_filter_count(int ifindex, int egress)
{
	struct {
		struct nlmsghdr n;
		struct tcmsg t;
	} req = {
		.n.nlmsg_len = NLMSG_LENGTH(sizeof(struct tcmsg)),
		.n.nlmsg_type = RTM_GETTFILTER,
		.n.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP,
		.t.tcm_family = AF_UNSPEC,
		.t.tcm_ifindex = ifindex,
		.t.tcm_parent = TC_H_MAKE(
		    TC_H_CLSACT, egress ? TC_H_MIN_EGRESS : TC_H_MIN_INGRESS),
	};
	int fd, err, count = 0;

	fd = nl_open(NETLINK_ROUTE);
	if (fd < 0)
		return fd;
	err = nl_dump(fd, &req, req.n.nlmsg_len, RTM_NEWTFILTER, count_filter,
		      &count);
	close(fd);
	return err ? err : count;
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

	if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*m)))
		return;
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

int nl_tcp_listeners(void (*cb)(const struct nl_listener *, void *), void *arg)
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
		.r.idiag_states = 1 << 10, /* TCP_LISTEN */
		.r.idiag_ext = 1 << (INET_DIAG_SKMEMINFO - 1),
	};
	struct listeners_ctx ctx = { cb, arg };
	unsigned int i;
	int fd, err = 0;

	fd = nl_open(NETLINK_SOCK_DIAG);
	if (fd < 0)
		return fd;
	for (i = 0; i < sizeof(families) / sizeof(families[0]) && !err; i++) {
		req.r.sdiag_family = families[i];
		err = nl_dump(fd, &req, sizeof(req), SOCK_DIAG_BY_FAMILY,
			      parse_listener, &ctx);
	}
	close(fd);
	return err;
}
