/* SPDX-License-Identifier: GPL-2.0 */
#ifndef WS_NETLINK_H
#define WS_NETLINK_H

#include <stdint.h>

/* Filters of any owner on clsact ingress (egress=0) or egress (1). */
int nl_tc_filter_count(int ifindex, int egress);

/* A listening TCP socket as sock_diag reports it (like ss -lntm). */
struct nl_listener {
	uint32_t addr[4]; /* network byte order; IPv4 in [0] */
	uint32_t inode;
	uint32_t uid;
	uint32_t rqueue; /* accept queue length now */
	uint32_t wqueue; /* its limit: min(listen() backlog, somaxconn) */
	uint32_t drops;	 /* sk_drops: every ListenDrops event on it */
	uint16_t port;	 /* host byte order */
	uint8_t family;	 /* AF_INET, AF_INET6 */
};

/* Call @cb for each listening TCP socket of our network namespace. */
int nl_tcp_listeners(void (*cb)(const struct nl_listener *, void *), void *arg);

#endif
