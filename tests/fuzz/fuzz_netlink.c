// SPDX-License-Identifier: GPL-2.0
/*
 * The netlink reply walker (user/netlink.c nl_walk) and the callbacks it
 * feeds, on arbitrary bytes as if the kernel (or anything on the socket)
 * sent them.  The callback must only ever see whole messages.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include "core/netlink.h"

static const uint8_t *buf_start;
static size_t buf_len;

/* Every message handed to a callback lies inside the buffer. */
static void check_then_count(const struct nlmsghdr *h, void *arg)
{
	const uint8_t *p = (const uint8_t *)h;

	if (p < buf_start ||
	    h->nlmsg_len < NLMSG_LENGTH(sizeof(struct tcmsg)) ||
	    p + h->nlmsg_len > buf_start + buf_len)
		abort();
	nl_count_filter(h, arg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *buf = malloc(size ? size : 1);
	int count = 0, ret;

	memcpy(buf, data, size);
	buf_start = buf;
	buf_len = size;
	ret = nl_walk(buf, size, RTM_NEWTFILTER, sizeof(struct tcmsg),
		      check_then_count, &count);
	if (ret > 1 || count < 0)
		abort();
	free(buf);
	return 0;
}
