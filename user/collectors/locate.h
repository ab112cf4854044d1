/* SPDX-License-Identifier: GPL-2.0 */
/* --locate: TTL-limited TCP probes on a flow's own tuple. */
#ifndef WS_LOCATE_H
#define WS_LOCATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <arpa/inet.h>

#define RST_LOCATE_MAX_TTL 15

struct rst_locate_req {
	int family;		     /* 4 or 6 */
	uint32_t laddr[4], raddr[4]; /* network byte order; IPv4 in [0] */
	uint16_t lport, rport;	     /* host byte order */
	int ifindex; /* the flow's interface: a link-local address's scope */
	uint32_t seq, ack; /* what the flow's next segment would carry */
	int max_ttl;	   /* probe TTLs 1..max_ttl */
	bool syn;	   /* refused connect: SYN probes and an echo request */
	/* > 0: the wait ends once it is readable (the session's signalfd
	 * while it stops: a second Ctrl-C); it is polled, never read. */
	int stop_fd;
};

struct rst_locate_res {
	char hop[RST_LOCATE_MAX_TTL + 1][INET6_ADDRSTRLEN]; /* [ttl]; "" */
	int sent;
	int answered;
	int rst_ttl;   /* syn: the smallest probe TTL an RST answered, or 0 */
	int rsts;      /* syn: RSTs that answered probes */
	bool echo;     /* syn: the peer answered our echo request */
	int echo_hops; /* from its TTL */
	bool stopped;  /* stop_fd cut the wait short: answers may be missing */
};

/*
 * The probe for @ttl and @try as sent: IPv4 header + TCP (40 bytes), or
 * TCP only for IPv6 (the kernel adds the header and checksum).
 */
size_t rst_locate_probe(uint8_t *buf, const struct rst_locate_req *q, int ttl,
			int try);
/*
 * The TTL of our probe that an ICMP time exceeded quotes, or -1: @b is an
 * IPv4 packet (raw ICMP socket) or an ICMPv6 message (raw ICMPv6 socket).
 */
int rst_locate_match(const uint8_t *b, ssize_t n,
		     const struct rst_locate_req *q);
/* The TTL of our SYN probe that the RST @t (TCP header) answers, or -1. */
int rst_locate_match_rst(const uint8_t *t, size_t n,
			 const struct rst_locate_req *q);
/* An RST with this ack answers one of our SYN probes. */
bool rst_locate_probe_answer(uint32_t ack);
/*
 * Send the probes and wait for the answers; 0 or -errno.  With q->syn:
 * SYN probes, whose RSTs are read too, and one echo request (two tries)
 * whose reply's TTL gives the peer's distance.
 */
int rst_locate(const struct rst_locate_req *q, struct rst_locate_res *r);
/* The farthest TTL a time exceeded answered, or 0. */
int rst_locate_farthest(const struct rst_locate_res *r);
/* The probes' raw sockets can be opened (CAP_NET_RAW): 0 or -errno. */
int rst_locate_check(void);

#endif
