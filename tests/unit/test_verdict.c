// SPDX-License-Identifier: GPL-2.0
/* The verdict rules (user/verdict.c) on recorded evidence, no packets. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <arpa/inet.h>
#include <string.h>
#include "unit.h"
#include "collectors/verdict.h"
#include "collectors/sizes_collector.h"
#include "collectors/handshakes_collector.h"
#include "collectors/resets_collector.h"
#include "collectors/retrans_collector.h"
#include "collectors/sndbuf_collector.h"
#include "collectors/hoststat_collector.h"
#include "collectors/resets_int.h"
#include "core/findings.h"

/* A flow to a Linux peer 2 hops away that sends timestamps. */
static struct rst_evidence peer_flow(void)
{
	return (struct rst_evidence){
		.has_peer = true,
		.ttl = 62,
		.peer_ttl_min = 62,
		.peer_ttl_max = 62,
		.peer_ttl_last = 62,
		.peer_ts = true,
		.peer_tsval = 100000,
		.ipv4 = true,
		.peer_ip_id = 4000,
		.idle_rx_s = 0.5,
		.tx_seen = true,
		.burst = 1,
		.burst_seqs = 1,
	};
}

static struct rst_result decide(const struct rst_evidence *ev)
{
	struct rst_result r;

	rst_decide(ev, &r);
	return r;
}

static void check_verdict(const char *name, const struct rst_evidence *ev,
			  enum rst_verdict want, enum rst_confidence conf)
{
	struct rst_result r = decide(ev);

	case_begin(name);
	CHECK(r.verdict == want, "verdict %s, want %s (%s)",
	      rst_verdict_name(r.verdict), rst_verdict_name(want), r.why);
	CHECK(r.conf == conf, "confidence %s, want %s",
	      rst_confidence_name(r.conf), rst_confidence_name(conf));
	CHECK(r.why[0], "a reason is given");
	case_end();
}

static void test_ttl(void)
{
	case_begin("initial TTL and hops");
	CHECK_EQ(rst_initial_ttl(1), 64, "1");
	CHECK_EQ(rst_initial_ttl(64), 64, "64");
	CHECK_EQ(rst_initial_ttl(65), 128, "65");
	CHECK_EQ(rst_initial_ttl(128), 128, "128");
	CHECK_EQ(rst_initial_ttl(129), 255, "129");
	CHECK_EQ(rst_hops(62), 2, "62");
	CHECK_EQ(rst_hops(120), 8, "120");
	CHECK_EQ(rst_hops(250), 5, "250");
	case_end();
}

static void test_local(void)
{
	struct rst_evidence ev = { .sent = true, .kernel_sent = true };

	check_verdict("sent with tcp_send_reset: local", &ev, RV_LOCAL,
		      RC_HIGH);
	ev.kernel_sent = false;
	check_verdict("sent without tcp_send_reset: local_netfilter", &ev,
		      RV_LOCAL_NETFILTER, RC_MEDIUM);
	ev.foreign_src = true;
	check_verdict("from no address of ours, no send event: unknown", &ev,
		      RV_UNKNOWN, RC_LOW);
	ev.kernel_sent = true;
	check_verdict("from no address of ours, send event: local", &ev,
		      RV_LOCAL, RC_HIGH);
	/* Our NAT's address on a container's RST: received, routed out. */
	ev = (struct rst_evidence){ .sent = true,
				    .forwarded = true,
				    .lost = RST_LOST_TRACEPOINT_PARTIAL };
	check_verdict("received and routed out, from our address: unknown", &ev,
		      RV_UNKNOWN, RC_LOW);
	case_begin("received and routed out: the why says routed");
	CHECK(!strncmp(decide(&ev).why, "routed:", 7), "why: %s",
	      decide(&ev).why);
	case_end();
	ev = (struct rst_evidence){ .via_lo = true,
				    .has_peer = true,
				    .ttl = 64 };
	check_verdict("back on lo, no send event: local_netfilter", &ev,
		      RV_LOCAL_NETFILTER, RC_HIGH);
}

/* The RST storm: the send event was rate-limited away, not absent. */
static void test_local_evidence_lost(void)
{
	struct rst_evidence ev = { .sent = true,
				   .lost = RST_LOST_RATE_LIMITED };
	struct rst_result r;

	check_verdict("sent, send events rate-limited: unknown", &ev,
		      RV_UNKNOWN, RC_LOW);
	r = decide(&ev);
	case_begin("unknown names the lost evidence");
	CHECK(strstr(r.why, "evidence_rate_limited") == r.why, "reason first");
	case_end();
	ev.lost = RST_LOST_RINGBUF_FULL;
	check_verdict("sent, ring buffer full: unknown", &ev, RV_UNKNOWN,
		      RC_LOW);
	ev = (struct rst_evidence){ .via_lo = true,
				    .lost = RST_LOST_TABLE_FULL };
	check_verdict("back on lo, events lost: unknown", &ev, RV_UNKNOWN,
		      RC_LOW);
	ev = (struct rst_evidence){ .sent = true,
				    .kernel_sent = true,
				    .lost = RST_LOST_RATE_LIMITED };
	check_verdict("send event seen despite losses: local", &ev, RV_LOCAL,
		      RC_HIGH);
	ev = (struct rst_evidence){ .sent = true,
				    .lost = RST_LOST_TRACEPOINT_OFF };
	check_verdict("sent, no tcp_send_reset on this kernel: unknown", &ev,
		      RV_UNKNOWN, RC_LOW);
	r = decide(&ev);
	case_begin("unknown says the tracepoint is off");
	CHECK(strstr(r.why, "evidence_tracepoint_off") == r.why, "reason");
	CHECK(strstr(r.why, "tcp:tcp_send_reset is off"), "why");
	case_end();
	ev = (struct rst_evidence){ .via_lo = true,
				    .lost = RST_LOST_TRACEPOINT_PARTIAL };
	check_verdict("back on lo before 6.10 (no event without a socket): "
		      "unknown",
		      &ev, RV_UNKNOWN, RC_LOW);
	r = decide(&ev);
	case_begin("unknown says why the absent event proves nothing");
	CHECK(strstr(r.why, "evidence_tracepoint_partial") == r.why, "reason");
	CHECK(strstr(r.why, "without a full socket"), "why");
	case_end();
}

static void test_peer(void)
{
	struct rst_evidence ev = peer_flow();
	struct rst_result r;

	ev.has_ts = true;
	ev.tsval = 100400; /* 400 ms later, idle 500 ms */
	check_verdict("same hops, TS continues: peer_abort", &ev, RV_PEER_ABORT,
		      RC_HIGH);
	r = decide(&ev);
	case_begin("peer_abort evidence fields");
	CHECK_EQ(r.hops, 2, "hops");
	CHECK_EQ(r.peer_hops, 2, "peer_hops");
	CHECK_EQ(r.hops_before_peer, -1, "no hop before the peer");
	CHECK(r.ts_continues, "ts continues");
	case_end();

	ev = peer_flow();
	ev.peer_ts = false;
	ev.ip_id = 4003;
	check_verdict("same hops, IP-ID continues: peer_abort", &ev,
		      RV_PEER_ABORT, RC_HIGH);
	/* The baseline let 5 of the peer's segments by: IDs up to 4005 are
	 * the peer's own, already used; 4006 to 5029 continue them. */
	ev.peer_ip_id_lag = ev.peer_ip_id_lag_max = 5;
	ev.ip_id = 4005;
	check_verdict("IP-ID within the segments let by: no continuity", &ev,
		      RV_PEER_NO_SOCKET, RC_MEDIUM);
	ev.ip_id = 4006;
	check_verdict("IP-ID past the segments let by: peer_abort", &ev,
		      RV_PEER_ABORT, RC_HIGH);
	ev.ip_id = 5029;
	check_verdict("IP-ID at the window's end past them: peer_abort", &ev,
		      RV_PEER_ABORT, RC_HIGH);
	ev.ip_id = 5030;
	check_verdict("IP-ID past the window's end: no continuity", &ev,
		      RV_PEER_NO_SOCKET, RC_MEDIUM);
	/* Let by, but how many unknown (0 to 512): an ID continues only past
	 * 512 and up to 1,024; one that does for some lags only is unsure. */
	ev.peer_ip_id_lag = 0;
	ev.peer_ip_id_lag_max = 512;
	ev.ip_id = 4001;
	check_verdict("a lag of 0 to 512: the next ID is unsure", &ev,
		      RV_PEER_NO_SOCKET, RC_LOW);
	ev.ip_id = 4000 + 513;
	check_verdict("a lag of 0 to 512: past any lag, it continues", &ev,
		      RV_PEER_ABORT, RC_HIGH);
	ev.ip_id = 4000 + 1025;
	check_verdict("a lag of 0 to 512: past the shortest's window, unsure",
		      &ev, RV_PEER_NO_SOCKET, RC_LOW);
	ev.ip_id = 4000 + 512 + 1025;
	check_verdict("a lag of 0 to 512: past every window, no continuity",
		      &ev, RV_PEER_NO_SOCKET, RC_MEDIUM);
	ev.peer_ip_id_lag = ev.peer_ip_id_lag_max = 0;

	ev = peer_flow();
	ev.triggered = true;
	check_verdict("same hops, no TS, answers us: peer_no_socket", &ev,
		      RV_PEER_NO_SOCKET, RC_HIGH);
	ev.triggered = false;
	check_verdict("same hops, no TS, unprompted: peer_no_socket medium",
		      &ev, RV_PEER_NO_SOCKET, RC_MEDIUM);
	ev.peer_ts = false;
	ev.peer_ip_id = 0;
	check_verdict("no TS, no IP-ID anywhere: peer_no_socket low", &ev,
		      RV_PEER_NO_SOCKET, RC_LOW);

	/* The keep-alive race: our data after the peer's FIN. */
	ev = peer_flow();
	ev.peer_fin = true;
	ev.triggered = true;
	check_verdict("after the peer's FIN, no TS, answers us: its closed "
		      "socket, medium",
		      &ev, RV_PEER_ABORT, RC_MEDIUM);
	case_begin("after the peer's FIN: the result says so");
	CHECK(decide(&ev).after_peer_fin, "after_peer_fin");
	case_end();
	ev.triggered = false;
	check_verdict("after the peer's FIN, unprompted: no socket, medium",
		      &ev, RV_PEER_NO_SOCKET, RC_MEDIUM);
	ev.triggered = true;
	ev.has_ts = true;
	ev.tsval = 100010;
	check_verdict("after the peer's FIN, TS continues: peer_abort high",
		      &ev, RV_PEER_ABORT, RC_HIGH);

	ev = peer_flow();
	ev.has_ts = true;
	ev.tsval = 100000 - 5000; /* behind the peer's clock */
	check_verdict("same hops, TS from another clock: injected", &ev,
		      RV_INJECTED, RC_MEDIUM);
	ev.tsval = 100000 + 60000; /* a minute ahead after 0.5 s idle */
	check_verdict("same hops, TS far ahead: injected", &ev, RV_INJECTED,
		      RC_MEDIUM);
}

/* A peer whose TS clock runs in µs (tcp_usec_ts) aborts after 90 s idle. */
static void test_peer_usec_clock(void)
{
	struct rst_evidence ev = peer_flow();
	struct rst_result r;

	ev.has_ts = true;
	ev.idle_rx_s = 90;
	ev.tsval = 100000 + 90000000;
	check_verdict("µs TSval, clock unknown: peer_abort medium", &ev,
		      RV_PEER_ABORT, RC_MEDIUM);
	r = decide(&ev);
	case_begin("µs TSval, clock unknown: unsure, not continues");
	CHECK(r.ts_unsure && !r.ts_continues, "unsure");
	CHECK(strstr(r.why, "microseconds"), "why: %s", r.why);
	case_end();

	ev.peer_ts_clock = RST_TS_CLOCK_USEC;
	check_verdict("µs TSval, µs clock seen: peer_abort high", &ev,
		      RV_PEER_ABORT, RC_HIGH);
	ev.peer_ts_clock = RST_TS_CLOCK_SLOW;
	check_verdict("µs TSval, 1 kHz clock seen: injected", &ev, RV_INJECTED,
		      RC_MEDIUM);
	ev.peer_ts_clock = RST_TS_CLOCK_USEC;
	ev.tsval = 100000 + 90000; /* 90 s at 1 kHz */
	check_verdict("ms TSval, µs clock seen: injected", &ev, RV_INJECTED,
		      RC_MEDIUM);
	ev.peer_ts_clock = RST_TS_CLOCK_UNKNOWN;
	ev.tsval = 100000 + 30000000; /* 30 s of µs after 90 s idle */
	check_verdict("µs TSval short of the idle time: injected", &ev,
		      RV_INJECTED, RC_MEDIUM);

	/* Two hours idle: the µs clock wrapped (every 71.6 minutes). */
	ev.idle_rx_s = 7200;
	ev.tsval = 100000 + (uint32_t)7200000000ULL;
	ev.peer_ts_clock = RST_TS_CLOCK_USEC;
	check_verdict("µs clock wrapped over 2 h idle: peer_abort high", &ev,
		      RV_PEER_ABORT, RC_HIGH);
	ev.tsval = 100000 + 7200 * 1000;
	ev.peer_ts_clock = RST_TS_CLOCK_SLOW;
	check_verdict("1 kHz clock over 2 h idle: peer_abort high", &ev,
		      RV_PEER_ABORT, RC_HIGH);

	ev = peer_flow();
	ev.has_ts = true;
	ev.peer_ts_clock = RST_TS_CLOCK_USEC;
	ev.idle_rx_s = 0.1;
	ev.tsval = 100000 - 5000;
	check_verdict("µs clock, TSval behind after 0.1 s: injected", &ev,
		      RV_INJECTED, RC_MEDIUM);
	ev.idle_rx_s = -1; /* unknown */
	ev.tsval = 100000 + 5000;
	check_verdict("µs clock, idle unknown: no continuity", &ev, RV_INJECTED,
		      RC_MEDIUM);
	ev.peer_ts_clock = RST_TS_CLOCK_UNKNOWN;
	ev.idle_rx_s = 0.05;
	check_verdict("clock not shown, small jump after 50 ms: injected", &ev,
		      RV_INJECTED, RC_MEDIUM);
	ev.peer_ts_clock = RST_TS_CLOCK_OTHER;
	ev.idle_rx_s = 90;
	ev.tsval = 100000 + 90000000;
	check_verdict("µs TSval, a clock of neither kind: injected", &ev,
		      RV_INJECTED, RC_MEDIUM);

	ev = peer_flow();
	ev.has_ts = true;
	ev.idle_rx_s = 90;
	ev.tsval = 100000 + 90000000;
	ev.ttl = 63;
	r = decide(&ev);
	case_begin("closer, µs TSval, clock unknown: middlebox, medium");
	CHECK(r.verdict == RV_MIDDLEBOX && r.conf == RC_MEDIUM && r.ts_unsure,
	      "%s %s: %s", rst_verdict_name(r.verdict),
	      rst_confidence_name(r.conf), r.why);
	case_end();
	ev.ttl = 50; /* 14 hops: farther than the peer's 2 */
	check_verdict("farther, µs TSval, clock unknown: injected medium", &ev,
		      RV_INJECTED, RC_MEDIUM);
	ev.ttl = 61; /* 1 hop farther */
	check_verdict("1 hop farther, µs TSval, clock unknown: injected low",
		      &ev, RV_INJECTED, RC_LOW);
	ev.ttl = 62;
	ev.idle_rx_s = 4295; /* 2^32 µs: the window wraps round to 0 */
	ev.tsval = 100000 - 1000;
	check_verdict("behind, where 1 MHz wraps round: injected", &ev,
		      RV_INJECTED, RC_MEDIUM);
}

/* What a peer's TS clock runs at, from two of its segments. */
static void test_ts_clock(void)
{
	case_begin("TS clocks told apart");
	CHECK_EQ(rst_ts_clock(700000, 0.7), RST_TS_CLOCK_USEC, "1 MHz");
	CHECK_EQ(rst_ts_clock(700, 0.7), RST_TS_CLOCK_SLOW, "1 kHz");
	CHECK_EQ(rst_ts_clock(7, 0.7), RST_TS_CLOCK_SLOW, "10 Hz");
	CHECK_EQ(rst_ts_clock(200000, 0.2), RST_TS_CLOCK_UNKNOWN,
		 "under 0.5 s apart");
	CHECK_EQ(rst_ts_clock((uint32_t)10800000000ULL, 10800),
		 RST_TS_CLOCK_USEC, "1 MHz over 3 h: wrapped twice");
	CHECK_EQ(rst_ts_clock(10800000, 10800), RST_TS_CLOCK_SLOW,
		 "1 kHz over 3 h");
	CHECK_EQ(rst_ts_clock(123456789, 10800), RST_TS_CLOCK_OTHER, "neither");
	CHECK_EQ(rst_ts_clock(700000, -1), RST_TS_CLOCK_UNKNOWN,
		 "no time between them");
	CHECK_EQ(rst_ts_clock(700000, 3e6), RST_TS_CLOCK_UNKNOWN,
		 "35 days: 1 MHz wrapped past telling");
	case_end();
}

static void test_middlebox(void)
{
	struct rst_evidence ev = peer_flow();
	struct rst_result r;

	ev.ttl = 63;
	ev.idle_rx_s = 90;
	check_verdict("one hop closer: middlebox", &ev, RV_MIDDLEBOX, RC_HIGH);
	r = decide(&ev);
	case_begin("middlebox hops_before_peer");
	CHECK_EQ(r.hops, 1, "hops");
	CHECK_EQ(r.hops_before_peer, 1, "hops_before_peer");
	CHECK(strstr(r.why, "unsolicited"), "unsolicited: %s", r.why);
	case_end();

	ev.tx_seen = false;
	r = decide(&ev);
	case_begin("middlebox, none of our segments seen: not unsolicited");
	CHECK(r.verdict == RV_MIDDLEBOX, "middlebox");
	CHECK(!strstr(r.why, "unsolicited") && strstr(r.why, "unknown"),
	      "why: %s", r.why);
	case_end();
	ev.tx_seen = true;

	ev.ttl = 254; /* a router starting at 255, 1 hop away */
	r = decide(&ev);
	case_begin("middlebox with its own initial TTL 255");
	CHECK_EQ(r.verdict, RV_MIDDLEBOX, "verdict");
	CHECK_EQ(r.hops_before_peer, 1, "hops_before_peer");
	case_end();

	ev = peer_flow();
	ev.ttl = 63;
	ev.peer_ttl_min = 58;
	ev.peer_ttl_max = 62;
	r = decide(&ev);
	case_begin("varying peer TTL: no hop guessed");
	CHECK_EQ(r.verdict, RV_MIDDLEBOX, "verdict");
	CHECK_EQ(r.conf, RC_LOW, "confidence");
	CHECK_EQ(r.hops_before_peer, -1, "hop not given");
	CHECK(r.ttl_inconsistent, "says the TTL is inconsistent");
	case_end();

	ev = peer_flow();
	ev.ttl = 63;
	ev.has_ts = true;
	ev.tsval = 100100;
	check_verdict("closer but TS continues: TTL rewritten, peer_abort", &ev,
		      RV_PEER_ABORT, RC_MEDIUM);

	/* No timestamps (Windows' default): the per-socket IP-ID tells. */
	ev = peer_flow();
	ev.ttl = 63;
	ev.ip_id = 4001;
	check_verdict("closer but IP-ID continues: peer_abort", &ev,
		      RV_PEER_ABORT, RC_MEDIUM);
}

/*
 * The route grew by a hop while the flow idled, then the peer aborted:
 * its RST is 1 hop farther than every packet before, and continues the
 * peer's clock or IP-ID.  Before, "injected" (high) on the TTL alone.
 */
static void test_route_one_hop_longer(void)
{
	struct rst_evidence ev = peer_flow();

	ev.ttl = 61;
	ev.has_ts = true;
	ev.tsval = 100100;
	check_verdict("1 hop farther, TS continues: peer_abort", &ev,
		      RV_PEER_ABORT, RC_MEDIUM);
	ev = peer_flow();
	ev.ttl = 61;
	ev.ip_id = 4001;
	check_verdict("1 hop farther, IP-ID continues: peer_abort", &ev,
		      RV_PEER_ABORT, RC_MEDIUM);
	ev = peer_flow();
	ev.ttl = 61;
	check_verdict("1 hop farther, no continuity: injected, low", &ev,
		      RV_INJECTED, RC_LOW);
	ev.ttl = 40;
	ev.has_ts = true;
	ev.tsval = 100100;
	check_verdict("far farther, TS continues: injected, medium", &ev,
		      RV_INJECTED, RC_MEDIUM);
	/* A copied IP-ID proves nothing against the peer's data after it. */
	ev = peer_flow();
	ev.ttl = 61;
	ev.ip_id = 4001;
	ev.data_after = 3;
	check_verdict("1 hop farther, IP-ID continues, data after: injected",
		      &ev, RV_INJECTED, RC_HIGH);
}

/*
 * The peer's packets came over two paths one hop apart (ECMP, a route
 * change): an RST at either distance is the peer's, not a forgery from
 * farther nor a middlebox 1 hop before it.  Before, only the last TTL
 * counted, so the other path's RST looked injected (high) or a middlebox.
 */
static void test_peer_ttl_range(void)
{
	struct rst_evidence ev = peer_flow();
	struct rst_result r;

	ev.peer_ttl_min = 61;
	ev.peer_ttl_last = 62;
	ev.ttl = 61;
	check_verdict("TTL of the peer's longer path: not injected", &ev,
		      RV_PEER_NO_SOCKET, RC_MEDIUM);
	ev.peer_ttl_last = 61;
	ev.ttl = 62;
	check_verdict("TTL of the peer's shorter path: not a middlebox", &ev,
		      RV_PEER_NO_SOCKET, RC_LOW);
	ev.ttl = 63;
	r = decide(&ev);
	case_begin("closer than both paths: a middlebox before the nearer");
	CHECK(r.verdict == RV_MIDDLEBOX, "verdict %s (%s)",
	      rst_verdict_name(r.verdict), r.why);
	CHECK_EQ(r.conf, RC_HIGH, "confidence");
	CHECK_EQ(r.hops_before_peer, 1, "hops_before_peer");
	CHECK_EQ(r.peer_hops, 2, "the peer's nearest distance");
	case_end();
	ev.ttl = 60;
	check_verdict("1 hop farther than both paths: injected, low", &ev,
		      RV_INJECTED, RC_LOW);
	ev.ttl = 59;
	check_verdict("2 hops farther than both paths: injected", &ev,
		      RV_INJECTED, RC_HIGH);

	/*
	 * A SYN proxy (a firewall's SYNPROXY, a scrubber) 1 hop before the
	 * server answered the handshake, the server the rest: the proxy's
	 * reject is as near as its SYN-ACK.  No continuity cannot tell it
	 * from the peer's shorter path: not a high peer_no_socket.
	 */
	ev = peer_flow();
	ev.peer_ttl_max = 63;
	ev.ttl = 63;
	ev.triggered = true;
	r = decide(&ev);
	case_begin("as near as a SYN proxy's SYN-ACK: a middlebox is not "
		   "ruled out");
	CHECK(r.conf == RC_LOW, "verdict %s, confidence %s (%s)",
	      rst_verdict_name(r.verdict), rst_confidence_name(r.conf), r.why);
	CHECK(strstr(r.why, "middlebox"), "the why names it: %s", r.why);
	case_end();

	/* TTLs of two initial values are no one path's: the last counts. */
	ev = peer_flow();
	ev.peer_ttl_max = 127;
	ev.ttl = 63;
	r = decide(&ev);
	case_begin("the peer's TTLs from 64 and 128: its last distance");
	CHECK(r.verdict == RV_MIDDLEBOX, "verdict %s (%s)",
	      rst_verdict_name(r.verdict), r.why);
	CHECK_EQ(r.conf, RC_LOW, "confidence");
	case_end();

	ev = peer_flow();
	ev.peer_ttl_min = 58;
	ev.peer_ttl_last = 62;
	ev.ttl = 60;
	ev.triggered = true;
	check_verdict("within a varied TTL: the peer's, not high", &ev,
		      RV_PEER_NO_SOCKET, RC_LOW);
	ev.ttl = 58;
	check_verdict("the farthest of a varied TTL: the peer's, medium", &ev,
		      RV_PEER_NO_SOCKET, RC_MEDIUM);
	ev.ttl = 57;
	check_verdict("beyond a varied TTL: injected, low", &ev, RV_INJECTED,
		      RC_LOW);

	/* 2 apart is no ECMP pair one hop apart: the hop is not given. */
	ev = peer_flow();
	ev.peer_ttl_min = 60;
	ev.ttl = 63;
	r = decide(&ev);
	case_begin("peer TTL 2 apart: varied, no hop guessed");
	CHECK(r.verdict == RV_MIDDLEBOX, "verdict %s (%s)",
	      rst_verdict_name(r.verdict), r.why);
	CHECK_EQ(r.conf, RC_LOW, "confidence");
	CHECK_EQ(r.hops_before_peer, -1, "hop not given");
	case_end();
}

/*
 * --locate's ACK probes for a mid-flow middlebox stop at its hop.  The
 * seed's NAT seen from the server end of a masqueraded flow: the RST
 * came from this link (0 hops) from the peer's own address, on-link,
 * while the peer's packets come from 2 hops.  A TTL-1 probe would reach
 * that address and draw two resets of its own, counted as the NAT's.
 */
static void test_mid_probe_ttl(void)
{
	case_begin("middlebox probes: up to its hop, never the peer's");
	CHECK_EQ(rst_mid_probe_ttl(1, 2, false), 2, "1 hop away: TTL 2");
	CHECK_EQ(rst_mid_probe_ttl(0, 2, false), 1, "this link, routed peer");
	CHECK_EQ(rst_mid_probe_ttl(2, 3, true), 3, "on-link is the route's");
	CHECK_EQ(rst_mid_probe_ttl(4, 3, false), 3, "at most the peer's");
	case_end();

	case_begin("middlebox probes: none to an on-link peer address");
	CHECK_EQ(rst_mid_probe_ttl(0, 2, true), 0, "the address's own device");
	case_end();
}

static void test_injected(void)
{
	struct rst_evidence ev = peer_flow();

	ev.ttl = 40;
	check_verdict("farther than the peer: injected", &ev, RV_INJECTED,
		      RC_HIGH);
	ev = peer_flow();
	ev.ttl = 63;
	ev.burst = 3;
	ev.burst_seqs = 3;
	check_verdict("seq jumps across a burst: injected", &ev, RV_INJECTED,
		      RC_HIGH);
	ev.burst_seqs = 1;
	check_verdict("a burst of the same seq is retransmission: middlebox",
		      &ev, RV_MIDDLEBOX, RC_HIGH);
	ev = peer_flow();
	ev.has_ts = true;
	ev.tsval = 100100;
	ev.data_after = 2;
	check_verdict("peer keeps sending data after: injected", &ev,
		      RV_INJECTED, RC_HIGH);
}

static void test_unknown(void)
{
	struct rst_evidence ev = { .ttl = 62, .ipv4 = true };

	check_verdict("no baseline: unknown", &ev, RV_UNKNOWN, RC_LOW);
	case_begin("unknown says why");
	CHECK(strstr(decide(&ev).why, "baseline"), "why");
	case_end();
}

static void check_drop_view(const char *reason, const char *want)
{
	char got[96];

	rst_drop_view(reason, got, sizeof(got));
	CHECK(!strcmp(got, want), "%s: got '%s', want '%s'",
	      reason ? reason : "(none)", got, want);
}

/*
 * A dropped RST's kernel view: before 5.17 kfree_skb has no reason (the
 * program passes 0, which 5.10's BTF cannot name: it read "dropped (0)").
 */
static void test_drop_view(void)
{
	case_begin("kernel view of a dropped RST, with and without a reason");
	check_drop_view(NULL, "dropped (reason unknown: kernel before 5.17)");
	check_drop_view("TCP_RESET", "challenge-ACKed (TCP_RESET)");
	check_drop_view("TCP_INVALID_SEQUENCE",
			"dropped out of window (TCP_INVALID_SEQUENCE)");
	check_drop_view("NO_SOCKET", "dropped (NO_SOCKET)");
	case_end();
}

/* Our SYN met an RST (connection refused): the peer, or a device before. */
static struct rst_evidence refused(uint8_t ttl, bool onlink)
{
	return (struct rst_evidence){
		.ttl = ttl,
		.ipv4 = true,
		.syn_sent = true,
		.refused = { .route_known = true, .peer_onlink = onlink },
	};
}

static struct rst_evidence probed(uint8_t ttl, int rst_ttl, int echo_hops)
{
	struct rst_evidence ev = refused(ttl, false);

	ev.refused.probed = true;
	ev.refused.probe_rst_ttl = rst_ttl;
	ev.refused.echo = echo_hops >= 0;
	ev.refused.echo_hops = echo_hops;
	return ev;
}

static void test_refused(void)
{
	struct rst_evidence ev = refused(64, true);
	struct rst_result r;

	check_verdict("refused on-link from 0 hops: the peer", &ev,
		      RV_PEER_NO_SOCKET, RC_HIGH);
	ev = refused(63, true);
	check_verdict("refused on-link from 1 hop: unknown", &ev, RV_UNKNOWN,
		      RC_LOW);
	ev = refused(64, false);
	check_verdict("refused from this link, peer routed: the gateway", &ev,
		      RV_MIDDLEBOX, RC_MEDIUM);
	case_begin("refused by the gateway: hop 1, distance to peer unknown");
	r = decide(&ev);
	CHECK_EQ(r.hop, 1, "hop");
	CHECK_EQ(r.hops_before_peer, -1, "hops before peer");
	case_end();
	ev = refused(62, false);
	check_verdict("refused from 2 hops, not probed: unknown", &ev,
		      RV_UNKNOWN, RC_LOW);
	case_begin("not probed: the why names --locate");
	CHECK(strstr(decide(&ev).why, "--locate"), "why: %s", decide(&ev).why);
	ev.refused.no_probe = "probe budget spent";
	CHECK(strstr(decide(&ev).why, "budget"), "why: %s", decide(&ev).why);
	case_end();
	ev = refused(62, false);
	ev.refused.route_known = false;
	ev.ttl = 64;
	check_verdict("no route known, 0 hops: unknown", &ev, RV_UNKNOWN,
		      RC_LOW);

	ev = probed(62, 3, 2);
	check_verdict("echo from the RST's distance: the peer", &ev,
		      RV_PEER_NO_SOCKET, RC_HIGH);
	ev = probed(63, 3, 2);
	check_verdict("echo from farther: a middlebox", &ev, RV_MIDDLEBOX,
		      RC_HIGH);
	case_begin("middlebox by echo: hop and hops before the peer");
	r = decide(&ev);
	CHECK_EQ(r.hop, 2, "hop");
	CHECK_EQ(r.peer_hops, 2, "peer hops");
	CHECK_EQ(r.hops_before_peer, 1, "hops before peer");
	case_end();
	ev = probed(61, 4, 2);
	check_verdict("RST from beyond the echo (DNAT?): unknown", &ev,
		      RV_UNKNOWN, RC_LOW);
	ev = probed(64, 1, 0);
	check_verdict("0 hops, routed, echo from 0 hops: the gateway is the "
		      "peer",
		      &ev, RV_PEER_NO_SOCKET, RC_HIGH);
	ev = probed(64, 2, 2);
	check_verdict("0 hops, routed, echo from farther: the gateway", &ev,
		      RV_MIDDLEBOX, RC_HIGH);
	ev = probed(63, 3, -1);
	check_verdict("reset past a hop with no time exceeded: unknown", &ev,
		      RV_UNKNOWN, RC_LOW);
	ev.refused.hop_exceeded = true;
	check_verdict("time exceeded, then reset past it: middlebox", &ev,
		      RV_MIDDLEBOX, RC_MEDIUM);
	case_begin("time exceeded, then reset: the hop that did both");
	CHECK_EQ(decide(&ev).hop, 2, "hop");
	CHECK_EQ(decide(&ev).hops_before_peer, -1, "hops before peer");
	case_end();
	ev = probed(62, 3, -1);
	check_verdict("probes end at the RST's distance, no echo: peer", &ev,
		      RV_PEER_NO_SOCKET, RC_MEDIUM);
	ev = probed(62, 0, -1);
	check_verdict("probes drew no reset: unknown", &ev, RV_UNKNOWN, RC_LOW);
	ev = probed(62, 2, -1);
	check_verdict("probes reset closer than the RST: unknown", &ev,
		      RV_UNKNOWN, RC_LOW);
}

/*
 * Probes that contradict each other: a time exceeded at or past the
 * nearest TTL an RST answered (paths of unequal length, a device that
 * resets only some SYNs).  Only the RST's hop as a bound is claimed, low.
 */
static struct rst_evidence contradicted(uint8_t ttl, int rst_ttl, int echo_hops,
					int exceeded_ttl)
{
	struct rst_evidence ev = probed(ttl, rst_ttl, echo_hops);

	ev.refused.hop_exceeded = exceeded_ttl >= rst_hops(ttl) + 1;
	ev.refused.exceeded_ttl = exceeded_ttl;
	ev.refused.exceeded_from = "198.18.1.2";
	return ev;
}

static void check_why(const char *name, const struct rst_evidence *ev,
		      const char *want)
{
	struct rst_result r = decide(ev);

	case_begin(name);
	CHECK(strstr(r.why, want), "why: %s", r.why);
	CHECK_EQ(r.hop, -1, "hop");
	case_end();
}

static void test_refused_contradicted(void)
{
	struct rst_evidence ev = contradicted(63, 2, -1, 2);

	check_verdict("hop 2 drew time exceeded and an RST: unknown", &ev,
		      RV_UNKNOWN, RC_LOW);
	check_why("time exceeded and an RST at one hop: the why says so", &ev,
		  "probes at hop 2 got both a time exceeded from 198.18.1.2 "
		  "and an RST");
	check_why("time exceeded and an RST at one hop: that hop a bound", &ev,
		  "hop 2 or closer");
	ev = contradicted(63, 2, 1, 2);
	check_verdict("both at one hop, echo as far as the RST: unknown", &ev,
		      RV_UNKNOWN, RC_LOW);
	ev = contradicted(63, 2, 2, 2);
	check_verdict("both at one hop, echo from farther: unknown", &ev,
		      RV_UNKNOWN, RC_LOW);
	ev = contradicted(63, 2, -1, 3);
	check_verdict("RST at hop 2, time exceeded at 3: unknown", &ev,
		      RV_UNKNOWN, RC_LOW);
	check_why("RST at hop 2, time exceeded at 3: the why says so", &ev,
		  "an RST at hop 2 but a time exceeded from 198.18.1.2 at "
		  "hop 3");
	ev = contradicted(62, 2, -1, 3);
	check_verdict("RST closer than the RST, time exceeded past: unknown",
		      &ev, RV_UNKNOWN, RC_LOW);
	check_why("RST closer, time exceeded past: the why names both", &ev,
		  "time exceeded from 198.18.1.2 at hop 3");
	ev = contradicted(63, 2, -1, 2);
	ev.refused.exceeded_from = "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff";
	check_why("a long IPv6 hop address: the why is not cut", &ev,
		  "or closer");
	ev = contradicted(62, 3, -1, 2);
	check_verdict("RSTs from 3 on, time exceeded up to 2: the peer", &ev,
		      RV_PEER_NO_SOCKET, RC_MEDIUM);
	ev = contradicted(63, 3, -1, 2);
	check_verdict("time exceeded at 2, RSTs from 3 on: the middlebox", &ev,
		      RV_MIDDLEBOX, RC_MEDIUM);
}

/* The Prometheus families: issue 4 naming, no address labels. */
static void test_prom(void)
{
	struct ws_buf b = { 0 };

	case_begin("prom: wirescope_ prefix, _total, no IP labels");
	ws_resets_collector.prom(NULL, &b);
	CHECK(b.data && !b.oom, "output");
	if (b.data) {
		CHECK(strstr(b.data, "# TYPE wirescope_resets_total counter"),
		      "family");
		CHECK(strstr(b.data, "wirescope_resets_total{dir=\"rx\","
				     "verdict=\"middlebox\"} 0"),
		      "series by dir and verdict");
		CHECK(!strstr(b.data, "addr"), "no address labels");
		CHECK(!strstr(b.data, "198."), "no addresses");
	}
	ws_buf_free(&b);
	case_end();
}

/* One received RST from @peer, unknown for the reason @why. */
static void record_unknown(struct ws_session *s, const char *peer,
			   const char *why)
{
	struct rst_event e = { .dir = WS_RX };
	struct rst_row r = {
		.e = &e, .idle_s = -1, .idle_rx_s = -1, .idle_tx_s = -1
	};

	r.res = rst_unmeasured(RV_UNKNOWN, RC_LOW);
	snprintf(r.res.why, sizeof(r.res.why), "%s", why);
	snprintf(r.peer, sizeof(r.peer), "%s", peer);
	rst_record(s, &r);
}

static int count_of(const char *hay, const char *needle)
{
	int n = 0;

	for (; (hay = strstr(hay, needle)); hay++)
		n++;
	return n;
}

static struct ws_findings findings;

/*
 * A refused connect that --locate was on for but did not probe (too far,
 * budget spent, stopping, probes failed): the advice says why, and never
 * tells the user to run with the --locate they ran with.
 */
static void test_refused_not_probed_advice(void)
{
	struct ws_opts o = { .json = true };
	struct ws_session s = { .o = &o };
	struct rst_event e = { .dir = WS_RX, .key.rport = 5001 };
	struct rst_row r = { .e = &e,
			     .idle_s = -1,
			     .idle_rx_s = -1,
			     .idle_tx_s = -1,
			     .refused = true,
			     .no_probe = "too far to probe" };
	char *out = NULL, *group;
	size_t len = 0;

	case_begin("refused, --locate did not probe: the advice says why");
	r.res = (struct rst_result){ .verdict = RV_UNKNOWN,
				     .hops = 14,
				     .peer_hops = -1,
				     .hops_before_peer = -1,
				     .hop = -1 };
	snprintf(r.peer, sizeof(r.peer), "198.18.9.9");
	s.out = open_memstream(&out, &len);
	CHECK(s.out, "memstream");
	if (!s.out)
		return;
	rst_record(&s, &r);
	rst_report_summary(&s);
	fclose(s.out);
	group = out ? strstr(out, "\"peer\":\"198.18.9.9\"") : NULL;
	CHECK(group && strstr(group, "--locate did not probe (too far to "
				     "probe)"),
	      "advice: %s", group ? group : "");
	CHECK(group && !strstr(group, "run with --locate"), "advice: %s",
	      group ? group : "");
	free(out);
	case_end();
}

static void test_eviction_advice(void)
{
	struct ws_opts o = { .json = true };
	struct ws_session s = { .o = &o };
	const char *evicted = "at least 937 flow baselines were evicted";
	char *out = NULL;
	size_t len = 0;

	case_begin("evictions: the advice of unknowns without a baseline only");
	s.out = open_memstream(&out, &len);
	CHECK(s.out, "memstream");
	if (!s.out)
		return;
	rst_evicted_at_least(1001, 0, 64);
	rst_evicted_at_least(1001, 0, 500); /* a lower bound never falls */
	record_unknown(&s, "198.18.0.1", "no baseline: the flow began first");
	record_unknown(&s, "198.18.0.2",
		       "evidence_tracepoint_off: tcp_send_reset is off");
	rst_report_summary(&s);
	fclose(s.out);
	CHECK(out && strstr(out, "\"flows_evicted\":937"), "summary count");
	/* No tcp_send_reset here: local verdicts are unknown, not 0. */
	CHECK(out && strstr(out, "\"local\":null,\"local_netfilter\":null"),
	      "summary verdicts: %s", out ? out : "");
	CHECK_EQ(out ? count_of(out, evicted) : 0, 1,
		 "advice naming evictions");
	CHECK(out && strstr(out, "tcp:tcp_send_reset is off"),
	      "the other unknown keeps its own advice");
	free(out);
	case_end();

	case_begin("evictions: diag's evidence of unknowns without a baseline");
	out = NULL;
	s.out = open_memstream(&out, &len);
	CHECK(s.out, "memstream");
	if (!s.out)
		return;
	resets_findings(&s, &findings);
	ws_findings_print_json(&findings, s.out);
	fclose(s.out);
	CHECK_EQ(out ? count_of(out, "\"flows_evicted\":937") : 0, 1,
		 "evidence: the no-baseline finding only");
	free(out);
	case_end();
}

/* Past 64 groups an RST is decided but not grouped: diag says so. */
static void test_groups_overflow(void)
{
	struct ws_opts o = { .json = true };
	struct ws_session s = { .o = &o };
	struct ws_findings f = { 0 };
	char peer[32], *out = NULL;
	size_t len = 0;
	int i;

	case_begin("resets past 64 groups: counted, and a finding says so");
	s.out = open_memstream(&out, &len);
	CHECK(s.out, "memstream");
	if (!s.out)
		return;
	for (i = 0; i < 70; i++) {
		snprintf(peer, sizeof(peer), "198.18.1.%d", i);
		record_unknown(&s, peer, "no baseline: the flow began first");
	}
	rst_report_summary(&s);
	resets_findings(&s, &f);
	ws_findings_print_json(&f, s.out);
	fclose(s.out);
	/* Three groups came first: test_refused_not_probed_advice's and
	 * test_eviction_advice's two. */
	CHECK(out && strstr(out, "\"events_not_grouped\":9"), "summary: %s",
	      out ? out : "");
	CHECK_EQ(out ? count_of(out, "\"id\":\"resets_not_counted\"") : 0, 1,
		 "one finding");
	CHECK_EQ(out ? count_of(out, "\"events_not_grouped\":9") : 0, 2,
		 "its evidence");
	free(out);
	case_end();
}

/* A wire RST or kernel event on one flow at @t s; @seq its seq. */
static struct rst_stored stored(int kind, int dir, double t, uint32_t seq)
{
	struct rst_stored x = { .t = t };

	x.e.kind = kind;
	x.e.dir = dir;
	x.e.seq = seq;
	x.e.key.family = 4;
	x.e.key.laddr[0] = htonl(0xc6120001);
	x.e.key.raddr[0] = htonl(0xc6120202);
	x.e.key.lport = 40000;
	x.e.key.rport = 5001;
	return x;
}

/* Two RSTs on one flow within the window: each gets its own events. */
static void test_match(void)
{
	struct rst_stored ev[] = {
		stored(RST_WIRE, WS_RX, 10.0, 100), /* refused */
		stored(RST_TP_DROP, WS_RX, 10.0001, 100),
		stored(RST_WIRE, WS_RX, 10.3, 200), /* accepted */
		stored(RST_TP_RECV, WS_RX, 10.3001, 0),
		stored(RST_TP_RECV, WS_RX, 11.0, 0), /* its wire was lost */
		stored(RST_WIRE, WS_RX, 11.2, 300),
		stored(RST_WIRE, WS_TX, 20.0, 1), /* a firewall's */
		stored(RST_WIRE, WS_TX, 20.4, 2), /* the kernel's */
		stored(RST_TP_SEND, WS_TX, 20.4001, 0),
		stored(RST_WIRE, WS_TX, 30.0, 3),	 /* before 6.10: the */
		stored(RST_TP_SEND, WS_TX, 30.00002, 0), /* event follows */
	};
	int n = sizeof(ev) / sizeof(ev[0]);

	case_begin("matching: the accepted RST keeps its own event");
	CHECK(!rst_match(ev, n, &ev[0], RST_TP_RECV, false, false),
	      "the refused RST: no receive event");
	CHECK(rst_match(ev, n, &ev[0], RST_TP_DROP, false, true) == &ev[1],
	      "the refused RST: its drop");
	CHECK(rst_match(ev, n, &ev[2], RST_TP_RECV, false, false) == &ev[3],
	      "the accepted RST: its receive event");
	case_end();

	case_begin("matching: a receive event before the RST is not its own");
	CHECK(!rst_match(ev, n, &ev[5], RST_TP_RECV, false, false),
	      "an event 200 ms before the wire RST");
	case_end();

	case_begin("matching: the kernel's send event goes to the nearest RST");
	CHECK(!rst_match(ev, n, &ev[6], RST_TP_SEND, false, false),
	      "the firewall's RST: no send event");
	CHECK(rst_match(ev, n, &ev[7], RST_TP_SEND, false, false) == &ev[8],
	      "the kernel's RST: its send event");
	CHECK(rst_match(ev, n, &ev[9], RST_TP_SEND, false, false) == &ev[10],
	      "a send event just after the wire RST");
	case_end();
}

/* A received RST on the flow whose rcv_nxt (our last ACK's ack) is 1000. */
static struct rst_stored rx_rst(double t, uint32_t seq)
{
	struct rst_stored x = stored(RST_WIRE, WS_RX, t, seq);

	x.e.has_flow = 1;
	x.e.flow.flags = RST_F_RX_SEEN | RST_F_TX_SEEN;
	x.e.flow.our_ack = 1000;
	return x;
}

/* RFC 5961: an inexact RST, our challenge ACK, then the exact one. */
static void test_burst(void)
{
	struct rst_stored rfc[] = { rx_rst(10.0, 5000), rx_rst(10.05, 1000) };
	struct rst_stored blind[] = { rx_rst(10.0, 5000), rx_rst(10.01, 70000),
				      rx_rst(10.02, 135000) };
	struct rst_evidence ev = peer_flow();
	struct rst_result r;

	case_begin("burst: the exact RST answering a challenge ACK is no jump");
	rst_burst(rfc, 2, &rfc[0], &ev.burst, &ev.burst_seqs);
	CHECK_EQ(ev.burst, 2, "both RSTs in the burst");
	CHECK_EQ(ev.burst_seqs, 1, "one seq that is not rcv_nxt");
	ev.ttl = ev.peer_ttl_last;
	rst_decide(&ev, &r);
	CHECK(r.verdict != RV_INJECTED, "not injected (%s)", r.why);
	case_end();

	case_begin("burst: blind RSTs across the window are jumps");
	rst_burst(blind, 3, &blind[1], &ev.burst, &ev.burst_seqs);
	CHECK_EQ(ev.burst, 3, "three RSTs");
	CHECK_EQ(ev.burst_seqs, 3, "three seqs");
	rst_decide(&ev, &r);
	CHECK(r.verdict == RV_INJECTED && r.conf == RC_HIGH,
	      "injected, high (%s)", r.why);
	case_end();
}

/*
 * tcp:tcp_send_reset off (--skip-tracepoint, as here where no program
 * runs): no RST can be told this host's, so diag's loc column is unknown,
 * not 0; the wire still tells the peer's and a middlebox's apart.
 */
static void test_diag_cols_local_unknown(void)
{
	struct ws_opts o = { 0 };
	struct ws_session s = { .o = &o, .out = fopen("/dev/null", "w") };
	struct ws_diag_cols c = {};

	case_begin("diag columns: local resets unknown without tcp_send_reset");
	CHECK(s.out, "/dev/null: %s", strerror(errno));
	if (s.out) {
		record_unknown(
		    &s, "198.18.0.3",
		    "evidence_tracepoint_off: tcp_send_reset is off");
		fclose(s.out);
	}
	ws_resets_collector.diag_cols(&s, 1, &c);
	CHECK(isnan(c.rst_local), "rst_local %g", c.rst_local);
	CHECK(!isnan(c.rst_peer) && !isnan(c.rst_middlebox),
	      "peer %g, middlebox %g", c.rst_peer, c.rst_middlebox);
	case_end();
}

/* The same for export: no local series, rather than a 0 nobody counted. */
static void test_prom_local_unknown(void)
{
	struct ws_buf b = { 0 };

	case_begin("prom: no local verdict series without tcp_send_reset");
	ws_resets_collector.prom(NULL, &b);
	CHECK(b.data && !b.oom, "output");
	CHECK(b.data && !strstr(b.data, "verdict=\"local"), "got:\n%s",
	      b.data ? b.data : "");
	CHECK(b.data && strstr(b.data, "verdict=\"unknown\"}"),
	      "the unknown series stays");
	ws_buf_free(&b);
	case_end();
}

int main(void)
{
	test_ttl();
	test_local();
	test_local_evidence_lost();
	test_peer();
	test_peer_usec_clock();
	test_ts_clock();
	test_middlebox();
	test_peer_ttl_range();
	test_mid_probe_ttl();
	test_injected();
	test_route_one_hop_longer();
	test_unknown();
	test_drop_view();
	test_refused();
	test_refused_contradicted();
	test_match();
	test_burst();
	test_prom();
	test_refused_not_probed_advice();
	test_eviction_advice();
	test_groups_overflow();
	test_diag_cols_local_unknown();
	test_prom_local_unknown();
	return unit_exit();
}
