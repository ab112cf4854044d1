/* SPDX-License-Identifier: GPL-2.0 */
#ifndef WS_NETLINK_H
#define WS_NETLINK_H

#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>

struct nlmsghdr;

/* Walk one buffer of netlink replies (pure; see netlink.c). */
int nl_walk(const void *buf, size_t len, uint16_t type, size_t min_payload,
	    void (*cb)(const struct nlmsghdr *, void *), void *arg);
/* nl_walk callback for RTM_NEWTFILTER: counts classifiers into an int. */
void nl_count_filter(const struct nlmsghdr *h, void *arg);

/*
 * Is @addr (@family 4: in addr[0], or 6; network order) this network
 * namespace's own, as its routing table says (a local route: any address
 * on any interface, or a local range)?  True if the kernel can't tell.
 */
bool ws_addr_is_local(int family, const uint32_t addr[4]);

struct ifreq;
/* Interface ioctl @req (SIOCGIFFLAGS...) on @name: 0, or -1 if it failed. */
int ws_iface_ioctl(const char *name, unsigned long req, struct ifreq *ifr);

/* Filters of any owner on clsact ingress (egress=0) or egress (1). */
int nl_tc_filter_count(int ifindex, int egress);

/* One qdisc as `tc -s qdisc show` reports it (TCA_STATS2). */
struct nl_qdisc_stats {
	char kind[16];
	uint32_t handle;
	uint32_t parent; /* TC_H_ROOT for the root qdisc */
	uint64_t bytes;
	uint64_t packets;
	uint32_t qlen;
	uint32_t backlog; /* bytes queued now */
	uint32_t drops;
	uint32_t requeues;
	uint32_t overlimits;
};

/* Qdiscs of @ifindex, at most @max; their number or a negative errno. */
int nl_qdisc_stats(int ifindex, struct nl_qdisc_stats *out, int max);

struct nlmsghdr;
/* One RTM_NEWQDISC message (pure: fuzzable); 0 or -EINVAL. */
int nl_parse_qdisc(const struct nlmsghdr *h, struct nl_qdisc_stats *q);
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

/* A connected TCP socket's sending side, as ss -tmi shows it. */
struct nl_tcp_sender {
	uint64_t cookie;	    /* stable for the socket's life */
	uint64_t busy_us;	    /* tcpi_busy_time: sending data */
	uint64_t sndbuf_limited_us; /* of which waiting for send buffer */
	uint32_t daddr[4];	    /* network byte order; IPv4 in [0] */
	uint32_t sndbuf;	    /* sk_sndbuf (ss: tb) */
	uint32_t rtt_us;
	uint16_t dport; /* host byte order */
	uint8_t family;
};

/* Call @cb for each TCP socket of our netns that may still send data. */
int nl_tcp_senders(void (*cb)(const struct nl_tcp_sender *, void *), void *arg);

/* The route to one address (ip route get). */
struct nl_route {
	bool found;	/* unicast (or local): the address is reachable */
	bool local;	/* a local route: the address is this host's */
	bool gateway;	/* via a router: the address is not on-link */
	bool p2p;	/* out of a point-to-point device (tun, ppp, wg) */
	int gw_family;	/* AF_INET/AF_INET6 when the gateway is known */
	uint8_t gw[16]; /* network byte order */
	int oif;
};

/*
 * The route a flow from @src to @dst (@family AF_INET/AF_INET6, network
 * byte order) takes out of @oif (0: any) in our netns, as the kernel
 * picks it with that source (policy routing); 0 or a negative errno.
 */
int nl_route_get(int family, const void *src, const void *dst, int oif,
		 struct nl_route *out);

#endif
