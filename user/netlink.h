/* SPDX-License-Identifier: GPL-2.0 */
#ifndef WS_NETLINK_H
#define WS_NETLINK_H

#include <stddef.h>
#include <stdint.h>

struct nlmsghdr;

/* Walk one buffer of netlink replies (pure; see netlink.c). */
int nl_walk(const void *buf, size_t len, uint16_t type, size_t min_payload,
	    void (*cb)(const struct nlmsghdr *, void *), void *arg);
/* nl_walk callback for RTM_NEWTFILTER: counts classifiers into an int. */
void nl_count_filter(const struct nlmsghdr *h, void *arg);

/* Filters of any owner on clsact ingress (egress=0) or egress (1). */
int nl_tc_filter_count(int ifindex, int egress);

#endif
