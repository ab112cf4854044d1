// SPDX-License-Identifier: GPL-2.0
/*
 * diag without a network: the /proc and /sys parsers on captured text
 * (including malformed input), and each finding's thresholds on numbers,
 * so a quiet host provably raises nothing.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "unit.h"
#include "findings_util.h"
#include "collectors/sizes_collector.h"
#include "collectors/handshakes_collector.h"
#include "collectors/resets_collector.h"
#include "collectors/retrans_collector.h"
#include "collectors/sndbuf_collector.h"
#include "collectors/hoststat_collector.h"
#include "core/findings.h"
#include "collectors/hoststat_collector.h"
#include "core/procfs.h"
#include "core/netlink.h"
#include <linux/gen_stats.h>
#include <linux/netlink.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>

/* Captured on Linux 6.18: 15 columns; older kernels print 11 to 13. */
static const char softnet_a[] =
    "001f0004 00000010 00000002 00000000 00000000 00000000 00000000 "
    "00000000 00000000 00000000 00000000 00000000 00000000 00000000 "
    "00000000\n"
    "fffffff0 fffffffe 00000000 00000000 00000000 00000000 00000000 "
    "00000000 00000000 00000000 00000000 00000000 00000001 00000000 "
    "00000000\n";
static const char softnet_b[] =
    "001f1004 00000010 00000002 00000000 00000000 00000000 00000000 "
    "00000000 00000000 00000000 00000000 00000000 00000000 00000000 "
    "00000000\n"
    "00000010 00000003 00000000 00000000 00000000 00000000 00000000 "
    "00000000 00000000 00000000 00000000 00000000 00000001 00000000 "
    "00000000\n";

static const char snmp[] =
    "Ip: Forwarding DefaultTTL InReceives\n"
    "Ip: 1 64 1234\n"
    "Tcp: RtoAlgorithm RtoMin RtoMax MaxConn ActiveOpens OutSegs "
    "RetransSegs\n"
    "Tcp: 1 200 120000 -1 7 5000 123\n"
    "Udp: InDatagrams\n"
    "Udp: 9\n";

static const char route[] =
    "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU"
    "\tWindow\tIRTT\n"
    "eth1\t00000000\t010200C0\t0003\t0\t0\t200\t00000000\t0\t0\t0\n"
    "eth0\t00000000\t010200C0\t0003\t0\t0\t100\t00000000\t0\t0\t0\n"
    "eth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n";

static const char route_unreachable[] =
    "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU"
    "\tWindow\tIRTT\n"
    "*\t00000000\t00000000\t0201\t0\t0\t1\t00000000\t0\t0\t0\n"
    "eth0\t00000000\t010200C0\t0003\t0\t0\t100\t00000000\t0\t0\t0\n";

static const char route_unreachable_only[] =
    "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU"
    "\tWindow\tIRTT\n"
    "*\t00000000\t00000000\t0201\t0\t0\t1\t00000000\t0\t0\t0\n";

static const char ipv6_route[] =
    "00000000000000000000000000000001 80 00000000000000000000000000000000 00 "
    "00000000000000000000000000000000 00000000 00000002 00000000 80200001 "
    "      lo\n"
    "00000000000000000000000000000000 00 00000000000000000000000000000000 00 "
    "00000000000000000000000000000000 ffffffff 00000001 00000000 00200200 "
    "      lo\n"
    "00000000000000000000000000000000 00 00000000000000000000000000000000 00 "
    "fd000000000000000000000000000001 00000400 00000002 00000000 00000003 "
    "    ens3\n";

static void test_parse_softnet(void)
{
	struct ws_softnet a[4], b[4];
	struct ws_softnet_delta d;

	case_begin("parse_softnet and 32-bit wrap");
	CHECK_EQ(parse_softnet(softnet_a, a, 4), 2, "rows");
	CHECK_EQ(parse_softnet(softnet_b, b, 4), 2, "rows");
	CHECK_EQ(a[0].processed, 0x1f0004, "processed");
	CHECK_EQ(a[0].dropped, 16, "dropped");
	CHECK_EQ(a[0].time_squeeze, 2, "time_squeeze");
	softnet_delta(a, 2, b, 2, &d);
	/* CPU 1 wrapped: 0xfffffff0 -> 0x10 is 32 packets, 0xfffffffe -> 3 is 5
	 */
	CHECK_EQ(d.processed, 0x1000 + 32, "processed delta");
	CHECK_EQ(d.dropped, 5, "dropped delta");
	CHECK_EQ(d.worst_cpu, 1, "worst cpu");
	CHECK_EQ(parse_softnet("", a, 4), 0, "empty");
	CHECK(parse_softnet("zz 1 2\n", a, 4) < 0, "garbage accepted");
	CHECK(parse_softnet("123456789 0 0\n", a, 4) < 0, "9 hex digits");
	CHECK(parse_softnet("1 2\n", a, 4) < 0, "two columns accepted");
	CHECK_EQ(parse_softnet(softnet_a, a, 1), 1, "max rows");
	case_end();

	/* CPU 1 offline at the start, back by the end (13 columns). */
	case_begin("softnet rows matched by CPU, not by row");
	CHECK_EQ(parse_softnet("00000100 00000000 00000000 0 0 0 0 0 0 0 0 0 "
			       "00000000\n"
			       "00000100 00000010 00000000 0 0 0 0 0 0 0 0 0 "
			       "00000002\n",
			       a, 4),
		 2, "rows at the start");
	CHECK_EQ(a[1].cpu, 2, "second row is CPU 2");
	CHECK_EQ(parse_softnet("00000200 00000000 00000000 0 0 0 0 0 0 0 0 0 "
			       "00000000\n"
			       "00000005 00000000 00000000 0 0 0 0 0 0 0 0 0 "
			       "00000001\n"
			       "00000100 00000014 00000000 0 0 0 0 0 0 0 0 0 "
			       "00000002\n",
			       b, 4),
		 3, "rows at the end");
	softnet_delta(a, 2, b, 3, &d);
	CHECK_EQ(d.dropped, 4, "dropped: CPU 2's 4, no wrap");
	CHECK_EQ(d.processed, 0x100, "processed");
	CHECK_EQ(d.worst_cpu, 2, "worst cpu is CPU 2, not row 1");
	CHECK_EQ(d.cpus_unmatched, 1, "CPU 1 not compared");
	CHECK_EQ(parse_softnet("1 2 3\n4 5 6\n", a, 4), 2, "11 columns");
	CHECK_EQ(a[1].cpu, 1, "without column 13: the row");
	case_end();
}

static void test_parse_snmp(void)
{
	uint64_t v = 0;

	case_begin("parse_snmp");
	CHECK(!parse_snmp(snmp, "Tcp", "OutSegs", &v) && v == 5000, "OutSegs");
	CHECK(!parse_snmp(snmp, "Tcp", "RetransSegs", &v) && v == 123,
	      "RetransSegs");
	CHECK(!parse_snmp(snmp, "Udp", "InDatagrams", &v) && v == 9, "Udp");
	CHECK(parse_snmp(snmp, "Tcp", "MaxConn", &v) < 0, "-1 is no counter");
	CHECK(parse_snmp(snmp, "Tcp", "Nope", &v) == -ENOENT, "missing field");
	CHECK(parse_snmp(snmp, "TcpExt", "OutSegs", &v) == -ENOENT,
	      "missing proto");
	CHECK(parse_snmp("Tcp: OutSegs\n", "Tcp", "OutSegs", &v) < 0,
	      "no values line");
	CHECK(parse_snmp("Tcp: A B\nTcp: 1\n", "Tcp", "B", &v) < 0,
	      "short values line");
	CHECK(parse_snmp("Tcp: A\nTcp: 1x\n", "Tcp", "A", &v) < 0, "1x");
	case_end();
}

/*
 * A failed read or a missing counter keeps the last good value: the delta
 * neither wraps (0 - base) nor, after a first failed read, jumps by the
 * whole counter.
 */
static void test_tcp_counters_keep_last(void)
{
	static const char snmp5[] = "Tcp: OutSegs RetransSegs\n"
				    "Tcp: 5000 100\n";
	static const char snmp9[] = "Tcp: OutSegs RetransSegs\n"
				    "Tcp: 9000 130\n";
	static const char net7[] = "TcpExt: ListenOverflows ListenDrops\n"
				   "TcpExt: 70 80\n";
	static const char net9[] = "TcpExt: ListenOverflows ListenDrops\n"
				   "TcpExt: 90 95\n";
	struct ws_tcp_counters c = {};

	case_begin("tcp counters: a failed read keeps the last good value");
	parse_tcp_counters(&c, snmp5, "");
	CHECK_EQ(ws_tcp_delta(&c, WS_TCP_OUT_SEGS), 0, "first read");
	CHECK_EQ(ws_tcp_delta(&c, WS_TCP_LISTEN_OVERFLOWS), 0,
		 "netstat not read yet");
	parse_tcp_counters(&c, "", net7);
	CHECK_EQ(ws_tcp_delta(&c, WS_TCP_OUT_SEGS), 0,
		 "snmp unread: no wrap to 0 - 5000");
	CHECK_EQ(ws_tcp_delta(&c, WS_TCP_LISTEN_OVERFLOWS), 0,
		 "netstat's first good read is its base, not a jump of 70");
	parse_tcp_counters(&c, snmp9, net9);
	CHECK_EQ(ws_tcp_delta(&c, WS_TCP_OUT_SEGS), 4000, "OutSegs grew");
	CHECK_EQ(ws_tcp_delta(&c, WS_TCP_RETRANS_SEGS), 30, "RetransSegs");
	CHECK_EQ(ws_tcp_delta(&c, WS_TCP_LISTEN_OVERFLOWS), 20,
		 "ListenOverflows since its first good read");
	CHECK_EQ(ws_tcp_delta(&c, WS_TCP_LISTEN_DROPS), 15, "ListenDrops");
	parse_tcp_counters(&c, "Tcp: OutSegs\nTcp: 9500\n", net9);
	CHECK_EQ(ws_tcp_delta(&c, WS_TCP_OUT_SEGS), 4500, "OutSegs read");
	CHECK_EQ(ws_tcp_delta(&c, WS_TCP_RETRANS_SEGS), 30,
		 "RetransSegs missing: kept");
	CHECK_EQ(ws_tcp_delta(&c, WS_TCP_DSACK_SEGS), 0, "never read: 0");
	case_end();
}

/* A TCP counter a read lacked is said: its 0 delta is unknown. */
static void test_tcp_counters_unread(void)
{
	static const char net[] = "TcpExt: ListenOverflows ListenDrops\n"
				  "TcpExt: 70 80\n";
	const uint32_t listen =
	    1U << WS_TCP_LISTEN_OVERFLOWS | 1U << WS_TCP_LISTEN_DROPS;
	struct ws_tcp_counters c = {};
	struct ws_findings f = { 0 };
	const struct ws_finding *x;

	case_begin("tcp counters: one a read lacked is evidence_unread");
	parse_tcp_counters(&c, snmp, net);
	ws_tcp_counters_unread(&c, listen | 1U << WS_TCP_OUT_SEGS, &f);
	CHECK_EQ(f.n, 0, "all read: nothing said");
	parse_tcp_counters(&c, snmp, "");
	ws_tcp_counters_unread(&c, 1U << WS_TCP_OUT_SEGS, &f);
	CHECK_EQ(f.n, 0, "snmp read: nothing said");
	ws_tcp_counters_unread(&c, listen, &f);
	ws_tcp_counters_unread(&c, listen, &f); /* host and retrans */
	x = find(&f, "evidence_unread");
	CHECK(x && x->evidence_gap && x->n_ev == 2 &&
		  unknown_evidence(x, "TcpExt.ListenOverflows") &&
		  unknown_evidence(x, "TcpExt.ListenDrops"),
	      "netstat unread once: both said, once");
	case_end();
}

static void test_parse_routes(void)
{
	char name[16] = "";
	int64_t v = 0;

	case_begin("default route parsers and parse_i64");
	CHECK(!parse_route_default(route, name, sizeof(name)) &&
		  !strcmp(name, "eth0"),
	      "lowest metric: got '%s'", name);
	CHECK(parse_route_default(route, name, 4) == -ENOENT, "name too long");
	CHECK(parse_route_default("Iface\n", name, sizeof(name)) == -ENOENT,
	      "no route");
	/* ip route add unreachable default metric 1: flags UP|REJECT, "*" */
	CHECK(!parse_route_default(route_unreachable, name, sizeof(name)) &&
		  !strcmp(name, "eth0"),
	      "an unreachable default is no interface: got '%s'", name);
	CHECK(parse_route_default(route_unreachable_only, name, sizeof(name)) ==
		  -ENOENT,
	      "only an unreachable default: none");
	CHECK(!parse_ipv6_route_default(ipv6_route, name, sizeof(name)) &&
		  !strcmp(name, "ens3"),
	      "ipv6: got '%s'", name);
	CHECK(parse_ipv6_route_default("0 0 0\n", name, sizeof(name)) < 0,
	      "ipv6 garbage");
	CHECK(!parse_i64("1000\n", &v) && v == 1000, "1000");
	CHECK(!parse_i64("-1\n", &v) && v == -1, "-1");
	CHECK(parse_i64("", &v) < 0, "empty");
	CHECK(parse_i64("12abc", &v) < 0, "12abc");
	CHECK(!parse_i64("4096\t87380\t6291456\n", &v) && v == 4096,
	      "first of three");
	CHECK(!parse_i64_field("4096\t87380\t6291456\n", 2, &v) && v == 6291456,
	      "third of three");
	CHECK(parse_i64_field("4096 87380\n", 2, &v) < 0, "no third field");
	case_end();
}

static void test_softnet_finding(void)
{
	struct ws_softnet_delta d = { .secs = 10,
				      .processed = 100000,
				      .dropped = 0,
				      .time_squeeze = 3,
				      .worst_cpu = -1,
				      .netdev_max_backlog = 100,
				      .netdev_budget = 300 };
	struct ws_findings f = { 0 };
	const struct ws_finding *x;

	case_begin("softnet_drops: thresholds, advice against the sysctl");
	find_softnet(&d, &f);
	CHECK_EQ(f.n, 0, "quiet: findings");
	d.dropped = 40;
	d.worst_cpu = 1;
	d.worst_cpu_dropped = 40;
	find_softnet(&d, &f);
	x = find(&f, "softnet_drops");
	CHECK(x && x->severity == WS_SEV_WARNING, "warning");
	CHECK_EQ(evidence(x, "dropped"), 40, "dropped");
	CHECK_EQ(evidence(x, "netdev_max_backlog"), 100, "backlog");
	CHECK(x && strstr(x->advice, "netdev_max_backlog=2000") &&
		  strstr(x->advice, "below the kernel default"),
	      "advice: %s", x ? x->advice : "");
	memset(&f, 0, sizeof(f));
	d.dropped = 5000;
	d.netdev_max_backlog = -1; /* not visible in a child namespace */
	find_softnet(&d, &f);
	x = find(&f, "softnet_drops");
	CHECK(x && x->severity == WS_SEV_CRITICAL, "critical at >= 1%%");
	CHECK(x && !strstr(x->advice, "below"), "advice: %s",
	      x ? x->advice : "");
	memset(&f, 0, sizeof(f));
	d.dropped = 0;
	d.time_squeeze = 50;
	find_softnet(&d, &f);
	x = find(&f, "softnet_squeeze");
	CHECK(x && x->severity == WS_SEV_INFO && f.n == 1, "squeeze is info");
	case_end();
}

static void test_iface_and_egress(void)
{
	struct ws_iface_delta d = { .name = "eth0",
				    .secs = 10,
				    .speed_mbps = 1000 };
	struct ws_findings f = { 0 };
	const struct ws_finding *x;

	case_begin("iface_drops and egress_saturated thresholds");
	d.st[WS_IF_RX_PACKETS] = 100000;
	d.st[WS_IF_RX_DROPPED] = 9; /* LLDP and friends: normal */
	d.st[WS_IF_TX_BYTES] = 10 * 1000000000ULL / 8 / 2; /* 50% */
	find_iface_drops(&d, 0, &f);
	find_egress(&d, &f);
	CHECK_EQ(f.n, 0, "quiet: findings");
	d.st[WS_IF_RX_DROPPED] = 500;
	find_iface_drops(&d, 500, &f);
	CHECK_EQ(f.n, 0, "backlog drops belong to softnet_drops");
	d.st[WS_IF_RX_MISSED] = 200;
	find_iface_drops(&d, 500, &f);
	x = find(&f, "iface_drops");
	CHECK(x && x->severity == WS_SEV_WARNING, "warning at 0.2%%");
	CHECK(x && strstr(x->advice, "ethtool -G eth0 rx"), "ring advice");
	memset(&f, 0, sizeof(f));
	/* The seed's router: txload 250/255 and a full output queue. */
	d.st[WS_IF_TX_BYTES] = 10 * 1000000000ULL / 8 * 98 / 100;
	strcpy(d.qdisc, "pfifo_fast");
	d.q_packets = 800000;
	d.q_drops = 20000;
	d.q_qlen_max = 39;
	find_egress(&d, &f);
	x = find(&f, "egress_saturated");
	CHECK(x && x->severity == WS_SEV_CRITICAL, "critical");
	CHECK(fabs(evidence(x, "utilization_pct") - 98) < 0.01, "util");
	CHECK_EQ(evidence(x, "qdisc_drops"), 20000, "drops");
	memset(&f, 0, sizeof(f));
	d.q_drops = 0;
	find_egress(&d, &f);
	x = find(&f, "egress_saturated");
	CHECK(x && x->severity == WS_SEV_WARNING,
	      "98%% without drops: warning");
	memset(&f, 0, sizeof(f));
	d.speed_mbps = -1; /* veth, tun: no speed */
	find_egress(&d, &f);
	CHECK_EQ(f.n, 0, "unknown speed, no drops");
	d.qdisc_unread = true; /* no drops seen: not "none" */
	find_egress(&d, &f);
	x = find(&f, "evidence_unread");
	CHECK(x && x->n_ev == 1 && !strcmp(x->ev[0].key, "qdisc:eth0") &&
		  x->ev[0].unknown,
	      "a failed qdisc read is unread evidence");
	case_end();
}

/* @n packets, @sm small, spread evenly over @secs busy seconds of @run. */
static struct ws_rx_rates rx(uint64_t n, uint64_t sm, double secs, double run)
{
	return (struct ws_rx_rates){ .packets = n,
				     .small = sm,
				     .secs = run,
				     .busy_packets = n,
				     .busy_small = sm,
				     .busy_secs = secs,
				     .peak_pps = secs > 0 ? n / secs : 0 };
}

static void test_small_packets(void)
{
	struct ws_findings f = { 0 };
	const struct ws_finding *x;
	struct ws_rx_rates r;

	case_begin("small_packets thresholds");
	r = rx(50 * 10, 50 * 10, 0, 10); /* pings: no busy second */
	find_small_packets("eth0", &r, 75, &f);
	r = rx(300000, 100000, 10, 10); /* 33% */
	find_small_packets("eth0", &r, 75, &f);
	CHECK_EQ(f.n, 0, "quiet: findings");
	/* The seed: 88% under 75 B at 400 kpps. */
	r = rx(4000000, 3520000, 10, 10);
	find_small_packets("eth0", &r, 75, &f);
	x = find(&f, "small_packets");
	CHECK(x && x->severity == WS_SEV_CRITICAL, "seed is critical");
	CHECK(fabs(evidence(x, "small_pct") - 88) < 0.01, "share");
	CHECK_EQ(evidence(x, "rx_pps"), 400000, "pps");
	memset(&f, 0, sizeof(f));
	r = rx(200000, 120000, 10, 10);
	find_small_packets("eth0", &r, 75, &f);
	x = find(&f, "small_packets");
	CHECK(x && x->severity == WS_SEV_WARNING, "20 kpps, 60%%: warning");
	case_end();

	case_begin("small_packets: rates over busy seconds, not idle ones");
	/* The demo: 4 busy seconds at 50 kpps (peak 51k) in a 14 s run. */
	memset(&f, 0, sizeof(f));
	r = rx(200000, 198000, 4, 14);
	r.peak_pps = 51000;
	find_small_packets("eth0", &r, 75, &f);
	x = find(&f, "small_packets");
	CHECK(x != NULL, "found");
	CHECK_EQ(evidence(x, "rx_pps"), 50000, "busy-second rate");
	CHECK_EQ(evidence(x, "rx_pps_peak"), 51000, "peak");
	CHECK(fabs(evidence(x, "rx_pps_run") - 200000 / 14.0) < 0.01,
	      "whole-run average");
	CHECK_EQ(evidence(x, "busy_s"), 4, "busy seconds");
	CHECK(x && x->confidence > 0.85, "4 busy s: full confidence");
	CHECK(x && strstr(x->title, "busy") && strstr(x->title, "peak"),
	      "title says which rate");
	/* 8 kpps over the run but 40 kpps while busy: found. */
	memset(&f, 0, sizeof(f));
	r = rx(80000, 80000, 2, 10);
	find_small_packets("eth0", &r, 75, &f);
	x = find(&f, "small_packets");
	CHECK(x && x->confidence < 0.8, "2 busy s: lower confidence");
	case_end();
}

static void test_framework(void)
{
	struct ws_findings f = { 0 };
	struct ws_finding *x;
	char *buf = NULL;
	size_t len = 0;
	FILE *mem;
	int i;

	case_begin("findings: healthy, order, exit codes, JSON, overflow");
	ws_finding_add(&f, "softnet_squeeze", WS_SEV_INFO, 0.7, "i");
	ws_findings_finish(&f);
	CHECK_EQ(ws_findings_exit_code(&f), 0, "info only");
	CHECK(find(&f, "healthy"), "healthy added with info only");
	memset(&f, 0, sizeof(f));
	ws_finding_add(&f, "b", WS_SEV_WARNING, 0.5, "w");
	x = ws_finding_add(&f, "a", WS_SEV_CRITICAL, 0.9, "c \"q\"");
	ws_evidence_num(x, "n", 12345678901.0);
	ws_evidence_num(x, "r", 0.25);
	ws_evidence_str(x, "s", "x\"y");
	ws_advice(x, "do %s", "this");
	ws_findings_finish(&f);
	CHECK_EQ(f.n, 2, "no healthy with warnings");
	CHECK(!strcmp(f.items[0].id, "a"), "critical first");
	CHECK_EQ(ws_findings_exit_code(&f), 2, "exit code");
	mem = open_memstream(&buf, &len);
	ws_findings_print_json(&f, mem);
	fclose(mem);
	CHECK(strstr(buf, "\"id\":\"a\",\"severity\":\"critical\","
			  "\"confidence\":0.9,\"title\":\"c \\\"q\\\"\","
			  "\"evidence\":{\"n\":12345678901,\"r\":0.25,"
			  "\"s\":\"x\\\"y\"},\"advice\":\"do this\"}\n"),
	      "json: %s", buf);
	free(buf);
	memset(&f, 0, sizeof(f));
	for (i = 0; i < WS_FINDINGS_MAX + 3; i++)
		ws_evidence_num(ws_finding_add(&f, "x", WS_SEV_WARNING, 1, "x"),
				"k", i);
	CHECK(f.n == WS_FINDINGS_MAX - 1 && f.lost == 4, "overflow counted");
	/* A full table of infos: a critical finding still counts. */
	memset(&f, 0, sizeof(f));
	for (i = 0; i < WS_FINDINGS_MAX + 3; i++)
		ws_finding_add(&f, "i", WS_SEV_INFO, i == 7 ? 0.1 : 0.5, "i");
	ws_finding_add(&f, "c", WS_SEV_CRITICAL, 0.9, "c");
	ws_finding_add(&f, "i2", WS_SEV_INFO, 0.05, "i2");
	ws_findings_finish(&f);
	CHECK_EQ(ws_findings_exit_code(&f), 2, "critical kept in a full table");
	CHECK(!strcmp(f.items[0].id, "c"), "critical first");
	CHECK_EQ(f.lost, 6, "the mildest infos are the ones lost");
	for (i = 0; i < f.n; i++)
		CHECK(f.items[i].confidence >= 0.5 ||
			  !strcmp(f.items[i].id, "c"),
		      "kept %s at %.2f", f.items[i].id, f.items[i].confidence);
	/* Findings that say evidence is missing are the last to go. */
	memset(&f, 0, sizeof(f));
	ws_finding_add(&f, "gap", WS_SEV_INFO, 0.1, "gap")->evidence_gap = true;
	for (i = 0; i < WS_FINDINGS_MAX + 3; i++)
		ws_finding_add(&f, "w", WS_SEV_WARNING, 0.8, "w");
	ws_findings_finish(&f);
	for (i = 0; i < f.n && strcmp(f.items[i].id, "gap"); i++)
		;
	CHECK(i < f.n, "the gap finding kept in a full table");
	CHECK_EQ(f.lost, 5, "warnings lost instead");
	/* ... and a full table of infos still ends in healthy. */
	memset(&f, 0, sizeof(f));
	for (i = 0; i < WS_FINDINGS_MAX + 3; i++)
		ws_finding_add(&f, "i", WS_SEV_INFO, 0.5, "i");
	ws_findings_finish(&f);
	CHECK(!strcmp(f.items[0].id, "healthy"), "healthy in a full table");
	CHECK_EQ(f.n, WS_FINDINGS_MAX, "every slot used");
	case_end();
}

/* Both renderings of @f: JSON into @json, text into @text (caller frees). */
static void render(const struct ws_findings *f, char **json, char **text)
{
	size_t len;
	FILE *mem;

	mem = open_memstream(json, &len);
	ws_findings_print_json(f, mem);
	fclose(mem);
	mem = open_memstream(text, &len);
	ws_findings_print_text(f, mem, false);
	fclose(mem);
}

/*
 * A critical finding says "look now" (exit 2): a guess (the hop of a
 * middlebox unknown, confidence 0.3) is not enough for that on its own.
 */
static void test_low_confidence_not_critical(void)
{
	struct ws_findings f = { 0 };

	case_begin("findings: a low-confidence critical finding is a warning");
	ws_finding_add(&f, "middlebox_reset", WS_SEV_CRITICAL, 0.3, "guess");
	ws_findings_finish(&f);
	CHECK_EQ(ws_findings_exit_code(&f), 1, "exit code of a 0.3 critical");
	CHECK(find(&f, "middlebox_reset") &&
		  find(&f, "middlebox_reset")->severity == WS_SEV_WARNING,
	      "shown as a warning");
	memset(&f, 0, sizeof(f));
	ws_finding_add(&f, "middlebox_reset", WS_SEV_CRITICAL,
		       WS_CRITICAL_MIN_CONFIDENCE, "medium");
	ws_findings_finish(&f);
	CHECK_EQ(ws_findings_exit_code(&f), 2, "exit code at the floor");
	memset(&f, 0, sizeof(f));
	/* retrans: 0.7 for < 5000 segments, 0.2 less without its tracepoint */
	ws_finding_add(&f, "tcp_retransmits", WS_SEV_CRITICAL, 0.7 - 0.2,
		       "computed");
	ws_findings_finish(&f);
	CHECK_EQ(ws_findings_exit_code(&f), 2, "0.7 - 0.2 is the floor");
	CHECK_EQ(f.items[0].confidence, 0.5, "confidence in hundredths");
	case_end();
}

/* What was not measured is null in JSON, "unknown" in text: never 0. */
static void test_unknown_evidence_is_null(void)
{
	struct ws_iface_delta d = { .name = "tun0",
				    .secs = 10,
				    .speed_mbps = -1 };
	struct ws_softnet_delta sd = { .secs = 10,
				       .processed = 1000,
				       .dropped = 500,
				       .worst_cpu = 0,
				       .netdev_max_backlog = -1 };
	struct ws_findings f = { 0 };
	char *json = NULL, *text = NULL;

	case_begin("findings: unmeasured evidence is null, not a string");
	d.q_packets = 1000;
	d.q_drops = 100;
	find_egress(&d, &f);
	find_softnet(&sd, &f);
	CHECK_EQ(f.n, 2, "egress_saturated and softnet_drops");
	render(&f, &json, &text);
	CHECK(strstr(json, "\"link_mbps\":null,"), "json: %s", json);
	CHECK(strstr(json, "\"netdev_max_backlog\":null"), "json: %s", json);
	CHECK(!strstr(json, "\"unknown\""), "json: %s", json);
	CHECK(strstr(text, " link_mbps=unknown ") &&
		  strstr(text, " netdev_max_backlog=unknown"),
	      "text: %s", text);
	free(json);
	free(text);
	case_end();
}

/*
 * Ctrl-C after 2.4 s of the 10 s asked: "healthy" says how little it
 * watched, and is not as sure as after a whole watch.
 */
static void test_healthy_stopped_early(void)
{
	struct ws_findings f = { .watched_s = 2.4, .asked_s = 10 };
	const struct ws_finding *x;

	case_begin("findings: healthy after a watch stopped early says so");
	ws_findings_finish(&f);
	x = find(&f, "healthy");
	CHECK(x && strstr(x->title, "2.4 s watched, of the 10 s asked"),
	      "title: %s", x ? x->title : "none");
	CHECK(x && x->confidence == 0.5, "confidence %.2f",
	      x ? x->confidence : 0);
	CHECK_EQ(ws_findings_exit_code(&f), 0, "exit code");
	memset(&f, 0, sizeof(f));
	ws_findings_finish(&f);
	x = find(&f, "healthy");
	CHECK(x && x->confidence == 0.9 && !strstr(x->title, "early"),
	      "a whole watch: %s", x ? x->title : "none");
	case_end();
}

/*
 * Two listeners overflowing, the small one found first (sock_diag's
 * order): the top line is the one that overflowed most.
 */
static void test_equals_ranked_by_size(void)
{
	struct ws_findings f = { 0 };
	struct ws_finding *x;

	case_begin("findings: among equals, the biggest first");
	x = ws_finding_add(&f, "accept_overflow", WS_SEV_CRITICAL, 0.9, "3");
	x->size = 3;
	x = ws_finding_add(&f, "accept_overflow", WS_SEV_CRITICAL, 0.9,
			   "50000");
	x->size = 50000;
	ws_finding_add(&f, "syn_unanswered", WS_SEV_CRITICAL, 0.9, "705");
	ws_findings_finish(&f);
	CHECK(!strcmp(f.items[0].title, "50000"), "first: %s",
	      f.items[0].title);
	CHECK(!strcmp(f.items[1].title, "3"), "second: %s", f.items[1].title);
	case_end();
}

/* Appends an attribute at @off of @buf; returns the new offset. */
static size_t put_attr(char *buf, size_t off, uint16_t type, const void *data,
		       size_t len)
{
	struct rtattr *a = (struct rtattr *)(buf + off);

	a->rta_type = type;
	a->rta_len = RTA_LENGTH(len);
	memcpy(RTA_DATA(a), data, len);
	return off + RTA_ALIGN(a->rta_len);
}

static void test_parse_qdisc(void)
{
	char buf[512] __attribute__((aligned(4))) = { 0 };
	struct nlmsghdr *h = (struct nlmsghdr *)buf;
	struct tcmsg *t = NLMSG_DATA(h);
	struct gnet_stats_basic basic = { .bytes = 30000, .packets = 30 };
	struct gnet_stats_queue queue = {
		.qlen = 39, .backlog = 58000, .drops = 1970, .overlimits = 2028
	};
	char nest[128] __attribute__((aligned(4)));
	struct nl_qdisc_stats q;
	size_t off, n;

	case_begin("nl_parse_qdisc: TCA_KIND and TCA_STATS2, truncated input");
	t->tcm_handle = 0x80020000;
	t->tcm_parent = TC_H_ROOT;
	off = NLMSG_LENGTH(sizeof(*t));
	off = put_attr(buf, off, TCA_KIND, "tbf", 4);
	n = put_attr(nest, 0, TCA_STATS_BASIC, &basic, sizeof(basic));
	n = put_attr(nest, n, TCA_STATS_QUEUE, &queue, sizeof(queue));
	off = put_attr(buf, off, TCA_STATS2, nest, n);
	h->nlmsg_len = off;
	CHECK(!nl_parse_qdisc(h, &q), "parse");
	CHECK(!strcmp(q.kind, "tbf"), "kind '%s'", q.kind);
	CHECK_EQ(q.parent, TC_H_ROOT, "parent");
	CHECK_EQ(q.packets, 30, "packets");
	CHECK_EQ(q.bytes, 30000, "bytes");
	CHECK_EQ(q.drops, 1970, "drops");
	CHECK_EQ(q.qlen, 39, "qlen");
	CHECK_EQ(q.backlog, 58000, "backlog");
	CHECK_EQ(q.overlimits, 2028, "overlimits");
	/* Cut inside the stats: what is left is ignored, nothing overread. */
	h->nlmsg_len = off - 8;
	CHECK(!nl_parse_qdisc(h, &q) && q.drops == 0, "truncated stats");
	h->nlmsg_len = NLMSG_LENGTH(0);
	CHECK(nl_parse_qdisc(h, &q) < 0, "no tcmsg");
	case_end();
}

static void test_keepalive_advice(void)
{
	struct ws_findings f = { 0 };
	struct ws_finding *x;
	int64_t t = 0;

	case_begin("ws_advise_keepalive against an idle timeout");
	CHECK(!ws_sysctl("net.ipv4.tcp_keepalive_time", &t) && t > 0,
	      "sysctl read");
	x = ws_finding_add(&f, "middlebox_reset", WS_SEV_WARNING, 0.8, "t");
	ws_advise_keepalive(x, (double)t + 1);
	CHECK_EQ(evidence(x, "tcp_keepalive_time"), t, "evidence");
	CHECK(!x->advice[0], "keepalive below the timeout: no advice");
	ws_advise_keepalive(x, 90);
	CHECK(t < 90 || strstr(x->advice, "below 90 s"), "advice: %s",
	      x->advice);
	CHECK(t < 90 || strstr(x->advice, "tcp_keepalive_time=30`"),
	      "a third of 90 s: %s", x->advice);
	x->advice[0] = '\0';
	ws_advise_keepalive(x, 8);
	CHECK(t < 8 || strstr(x->advice, "tcp_keepalive_time=2`"),
	      "the suggestion stays below an 8 s timeout: %s", x->advice);
	case_end();
}

static void test_sndbuf_finding(void)
{
	struct ws_sndbuf_delta d = { .busy_us = 2000000, .limited_us = 300000 };
	struct ws_sndbuf_report r = { .tcp_wmem_max = 65536,
				      .wmem_max = 212992 };
	struct ws_findings f = { 0 };
	const struct ws_finding *x;

	case_begin("sysctl_wmem_max: limited time, the cap, the advice");
	CHECK(!sndbuf_limited(&d), "15%% of busy time is not limited");
	d.limited_us = 400000;
	CHECK(sndbuf_limited(&d), "20%% of busy time is limited");
	d.busy_us = 200000;
	d.limited_us = 99000;
	CHECK(!sndbuf_limited(&d), "under 100 ms is not limited");
	CHECK(sndbuf_at_cap(65536, 65536, 212992), "at tcp_wmem's cap");
	CHECK(sndbuf_at_cap(425984, 4194304, 212992), "at 2 x wmem_max");
	CHECK(!sndbuf_at_cap(32768, 65536, 212992), "below both caps");
	CHECK(!sndbuf_at_cap(1 << 20, 4194304, 212992),
	      "autotuned past 2 x wmem_max, below tcp_wmem: not at a cap");
	CHECK(!sndbuf_at_cap(32768, -1, -1), "caps unknown");
	find_sndbuf(&r, &f);
	CHECK_EQ(f.n, 0, "no sender limited: no finding");
	r.senders_limited = 2;
	r.worst = (struct ws_sndbuf_delta){ .busy_us = 2000000,
					    .limited_us = 1000000,
					    .sndbuf = 65536,
					    .rtt_us = 40000,
					    .peer = "198.18.0.2:5001" };
	find_sndbuf(&r, &f);
	x = find(&f, "sysctl_wmem_max");
	CHECK(x && x->severity == WS_SEV_WARNING, "warning");
	CHECK_EQ(evidence(x, "sndbuf_limited_ms"), 1000, "limited ms");
	CHECK_EQ(evidence(x, "ceiling_mbps"), 8.0 * 65536 / 40000,
		 "one buffer per round trip");
	CHECK(x && strstr(x->advice, "tcp_wmem='4096 16384 16777216'") &&
		  !strstr(x->advice, "SO_SNDBUF"),
	      "advice: %s", x ? x->advice : "");
	memset(&f, 0, sizeof(f));
	r.tcp_wmem_max = 4194304;
	r.worst.sndbuf = 425984;
	find_sndbuf(&r, &f);
	x = find(&f, "sysctl_wmem_max");
	CHECK(x && strstr(x->advice, "SO_SNDBUF"), "wmem_max caps SO_SNDBUF");
	memset(&f, 0, sizeof(f));
	r.wmem_max = 4 << 20;
	r.worst.sndbuf = 8 << 20;
	find_sndbuf(&r, &f);
	CHECK_EQ(f.n, 0, "a cap of 4 MiB or more is not judged");
	case_end();
}

/* 800 of 10,800 segments resent, all on the wire: 7.4% loss, traced. */
static struct ws_retrans_report retrans_report(void)
{
	return (struct ws_retrans_report){ .out_segs = 10000,
					   .kernel_resent = 800,
					   .resent = 800,
					   .events = 800,
					   .traced = true,
					   .traced_err = true };
}

static void add_peer(struct ws_retrans_report *r, const char *addr,
		     uint64_t segs)
{
	snprintf(r->peers[r->n_peers].addr, sizeof(r->peers[0].addr), "%s",
		 addr);
	r->peers[r->n_peers++].segs = segs;
}

static void test_tcp_retransmits_peers(void)
{
	struct ws_retrans_report r = retrans_report();
	struct ws_findings f = { 0 };
	const struct ws_finding *x;

	case_begin("tcp_retransmits: \"mostly toward\" only over half");
	add_peer(&r, "198.18.0.2", 700);
	find_tcp_retransmits(&r, &f);
	x = find(&f, "tcp_retransmits");
	CHECK(x && strstr(x->title, "mostly toward 198.18.0.2"), "title: %s",
	      x ? x->title : "");
	CHECK(x && fabs(x->confidence - 0.9) < 1e-9, "confidence");
	CHECK(fabs(evidence(x, "peers_pct") - 87.5) < 0.01, "peers_pct");
	/* Three peers with 30% of the resends: the rest went elsewhere. */
	memset(&f, 0, sizeof(f));
	r = retrans_report();
	add_peer(&r, "10.0.0.1", 100);
	add_peer(&r, "10.0.0.2", 80);
	add_peer(&r, "10.0.0.3", 60);
	find_tcp_retransmits(&r, &f);
	x = find(&f, "tcp_retransmits");
	CHECK(x && !strstr(x->title, "mostly") &&
		  strstr(x->title, "30% toward 10.0.0.1, 10.0.0.2, 10.0.0.3"),
	      "title: %s", x ? x->title : "");
	CHECK(x && strstr(x->advice, "spread") &&
		  !strstr(x->advice, "lost between here and"),
	      "advice: %s", x ? x->advice : "");
	/* Exactly half is not most. */
	memset(&f, 0, sizeof(f));
	r = retrans_report();
	add_peer(&r, "198.18.0.2", 400);
	find_tcp_retransmits(&r, &f);
	x = find(&f, "tcp_retransmits");
	CHECK(x && !strstr(x->title, "mostly"), "title: %s", x ? x->title : "");
	case_end();

	case_begin("tcp_retransmits: a full peer map makes the list partial");
	memset(&f, 0, sizeof(f));
	r = retrans_report();
	r.no_slot = 50;
	add_peer(&r, "198.18.0.2", 700);
	find_tcp_retransmits(&r, &f);
	x = find(&f, "tcp_retransmits");
	CHECK(x && strstr(x->title, "mostly toward 198.18.0.2") &&
		  strstr(x->title, "peer list partial"),
	      "title: %s", x ? x->title : "");
	CHECK(x && x->confidence < 0.85, "confidence %.2f",
	      x ? x->confidence : 0);
	CHECK_EQ(evidence(x, "retrans_no_slot"), 50, "retrans_no_slot");
	CHECK_EQ(evidence(x, "peer1_retrans_segs"), 700, "peer1 (evidence)");
	case_end();

	case_begin("tcp_retransmits: a failed walk of the peer map");
	memset(&f, 0, sizeof(f));
	r = retrans_report();
	r.peers_unread = true;
	find_tcp_retransmits(&r, &f);
	x = find(&f, "tcp_retransmits");
	CHECK(x && strstr(x->title, "toward unknown peers (peer list partial)"),
	      "title: %s", x ? x->title : "");
	CHECK(x && x->confidence < 0.85, "confidence %.2f",
	      x ? x->confidence : 0);
	x = find(&f, "evidence_unread");
	CHECK(x && x->n_ev == 1 && !strcmp(x->ev[0].key, "retrans_peers"),
	      "the walk unread");
	case_end();
}

/*
 * 6.17+: a resend that failed here (no route, a queue drop) fires the
 * tracepoint too, but never left: not a resend (retrans.bpf.h counts it in
 * failed only), so not path loss either, and the advice says where it is.
 */
static void test_tcp_retransmits_failed_here(void)
{
	struct ws_retrans_report r = retrans_report();
	struct ws_findings f = { 0 };
	const struct ws_finding *x;

	case_begin("tcp_retransmits: resends that failed here are apart");
	r.failed = 1000;
	add_peer(&r, "198.18.0.2", 800);
	find_tcp_retransmits(&r, &f);
	x = find(&f, "tcp_retransmits");
	CHECK(x, "no finding for 800 resends that left");
	CHECK_EQ(evidence(x, "retrans_segs"), 800, "retrans_segs");
	CHECK_EQ(evidence(x, "path_lost_segs"), 800, "path_lost_segs");
	CHECK_EQ(evidence(x, "local_failed_segs"), 1000, "local_failed_segs");
	CHECK_EQ(evidence(x, "wire_segs"), 10800, "wire_segs");
	CHECK(x && strstr(x->advice, "1000 more resends failed on this host"),
	      "advice: %s", x ? x->advice : "");
	/* Under 10% of the attempts failed here: the path's advice. */
	memset(&f, 0, sizeof(f));
	r = retrans_report();
	r.failed = 88;
	add_peer(&r, "198.18.0.2", 800);
	find_tcp_retransmits(&r, &f);
	x = find(&f, "tcp_retransmits");
	CHECK(x && strstr(x->advice, "lost between here and 198.18.0.2"),
	      "advice: %s", x ? x->advice : "");
	case_end();
}

/* Lab, 2026-12-05: `tc qdisc del` + `add` of a tbf while diag watched. */
static void test_qdisc_replaced(void)
{
	struct nl_qdisc_stats a = { .kind = "tbf",
				    .handle = 0x80240000,
				    .packets = 7,
				    .drops = 2993,
				    .overlimits = 3001 },
			      b = a;
	struct ws_iface_delta d = { .name = "q0", .secs = 4 };
	struct ws_findings f = { 0 };

	case_begin("egress_saturated: a root qdisc replaced while watching");
	b.packets = 12;
	b.drops = 3000;
	CHECK(root_qdisc_delta(&a, &b, &d), "same qdisc");
	CHECK_EQ(d.q_drops, 7, "drops");
	CHECK_EQ(d.q_packets, 5, "packets");
	b = (struct nl_qdisc_stats){ .kind = "tbf",
				     .handle = 0x80250000,
				     .packets = 5 };
	memset(&d, 0, sizeof(d));
	CHECK(!root_qdisc_delta(&a, &b, &d), "new handle: replaced");
	b.handle = a.handle; /* a default qdisc comes back as handle 0 */
	CHECK(!root_qdisc_delta(&a, &b, &d), "counters went back: replaced");
	find_egress(&d, &f);
	CHECK_EQ(f.n, 0, "no finding from a replaced qdisc");
	CHECK_EQ(d.q_drops, 0, "drops");
	case_end();
}

/*
 * The kernel's qdisc drop counter is 32 bits (gnet_stats_queue.drops): on
 * a host that has dropped for months it wraps, also during a run.  The
 * same qdisc (its 64-bit packets went on) with drops past the wrap is 32
 * drops, not a replaced qdisc with nothing to judge.
 */
static void test_qdisc_drops_wrap(void)
{
	struct nl_qdisc_stats a = { .kind = "tbf",
				    .handle = 0x80240000,
				    .packets = 1000,
				    .drops = 0xfffffff0 },
			      b = a;
	struct ws_iface_delta d = { .name = "q0", .secs = 4 };

	case_begin("egress_saturated: the qdisc's 32-bit drops wrap");
	b.packets = 2000;
	b.drops = 0x10;
	CHECK(root_qdisc_delta(&a, &b, &d), "the same qdisc");
	CHECK_EQ(d.q_drops, 32, "drops across the wrap");
	b.packets = 10; /* a new qdisc: its packets start again */
	CHECK(!root_qdisc_delta(&a, &b, &d), "packets went back: replaced");
	b.packets = 2000; /* drops back by a few, not a wrap: a reset */
	b.drops = 0xffffff00;
	CHECK(!root_qdisc_delta(&a, &b, &d), "drops went back: replaced");
	case_end();
}

/* A link that only receives corrupt frames: every one is an error. */
static void test_iface_errors_only(void)
{
	struct ws_iface_delta d = { .name = "eth1", .secs = 10 };
	struct ws_findings f = { 0 };
	const struct ws_finding *x;

	case_begin("iface_drops: errors are part of what the interface saw");
	d.st[WS_IF_RX_CRC] = 400;
	d.st[WS_IF_RX_ERRORS] = 400;
	find_iface_drops(&d, 0, &f);
	x = find(&f, "iface_drops");
	CHECK(x && x->severity == WS_SEV_CRITICAL, "no packets, 400 errors");
	CHECK(x && evidence(x, "drop_pct") <= 100, "drop_pct %.0f",
	      evidence(x, "drop_pct"));
	CHECK(x && strstr(x->advice, "cable") && !strstr(x->advice, "transmit"),
	      "advice: %s", x ? x->advice : "");
	memset(&f, 0, sizeof(f));
	d.st[WS_IF_TX_PACKETS] = 100;
	find_iface_drops(&d, 0, &f);
	x = find(&f, "iface_drops");
	CHECK(x && fabs(evidence(x, "drop_pct") - 80) < 0.01,
	      "400 errors of 500 frames: drop_pct %.1f",
	      evidence(x, "drop_pct"));
	case_end();
}

/* Debian's defaults: rmem_max 208 KiB caps SO_RCVBUF, not autotuning. */
static void test_rcvbuf(void)
{
	uint64_t t[WS_TCP_NSTATS] = { [WS_TCP_PRUNE_CALLED] = 3 };
	struct ws_findings f = { 0 };
	const struct ws_finding *x;

	case_begin("rcvbuf: rmem_max alone is no cause, tcp_rmem's max is");
	find_rcvbuf(t, 212992, 6291456, &f);
	x = find(&f, "rcvbuf_overflow");
	CHECK(x && f.n == 1, "defaults: rcvbuf_overflow, not sysctl_rmem_max");
	CHECK(x && strstr(x->advice, "at most net.core.rmem_max (212992)"),
	      "advice: %s", x ? x->advice : "");
	memset(&f, 0, sizeof(f));
	find_rcvbuf(t, 4194304, 1048576, &f);
	x = find(&f, "sysctl_rmem_max");
	CHECK(x && f.n == 1, "tcp_rmem max 1 MiB: sysctl_rmem_max");
	CHECK(x && x->confidence < 0.8 && strstr(x->advice, "SO_RCVBUF"),
	      "a pinned SO_RCVBUF is possible: %.1f %s", x ? x->confidence : 0,
	      x ? x->advice : "");
	CHECK(x && !strstr(x->advice, "at most net.core.rmem_max"),
	      "rmem_max 4 MiB is no cap: %s", x ? x->advice : "");
	case_end();
}

/* Neither sysctl could be read: unknown in the title, never -1. */
static void test_rcvbuf_unread(void)
{
	uint64_t t[WS_TCP_NSTATS] = { [WS_TCP_PRUNE_CALLED] = 3 };
	struct ws_findings f = { 0 };
	const struct ws_finding *x;

	case_begin("rcvbuf: sysctls unread are unknown, not -1");
	find_rcvbuf(t, -1, -1, &f);
	x = find(&f, "rcvbuf_overflow");
	CHECK(x && strstr(x->title, "(net.core.rmem_max = unknown, "
				    "net.ipv4.tcp_rmem max = unknown)"),
	      "title: %s", x ? x->title : "");
	CHECK(x && unknown_evidence(x, "net.core.rmem_max") &&
		  unknown_evidence(x, "tcp_rmem_max") &&
		  !strstr(x->advice, "-1"),
	      "evidence, advice: %s", x ? x->advice : "");
	CHECK(x && x->confidence < 0.8,
	      "tcp_rmem unread, the application's cap unproven: %.2f",
	      x ? x->confidence : 0);
	case_end();
}

/* A listener on 127.0.0.1:@port with @backlog; -1 on failure. */
static int listen_backlog(uint16_t port, int backlog)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_port = htons(port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd >= 0 && (bind(fd, (struct sockaddr *)&a, sizeof(a)) ||
			listen(fd, backlog))) {
		close(fd);
		return -1;
	}
	return fd;
}

/* @n connects to 127.0.0.1:@port, never accepted: past the queue, drops. */
static void connect_many(uint16_t port, int *fds, int n)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_port = htons(port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int i;

	for (i = 0; i < n; i++) {
		fds[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
		if (fds[i] >= 0)
			connect(fds[i], (struct sockaddr *)&a, sizeof(a));
	}
}

static int set_somaxconn(int v)
{
	FILE *f = fopen("/proc/sys/net/core/somaxconn", "w");

	if (!f)
		return -1;
	fprintf(f, "%d\n", v);
	return fclose(f);
}

static struct ws_session dump_s; /* holds the listener dumps below */

/* listeners_capped_at(@somaxconn) on a dump now. */
static int capped_now(int64_t somaxconn)
{
	const struct nl_listener *v;
	int n = ws_session_listeners_now(&dump_s, &v);

	return listeners_capped_at(v, n, somaxconn);
}

/* capped_now() with no file descriptor left: the dump fails (0: no test). */
static int capped_no_fds(int64_t somaxconn)
{
	struct rlimit was, now;
	int n, fd = dup(0);

	if (fd < 0 || getrlimit(RLIMIT_NOFILE, &was))
		return 0;
	now = was;
	now.rlim_cur = fd; /* the lowest free one: no socket can open */
	close(fd);
	if (setrlimit(RLIMIT_NOFILE, &now))
		return 0;
	n = capped_now(somaxconn);
	setrlimit(RLIMIT_NOFILE, &was);
	return n;
}

/* capped_now(@somaxconn) once it is @want, within 2 s. */
static int capped_within(int64_t somaxconn, int want)
{
	int i, n = -1;

	for (i = 0; i < 100 && (n = capped_now(somaxconn)) != want; i++)
		usleep(20000);
	return n;
}

/*
 * listeners_capped_at(@somaxconn) right after the start (a note of the
 * drops), until no drop comes between the two (up to 50 tries): 0 once
 * the capped listener's drops are all from before.
 */
static int capped_since_note(int64_t somaxconn)
{
	const struct nl_listener *v;
	int i, n = -1, got;

	for (i = 0; i < 50 && n; i++) {
		got = ws_session_listeners_now(&dump_s, &v);
		listeners_note_drops(v, got);
		n = capped_now(somaxconn);
		if (n)
			usleep(20000);
	}
	return n;
}

/*
 * somaxconn lowered to 4, overflows: raising it helps only a listener it
 * caps that dropped.  An idle listener it caps (Go asks for somaxconn)
 * beside one whose own backlog (2) overflows: no finding; the capped one
 * overflowing: the finding; its drops all from before the start: none.
 * In a private network namespace (somaxconn is per namespace): run last.
 */
static void test_somaxconn_caps_nobody(void)
{
	const char *name = "sysctl_somaxconn: only if it caps a listener "
			   "that dropped";
	uint64_t t[WS_TCP_NSTATS] = { [WS_TCP_LISTEN_OVERFLOWS] = 50 };
	struct ws_findings f = { 0 };
	const struct ws_finding *x;
	const struct nl_listener *v;
	int own, capped, c[24], i, n;

	if (unshare(CLONE_NEWNET) || system("ip link set lo up") ||
	    set_somaxconn(4)) {
		case_skip(name, "no private network namespace");
		return;
	}
	case_begin(name);
	own = listen_backlog(7001, 2);
	capped = listen_backlog(7002, 4096);
	CHECK(own >= 0 && capped >= 0, "listen: %s", strerror(errno));
	n = ws_session_listeners_now(&dump_s, &v);
	listeners_note_drops(v, n);
	connect_many(7001, c, 12);
	CHECK_EQ(capped_within(4, 0), 0, "capped listeners that dropped");
	find_sysctl_contradictions(t, capped_now(4), &f);
	CHECK(!find(&f, "sysctl_somaxconn"),
	      "backlog 2 overflowed, the capped listener idle");
	connect_many(7002, c + 12, 12);
	CHECK_EQ(capped_within(4, 1), 1, "capped listeners that dropped");
	find_sysctl_contradictions(t, capped_now(4), &f);
	x = find(&f, "sysctl_somaxconn");
	CHECK(x && evidence(x, "listeners_capped") == 1,
	      "backlog 4096 capped at 4 overflowed: listeners_capped %g",
	      x ? evidence(x, "listeners_capped") : -1);
	memset(&f, 0, sizeof(f));
	find_sysctl_contradictions(t, capped_no_fds(4), &f);
	x = find(&f, "sysctl_somaxconn");
	CHECK(x && unknown_evidence(x, "listeners_capped"),
	      "no listener list: the finding, listeners_capped unknown");
	ws_session_listeners_free(&dump_s);
	for (i = 0; i < 24; i++)
		if (c[i] >= 0)
			close(c[i]);
	CHECK_EQ(capped_since_note(4), 0, "drops all before the start");
	close(own);
	close(capped);
	case_end();
}

/* @key of @f's evidence_unread finding is there, and unknown. */
static bool unread(const struct ws_findings *f, const char *key)
{
	const struct ws_finding *x = find(f, "evidence_unread");

	return x && x->evidence_gap && unknown_evidence(x, key);
}

/*
 * The pure judgements: a counter that did not read is said, not 0, and
 * an iface_drops finding shows it unknown; "healthy" is then less sure.
 */
static void test_unread_said(void)
{
	struct ws_iface_delta d = { .name = "eth0", .secs = 10 };
	struct ws_softnet_delta sd = { .secs = 10 };
	struct ws_sndbuf_report r = { .tcp_wmem_max = -1, .wmem_max = -1 };
	struct ws_findings f = { 0 };
	const struct ws_finding *x;

	case_begin("unread counters: evidence_unread, never a silent 0");
	find_iface_drops(&d, 0, &f);
	find_softnet(&sd, &f);
	find_sndbuf(&r, &f);
	CHECK_EQ(f.n, 0, "all read, nothing counted: no finding");
	d.unread = 1U << WS_IF_RX_MISSED;
	find_iface_drops(&d, 0, &f);
	CHECK(unread(&f, "statistics:eth0"), "rx_missed_errors unread");
	sd.unread = true;
	find_softnet(&sd, &f);
	CHECK(unread(&f, "softnet_stat"), "softnet_stat unread");
	r.unread = true;
	find_sndbuf(&r, &f);
	CHECK(unread(&f, "sock_diag_senders"), "sock_diag dump failed");
	CHECK_EQ(f.n, 1, "one finding names them all");
	d.st[WS_IF_RX_PACKETS] = 1000;
	d.st[WS_IF_RX_DROPPED] = 100;
	find_iface_drops(&d, 0, &f);
	x = find(&f, "iface_drops");
	CHECK(x && unknown_evidence(x, "rx_missed_errors") &&
		  evidence(x, "rx_dropped") == 100,
	      "iface_drops: the unread counter unknown, the read one kept");
	memset(&f, 0, sizeof(f));
	ws_evidence_unread(&f, "softnet_stat");
	ws_findings_finish(&f);
	x = find(&f, "healthy");
	CHECK(x && x->confidence < 0.6 && strstr(x->title, "missing"),
	      "healthy is less sure: %s", x ? x->title : "none");
	case_end();
}

/* A file that reads @text, over @path (a tmpfs mounted on its dir). */
static int put_file(const char *dir, const char *name, const char *text)
{
	char path[256];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fp = fopen(path, "w");
	if (!fp)
		return -errno;
	fputs(text, fp);
	return fclose(fp) ? -errno : 0;
}

/* An empty tmpfs over @dir, in a mount namespace of our own: 0 or -1. */
static int private_tmpfs(const char *dir)
{
	if (unshare(CLONE_NEWNS) ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL))
		return -1;
	return mount("none", dir, "tmpfs", 0, NULL);
}

/*
 * The host collector on lo with its statistics/ hidden by an empty tmpfs
 * at the start, then showing 500 rx_dropped: no start value, so no delta
 * (before: 500 drops that happened before the run, critical); and hidden
 * throughout: said, not "no drops".  In a private mount namespace.
 */
static void test_host_iface_unread(void)
{
	const char *name = "host: unread interface counters are unknown";
	const char *dir = "/sys/class/net/lo/statistics";
	struct ws_opts o = {};
	struct ws_session s = { .o = &o, .elapsed = 2 };
	struct ws_findings f = { 0 };

	if (private_tmpfs(dir)) {
		case_skip(name, "no private mount namespace");
		return;
	}
	case_begin(name);
	CHECK(!ws_add_iface(&o, "lo"), "watch lo");
	CHECK(!ws_host_collector.start(&s), "start");
	CHECK(!mount("none", dir, "tmpfs", 0, NULL), "second tmpfs: %s",
	      strerror(errno));
	CHECK(!put_file(dir, "rx_packets", "500\n") &&
		  !put_file(dir, "rx_dropped", "500\n"),
	      "fake counters: %s", strerror(errno));
	CHECK(!ws_host_collector.sample(&s), "sample");
	ws_host_collector.findings(&s, &f);
	CHECK(!find(&f, "iface_drops"), "no drops from before the run");
	CHECK(unread(&f, "statistics:lo"), "the gap is said");
	umount(dir);
	umount(dir);
	memset(&f, 0, sizeof(f));
	CHECK(!mount("none", dir, "tmpfs", 0, NULL), "tmpfs: %s",
	      strerror(errno));
	CHECK(!ws_host_collector.start(&s), "start");
	CHECK(!ws_host_collector.sample(&s), "sample");
	ws_host_collector.findings(&s, &f);
	CHECK(unread(&f, "statistics:lo"), "hidden all along: said");
	umount(dir);
	ws_session_listeners_free(&s);
	case_end();
}

/*
 * A sysctl that could not be read is unknown evidence, never the 0 it was
 * initialised to (netdev_budget outside the initial network namespace).
 */
static void test_sysctl_unread(void)
{
	struct ws_softnet_delta sd = { .secs = 10,
				       .processed = 1000,
				       .time_squeeze = 50,
				       .netdev_budget = -1,
				       .netdev_budget_usecs = -1 };
	struct ws_findings f = { 0 };
	const struct ws_finding *x;

	case_begin("sysctls that did not read are unknown, not 0");
	find_softnet(&sd, &f);
	x = find(&f, "softnet_squeeze");
	CHECK(x && unknown_evidence(x, "netdev_budget") &&
		  unknown_evidence(x, "netdev_budget_usecs"),
	      "netdev_budget unknown");
	CHECK(x && !strstr(x->title, "= -1") && !strstr(x->title, "= 0"),
	      "title: %s", x ? x->title : "");
	case_end();
}

/* tcp_keepalive_time hidden (a private mount namespace): unknown, not 0. */
static void test_keepalive_unread(void)
{
	const char *name = "ws_advise_keepalive: keepalive sysctls unread";
	const char *dir = "/proc/sys/net/ipv4";
	struct ws_findings f = { 0 };
	struct ws_finding *x;

	if (private_tmpfs(dir)) {
		case_skip(name, "no private mount namespace");
		return;
	}
	case_begin(name);
	x = ws_finding_add(&f, "middlebox_reset", WS_SEV_WARNING, 0.8, "t");
	ws_advise_keepalive(x, 90);
	umount(dir);
	CHECK(unknown_evidence(x, "tcp_keepalive_time") &&
		  unknown_evidence(x, "tcp_keepalive_probes"),
	      "keepalive evidence unknown");
	CHECK(strstr(x->advice, "tcp_keepalive_time here is unknown") &&
		  strstr(x->advice, "tcp_keepalive_time=30`"),
	      "advice: %s", x->advice);
	case_end();
}

/* The sock_diag dump fails at the end (no file descriptor left). */
static void test_sndbuf_dump_fails(void)
{
	struct ws_opts o = {};
	struct ws_session s = { .o = &o };
	struct ws_findings f = { 0 };
	struct rlimit was, now;
	int fd = dup(0);

	case_begin("sysctl_wmem_max: a failed sock_diag dump is said");
	CHECK(fd >= 0 && !getrlimit(RLIMIT_NOFILE, &was), "fds");
	CHECK(!ws_sndbuf_collector.start(&s), "start");
	now = was;
	now.rlim_cur = fd; /* the lowest free one: no socket can open */
	close(fd);
	CHECK(!setrlimit(RLIMIT_NOFILE, &now), "rlimit");
	ws_sndbuf_collector.findings(&s, &f);
	setrlimit(RLIMIT_NOFILE, &was);
	ws_sndbuf_collector.stop(&s);
	CHECK(unread(&f, "sock_diag_senders"), "the dump's failure is said");
	case_end();
}

int main(void)
{
	test_tcp_retransmits_peers();
	test_tcp_retransmits_failed_here();
	test_sndbuf_finding();
	test_keepalive_advice();
	test_parse_qdisc();
	test_parse_softnet();
	test_parse_snmp();
	test_tcp_counters_keep_last();
	test_tcp_counters_unread();
	test_parse_routes();
	test_softnet_finding();
	test_iface_and_egress();
	test_qdisc_replaced();
	test_qdisc_drops_wrap();
	test_iface_errors_only();
	test_rcvbuf();
	test_rcvbuf_unread();
	test_small_packets();
	test_framework();
	test_low_confidence_not_critical();
	test_unknown_evidence_is_null();
	test_healthy_stopped_early();
	test_equals_ranked_by_size();
	test_unread_said();
	test_sndbuf_dump_fails();
	test_host_iface_unread(); /* a private mount namespace */
	test_sysctl_unread();
	test_keepalive_unread();
	test_somaxconn_caps_nobody(); /* last: a new netns */
	return unit_exit();
}
