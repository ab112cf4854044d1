// SPDX-License-Identifier: GPL-2.0
/* Minimal rtnetlink client for what libbpf's tc API does not answer. */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/pkt_sched.h>
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
	err = nl_dump(fd, &req, req.n.nlmsg_len, RTM_NEWTFILTER,
		      sizeof(struct tcmsg), nl_count_filter, &count);
	close(fd);
	return err ? err : count;
}
