// SPDX-License-Identifier: GPL-2.0
/* --locate's probes and its reading of ICMP answers, without a network. */
#define _GNU_SOURCE
#include <sched.h>
#include <stdlib.h>
#include <errno.h>
#include <string.h>
#include <poll.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <linux/capability.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include "unit.h"
#include "pkt.h"
#include "collectors/locate.h"
#include "collectors/resets_collector.h"

static uint16_t fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

static uint32_t add(uint32_t sum, const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (p[i] << 8) | p[i + 1];
	return sum;
}

static struct rst_locate_req req4(void)
{
	struct rst_locate_req q = { .family = 4,
				    .lport = 40000,
				    .rport = 5001,
				    .seq = 99,
				    .ack = 7,
				    .max_ttl = 2 };

	inet_pton(AF_INET, "198.18.0.2", q.laddr);
	inet_pton(AF_INET, "198.18.2.2", q.raddr);
	return q;
}

/* A router's time exceeded for @probe: IPv4 + ICMP + quoted 28 bytes. */
static size_t time_exceeded4(uint8_t *b, const uint8_t *probe)
{
	memset(b, 0, 56);
	b[0] = 0x45;
	b[9] = 1;
	b[20] = 11;
	memcpy(b + 28, probe, 28);
	return 56;
}

static void test_ipv4(void)
{
	struct rst_locate_req q = req4(), other = req4();
	uint8_t probe[40], reply[64], pseudo[12];
	int ttl;

	case_begin("IPv4 probe: the flow's tuple, TTL, valid checksums");
	CHECK_EQ(rst_locate_probe(probe, &q, 2, 1), 40, "length");
	CHECK_EQ(probe[8], 2, "ttl");
	CHECK(!memcmp(probe + 12, q.laddr, 4), "source");
	CHECK(!memcmp(probe + 16, q.raddr, 4), "destination");
	CHECK_EQ((probe[20] << 8) | probe[21], 40000, "sport");
	CHECK_EQ((probe[22] << 8) | probe[23], 5001, "dport");
	CHECK_EQ(probe[33], 0x10, "a plain ACK");
	CHECK_EQ(fold(add(0, probe, 20)), 0xffff, "IP checksum");
	memcpy(pseudo, probe + 12, 8);
	pseudo[8] = 0;
	pseudo[9] = 6;
	put16(pseudo + 10, 20);
	CHECK_EQ(fold(add(add(0, pseudo, 12), probe + 20, 20)), 0xffff,
		 "TCP checksum");
	case_end();

	case_begin("IPv4 time exceeded: matched to its probe's TTL");
	for (ttl = 1; ttl <= RST_LOCATE_MAX_TTL; ttl++) {
		rst_locate_probe(probe, &q, ttl, ttl & 1);
		CHECK_EQ(
		    rst_locate_match(reply, time_exceeded4(reply, probe), &q),
		    ttl, "ttl");
	}
	case_end();

	case_begin("IPv4: other flows, other types, short answers ignored");
	rst_locate_probe(probe, &q, 2, 0);
	other.rport = 5002;
	CHECK_EQ(rst_locate_match(reply, time_exceeded4(reply, probe), &other),
		 -1, "another port");
	time_exceeded4(reply, probe);
	reply[20] = 3; /* destination unreachable */
	CHECK_EQ(rst_locate_match(reply, 56, &q), -1, "not time exceeded");
	CHECK_EQ(rst_locate_match(reply, 40, &q), -1, "cut short");
	reply[0] = 0x44; /* ihl 16 */
	CHECK_EQ(rst_locate_match(reply, 56, &q), -1, "bad ihl");
	case_end();
}

static void test_ipv6(void)
{
	struct rst_locate_req q = {
		.family = 6, .lport = 40000, .rport = 5001, .max_ttl = 2
	};
	uint8_t probe[40], reply[8 + 40 + 20];

	inet_pton(AF_INET6, "2001:db8::2", q.laddr);
	inet_pton(AF_INET6, "2001:db8:2::2", q.raddr);
	case_begin("IPv6: the probe id rides in the window; ICMPv6 matched");
	CHECK_EQ(rst_locate_probe(probe, &q, 3, 1), 20, "TCP only");
	memset(reply, 0, sizeof(reply));
	reply[0] = 3; /* time exceeded */
	reply[8] = 0x60;
	reply[8 + 6] = 6;
	memcpy(reply + 8 + 24, q.raddr, 16);
	memcpy(reply + 48, probe, 20);
	CHECK_EQ(rst_locate_match(reply, sizeof(reply), &q), 3, "ttl");
	CHECK_EQ(rst_locate_match(reply, sizeof(reply) - 1, &q), -1, "short");
	reply[8 + 24] ^= 1;
	CHECK_EQ(rst_locate_match(reply, sizeof(reply), &q), -1, "other dst");
	case_end();
}

/* The peer's (or a firewall's) RST to the SYN probe @probe (TCP header). */
static void rst_for(uint8_t *t, const uint8_t *probe)
{
	uint32_t seq = (uint32_t)probe[4] << 24 | probe[5] << 16 |
		       probe[6] << 8 | probe[7];

	memset(t, 0, 20);
	memcpy(t, probe + 2, 2);
	memcpy(t + 2, probe, 2);
	put32(t + 8, seq + 1);
	t[12] = 5 << 4;
	t[13] = 0x14; /* RST, ACK */
}

static void test_syn_probes(void)
{
	struct rst_locate_req q = req4();
	uint8_t probe[40], rst[20];
	int ttl;

	q.syn = true;
	case_begin("refused connect: SYN probes, their RSTs matched by ack");
	for (ttl = 1; ttl <= RST_LOCATE_MAX_TTL; ttl++) {
		rst_locate_probe(probe, &q, ttl, ttl & 1);
		CHECK_EQ(probe[33], 0x02, "a SYN");
		rst_for(rst, probe + 20);
		CHECK_EQ(rst_locate_match_rst(rst, 20, &q), ttl, "ttl");
		CHECK(rst_locate_probe_answer((uint32_t)rst[8] << 24 |
					      rst[9] << 16 | rst[10] << 8 |
					      rst[11]),
		      "a probe's answer");
	}
	case_end();

	case_begin("refused connect: other RSTs are not the probes'");
	rst_locate_probe(probe, &q, 2, 0);
	rst_for(rst, probe + 20);
	CHECK_EQ(rst_locate_match_rst(rst, 19, &q), -1, "cut short");
	rst[13] = 0x10;
	CHECK_EQ(rst_locate_match_rst(rst, 20, &q), -1, "not an RST");
	rst[13] = 0x14;
	put16(rst, 5002);
	CHECK_EQ(rst_locate_match_rst(rst, 20, &q), -1, "another port");
	CHECK(!rst_locate_probe_answer(12345), "a real ISN + 1");
	CHECK(!rst_locate_probe_answer(0), "ack 0");
	case_end();
}

/*
 * In a child: CAP_NET_RAW out of the effective set, then the check and
 * the resets collector's --locate start.
 */
static int check_without_net_raw(void)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2] = {};
	struct ws_session s = { 0 };

	if (syscall(SYS_capget, &hdr, data))
		return 2;
	data[0].effective &= ~(1U << CAP_NET_RAW);
	if (syscall(SYS_capset, &hdr, data))
		return 2;
	if (rst_locate_check() != -EPERM)
		return 1;
	/* The resets collector refuses to start: exit 4, before any BPF. */
	resets_set_options(&(struct rst_options){ .locate = true });
	return ws_resets_collector.configure(&s) == WS_EXIT_PERM ? 0 : 3;
}

static void test_check_needs_net_raw(void)
{
	int status = -1;
	pid_t pid;

	if (geteuid()) {
		case_skip("--locate's check", "needs root");
		return;
	}
	case_begin("--locate's check: its raw sockets need CAP_NET_RAW");
	CHECK_EQ(rst_locate_check(), 0, "with CAP_NET_RAW");
	pid = fork();
	if (!pid)
		_exit(check_without_net_raw());
	CHECK(pid > 0 && waitpid(pid, &status, 0) == pid, "the child ran");
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "without CAP_NET_RAW: -EPERM, then exit 4 (child status %d)",
	      status);
	case_end();
}

/* The farthest TTL a router answered: a gap below it (rate limits) or none. */
static void test_farthest(void)
{
	struct rst_locate_res r = { 0 };

	case_begin("the farthest TTL a time exceeded answered");
	CHECK_EQ(rst_locate_farthest(&r), 0, "none answered");
	strcpy(r.hop[3], "198.18.1.2");
	CHECK_EQ(rst_locate_farthest(&r), 3, "hop 3, none below");
	strcpy(r.hop[1], "198.18.0.1");
	CHECK_EQ(rst_locate_farthest(&r), 3, "hops 1 and 3");
	strcpy(r.hop[RST_LOCATE_MAX_TTL], "198.18.9.1");
	CHECK_EQ(rst_locate_farthest(&r), RST_LOCATE_MAX_TTL, "the last TTL");
	case_end();
}

/*
 * A link-local peer (fe80::/10) is reached through the flow's interface:
 * the probes name it as the scope (the kernel refuses the address without
 * one).  In a private network namespace, over a veth pair.
 */
static void test_link_local(void)
{
	const char *name = "IPv6 link-local peer: probes sent on its interface";
	struct rst_locate_req q = {
		.family = 6, .lport = 40000, .rport = 5001, .max_ttl = 1
	};
	struct rst_locate_res r;

	if (unshare(CLONE_NEWNET) ||
	    system("ip link add v0 type veth peer name v1 && "
		   "ip link set v0 up && ip link set v1 up && "
		   "ip addr add fe80::1/64 dev v0 nodad && "
		   "ip addr add fe80::2/64 dev v1 nodad")) {
		case_skip(name, "no private network namespace");
		return;
	}
	case_begin(name);
	inet_pton(AF_INET6, "fe80::1", q.laddr);
	inet_pton(AF_INET6, "fe80::2", q.raddr);
	q.ifindex = (int)if_nametoindex("v0");
	CHECK(q.ifindex > 0, "no v0");
	CHECK_EQ(rst_locate(&q, &r), 0, "rst_locate");
	CHECK(r.sent > 0, "no probe sent");
	case_end();
}

static long ms_between(const struct timespec *a, const struct timespec *b)
{
	return (b->tv_sec - a->tv_sec) * 1000 +
	       (b->tv_nsec - a->tv_nsec) / 1000000;
}

/*
 * While wirescope stops, a second Ctrl-C must not wait out a probe run's
 * second: its signalfd, readable, ends the wait at once and the result
 * says it was cut short.  The fd is polled, not read: the session takes
 * the signal.  On test_link_local's veth pair, where no ICMP answers.
 */
static void test_stop_fd(void)
{
	const char *name = "a readable stop fd ends the probes' wait";
	struct rst_locate_req q = {
		.family = 6, .lport = 40001, .rport = 5001, .max_ttl = 1
	};
	struct pollfd still = { .events = POLLIN };
	struct rst_locate_res r;
	struct timespec t0, t1;
	int p[2];

	q.ifindex = (int)if_nametoindex("v0");
	if (q.ifindex <= 0 || pipe(p)) {
		case_skip(name, "no veth pair (test_link_local skipped)");
		return;
	}
	case_begin(name);
	inet_pton(AF_INET6, "fe80::1", q.laddr);
	inet_pton(AF_INET6, "fe80::2", q.raddr);
	CHECK_EQ(write(p[1], "x", 1), 1, "write");
	q.stop_fd = p[0];
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK_EQ(rst_locate(&q, &r), 0, "rst_locate");
	clock_gettime(CLOCK_MONOTONIC, &t1);
	CHECK(r.sent > 0, "no probe sent");
	CHECK(r.stopped, "the result does not say it was cut short");
	CHECK(ms_between(&t0, &t1) < 500, "waited %ld ms",
	      ms_between(&t0, &t1));
	still.fd = p[0];
	CHECK(poll(&still, 1, 0) == 1, "the stop fd was read");
	close(p[0]);
	close(p[1]);
	case_end();
}

int main(void)
{
	test_check_needs_net_raw();
	test_ipv4();
	test_ipv6();
	test_syn_probes();
	test_farthest();
	test_link_local(); /* last: a new netns */
	test_stop_fd();	   /* in that netns */
	return unit_exit();
}
