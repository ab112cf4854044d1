// SPDX-License-Identifier: GPL-2.0
/*
 * The sizes collector's BPF programs on crafted frames, through
 * BPF_PROG_TEST_RUN: every bucket edge, frame types, malformed headers,
 * GSO on the tc side.  Counters are read back from the real maps.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "unit.h"
#include "pkt.h"
#include "core/core.h"
#include "sizes.h"
#include "collectors/sizes_collector.h"
#include "collectors/handshakes_collector.h"
#include "collectors/resets_collector.h"
#include "collectors/retrans_collector.h"
#include "collectors/sndbuf_collector.h"
#include "collectors/hoststat_collector.h"
#include "commands/diag.h"
#include "health.h"
#include "wirescope.skel.h"
#include "sizes_maps.h"

/* The kernel's attach types, which older uapi headers lack. */
#define TCX_INGRESS 46
#define TCX_EGRESS  47

static uint8_t frame[4096];

static int run_xdp(unsigned int len, int ifindex, uint32_t *retval)
{
	struct xdp_md ctx = { .data_end = len, .ingress_ifindex = ifindex };
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame,
		    .data_size_in = len, .ctx_in = &ctx,
		    .ctx_size_in = sizeof(ctx), .repeat = 1);
	int err = bpf_prog_test_run_opts(
	    bpf_program__fd(skel->progs.ws_xdp_ingress), &opts);

	*retval = opts.retval;
	return err;
}

static int run_tc(struct bpf_program *prog, unsigned int len, uint32_t segs,
		  uint32_t gso_size, uint32_t *retval)
{
	struct __sk_buff ctx = { .gso_segs = segs, .gso_size = gso_size };
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame,
		    .data_size_in = len, .ctx_in = &ctx,
		    .ctx_size_in = sizeof(ctx), .repeat = 1);
	int err = bpf_prog_test_run_opts(bpf_program__fd(prog), &opts);

	*retval = opts.retval;
	return err;
}

/* Exactly one frame of @len went into the bucket for @len. */
static void check_one_frame(const struct sizes_counters *before,
			    const struct sizes_counters *after,
			    unsigned int len)
{
	unsigned int b;

	CHECK_EQ(after->packets - before->packets, 1, "packets");
	CHECK_EQ(after->bytes - before->bytes, len, "bytes");
	CHECK_EQ(after->small - before->small, len < 128, "small");
	for (b = 0; b < WS_SIZE_NBUCKETS; b++)
		CHECK_EQ(after->bucket[b] - before->bucket[b],
			 b == expected_bucket(len), "bucket count");
}

static const unsigned int edges[] = { 60,  64,	65,   127,  128,  255,	256,
				      511, 512, 1023, 1024, 1518, 1519, 3000 };

/* Every bucket edge, through XDP (rx, IPv4 UDP) or tc egress (tx, TCP). */
static void test_edges(bool xdp)
{
	struct pkt_spec spec = { .l3 = PKT_IPV4,
				 .l4 = xdp ? PKT_UDP : PKT_TCP };
	int dir = xdp ? WS_RX : WS_TX;
	struct sizes_counters before, after;
	char name[64];
	uint32_t ret;
	unsigned int i;
	int err;

	for (i = 0; i < sizeof(edges) / sizeof(edges[0]); i++) {
		snprintf(name, sizeof(name), "%s frame of %u bytes",
			 xdp ? "xdp rx" : "tc tx", edges[i]);
		case_begin(name);
		spec.len = edges[i];
		pkt_build(frame, &spec);
		read_counters(dir, &before);
		err = xdp ? run_xdp(edges[i], LO_IFINDEX, &ret)
			  : run_tc(skel->progs.ws_tc_egress, edges[i], 0, 0,
				   &ret);
		CHECK(!err, "test run: %s", strerror(errno));
		CHECK_EQ(ret, xdp ? XDP_PASS : (uint32_t)-1, "verdict");
		read_counters(dir, &after);
		check_one_frame(&before, &after, edges[i]);
		case_end();
	}
}

static void test_frame_types(void)
{
	static const struct {
		const char *name;
		struct pkt_spec spec;
	} cases[] = {
		{ "xdp IPv4 TCP",
		  { .l3 = PKT_IPV4, .l4 = PKT_TCP, .len = 54 } },
		{ "xdp IPv6 TCP",
		  { .l3 = PKT_IPV6, .l4 = PKT_TCP, .len = 74 } },
		{ "xdp IPv6 UDP 1500",
		  { .l3 = PKT_IPV6, .l4 = PKT_UDP, .len = 1500 } },
		{ "xdp ARP", { .l3 = PKT_ARP, .len = 42 } },
		{ "xdp non-IP EtherType", { .l3 = PKT_RAW, .len = 100 } },
	};
	struct sizes_counters before, after;
	unsigned int i, len;
	uint32_t ret;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		case_begin(cases[i].name);
		len = pkt_build(frame, &cases[i].spec);
		read_counters(WS_RX, &before);
		CHECK(!run_xdp(len, LO_IFINDEX, &ret), "test run: %s",
		      strerror(errno));
		CHECK_EQ(ret, XDP_PASS, "verdict");
		read_counters(WS_RX, &after);
		check_one_frame(&before, &after, len);
		case_end();
	}
}

/*
 * A TCP frame cut at every length inside its headers still passes and
 * counts once, on XDP and on the parsing tc GSO path.  (The kernel refuses
 * XDP test inputs shorter than an Ethernet header and tc ones shorter than
 * an IPv4 header when the EtherType says IPv4; test_parse covers those.)
 */
static void test_truncated(void)
{
	struct pkt_spec spec = { .l3 = PKT_IPV4, .l4 = PKT_TCP, .len = 54 };
	struct sizes_counters before, after;
	unsigned int len;
	uint32_t ret;

	case_begin("frames truncated at every header length (14..54)");
	for (len = 14; len <= 54; len++) {
		pkt_build(frame, &spec);
		read_counters(WS_RX, &before);
		CHECK(!run_xdp(len, LO_IFINDEX, &ret), "xdp len %u: %s", len,
		      strerror(errno));
		CHECK_EQ(ret, XDP_PASS, "xdp verdict");
		read_counters(WS_RX, &after);
		check_one_frame(&before, &after, len);
		if (len < 34)
			continue;
		read_counters(WS_TX, &before);
		CHECK(!run_tc(skel->progs.ws_tc_egress, len, 2, 10, &ret),
		      "tc len %u: %s", len, strerror(errno));
		CHECK_EQ(ret, (uint32_t)-1, "tc verdict");
		read_counters(WS_TX, &after);
		CHECK_EQ(after.packets - before.packets, 2, "tc packets");
		CHECK_EQ(after.bytes - before.bytes, len, "tc bytes");
	}
	case_end();
}

/* Bad IPv4 headers on the tc GSO path, which parses: counts stay exact. */
static void test_malformed_gso(void)
{
	struct pkt_spec spec = { .l3 = PKT_IPV4, .l4 = PKT_TCP, .len = 2054 };
	struct sizes_counters before, after;
	static const struct {
		const char *name;
		uint8_t ver_ihl;
	} cases[] = {
		{ "tc GSO with IPv4 ihl < 5", 0x44 },
		{ "tc GSO with IPv4 ihl past the end", 0x4f },
	};
	unsigned int i;
	uint32_t ret;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		case_begin(cases[i].name);
		pkt_build(frame, &spec);
		frame[14] = cases[i].ver_ihl;
		read_counters(WS_TX, &before);
		/* ihl past the end: cut the frame inside the IP options. */
		unsigned int len = cases[i].ver_ihl == 0x4f ? 40 : spec.len;

		CHECK(!run_tc(skel->progs.ws_tc_egress, len, 2, 1000, &ret),
		      "test run: %s", strerror(errno));
		CHECK_EQ(ret, (uint32_t)-1, "verdict");
		read_counters(WS_TX, &after);
		CHECK_EQ(after.packets - before.packets, 2,
			 "packets = gso_segs");
		CHECK_EQ(after.bytes - before.bytes, len, "bytes");
		case_end();
	}
}

static void check_gso(const char *name, struct pkt_spec spec, unsigned int mss,
		      unsigned int segs, const uint64_t want[WS_SIZE_NBUCKETS],
		      uint64_t bytes)
{
	struct sizes_counters before, after;
	unsigned int b, len;
	uint64_t frames = 0;
	uint32_t ret;

	case_begin(name);
	for (b = 0; b < WS_SIZE_NBUCKETS; b++)
		frames += want[b];
	len = pkt_build(frame, &spec);
	read_counters(WS_TX, &before);
	CHECK(!run_tc(skel->progs.ws_tc_egress, len, segs, mss, &ret),
	      "test run: %s", strerror(errno));
	CHECK_EQ(ret, (uint32_t)-1, "verdict");
	read_counters(WS_TX, &after);
	CHECK_EQ(after.packets - before.packets, frames, "packets");
	CHECK_EQ(after.bytes - before.bytes, bytes, "wire bytes");
	for (b = 0; b < WS_SIZE_NBUCKETS; b++)
		CHECK_EQ(after.bucket[b] - before.bucket[b], want[b], "bucket");
	case_end();
}

static void test_gso(void)
{
	/* 54 B of headers + 2500 B payload, MSS 1000: 1054, 1054, 554. */
	static const uint64_t tcp4[WS_SIZE_NBUCKETS] = { 0, 0, 0, 0, 1, 2, 0 };
	/* 62 B of headers + 3000 B payload, MSS 1200: 1262, 1262, 662. */
	static const uint64_t udp6[WS_SIZE_NBUCKETS] = { 0, 0, 0, 0, 1, 2, 0 };
	/* 66 B of headers (12 B options) + 300 B, MSS 100: 3 x 166. */
	static const uint64_t small[WS_SIZE_NBUCKETS] = { 0, 0, 3, 0, 0, 0, 0 };
	/* 3000 B, no headers known, MSS 1000: 3 x 1000. */
	static const uint64_t raw[WS_SIZE_NBUCKETS] = { 0, 0, 0, 0, 3, 0, 0 };

	check_gso(
	    "tc GSO IPv4 TCP: segments by size",
	    (struct pkt_spec){ .l3 = PKT_IPV4, .l4 = PKT_TCP, .len = 2554 },
	    1000, 3, tcp4, 2 * 1054 + 554);
	check_gso(
	    "tc GSO IPv6 UDP: segments by size",
	    (struct pkt_spec){ .l3 = PKT_IPV6, .l4 = PKT_UDP, .len = 3062 },
	    1200, 3, udp6, 2 * 1262 + 662);
	check_gso(
	    "tc GSO TCP with options, exact MSS multiple",
	    (struct pkt_spec){
		.l3 = PKT_IPV4, .l4 = PKT_TCP, .tcp_opts_len = 12, .len = 366 },
	    100, 3, small, 3 * 166);
	/*
	 * GSO from an untrusted sender (tap, virtio: SKB_GSO_DODGY) has no
	 * gso_segs: the headers give the count, or else the length does,
	 * never one frame of 64 KB.
	 */
	check_gso(
	    "tc GSO without gso_segs: counted from the headers",
	    (struct pkt_spec){ .l3 = PKT_IPV4, .l4 = PKT_TCP, .len = 2554 },
	    1000, 0, tcp4, 2 * 1054 + 554);
	check_gso("tc GSO without gso_segs or headers: len / gso_size",
		  (struct pkt_spec){ .l3 = PKT_RAW, .len = 3000 }, 1000, 0, raw,
		  3000);
}

/* A frame on an interface without counters is counted as lost, not lost. */
static void test_no_slot(void)
{
	struct pkt_spec spec = { .l3 = PKT_IPV4, .l4 = PKT_UDP, .len = 100 };
	uint32_t ifindex = LO_IFINDEX, unwatched = 0;
	uint64_t before;
	uint32_t ret;

	case_begin("frame without a counter slot shows in health");
	pkt_build(frame, &spec);
	CHECK(!bpf_map_update_elem(bpf_map__fd(skel->maps.sizes_slot_of),
				   &ifindex, &unwatched, BPF_ANY),
	      "unwatch: %s", strerror(errno));
	before = health(WS_H_SIZES_NO_SLOT);
	CHECK(!run_xdp(100, LO_IFINDEX, &ret), "test run: %s", strerror(errno));
	CHECK_EQ(ret, XDP_PASS, "verdict");
	CHECK_EQ(health(WS_H_SIZES_NO_SLOT) - before, 1, "sizes_no_slot");
	case_end();
}

/*
 * Renamed, an interface keeps its series: check_iface() gives it its new
 * name, but the interface label stays the -i name the counters began under.
 */
static void test_prom_label_after_rename(void)
{
	struct pkt_spec spec = { .l3 = PKT_IPV4, .l4 = PKT_UDP, .len = 100 };
	struct ws_opts o = {};
	struct ws_session s = { .o = &o, .skel = skel, .ncpus = ncpus };
	struct ws_buf b = {};
	uint32_t ret;
	int i;

	case_begin("prom: a renamed interface keeps its -i name as label");
	CHECK(!ws_add_iface(&o, "lo"), "watch lo");
	CHECK(!ws_sizes_collector.start(&s), "start");
	pkt_build(frame, &spec);
	for (i = 0; i < 3; i++)
		CHECK(!run_xdp(spec.len, LO_IFINDEX, &ret), "test run: %s",
		      strerror(errno));
	strcpy(o.ifaces[0].name, "rvp-renamed");
	CHECK(!ws_sizes_collector.sample(&s), "sample");
	ws_sizes_collector.prom(&s, &b);
	CHECK(!b.oom, "out of memory");
	CHECK(strstr(b.data, "\nwirescope_receive_packets_total"
			     "{interface=\"lo\"} 3\n"),
	      "got:\n%s", b.data);
	CHECK(!strstr(b.data, "rvp-renamed"), "label follows the new name");
	ws_buf_free(&b);
	case_end();
}

/*
 * The health counters of collectors that do not run count nothing: only
 * sizes' is exported here, never a "0 lost" for handshakes or resets.
 */
static void test_prom_health_own_counters(void)
{
	struct ws_opts o = {};
	struct ws_session s = { .o = &o, .skel = skel, .ncpus = ncpus };
	struct ws_buf b = {};

	case_begin(
	    "prom: wirescope_lost_total has the running collectors' only");
	CHECK(!ws_add_iface(&o, "lo"), "watch lo");
	CHECK(!ws_health_collector.start(&s), "start");
	ws_health_collector.prom(&s, &b);
	CHECK(!b.oom, "out of memory");
	CHECK(strstr(b.data, "{counter=\"sizes_no_slot\"}"), "got:\n%s",
	      b.data);
	CHECK(!strstr(b.data, "hs_no_flow") &&
		  !strstr(b.data, "accept_ports_full") &&
		  !strstr(b.data, "resets_rate_limited") &&
		  !strstr(b.data, "retrans_no_slot"),
	      "counters of collectors that do not run:\n%s", b.data);
	ws_buf_free(&b);
	case_end();
}

/* An SCHED_CLS program that ends the chain: return TC_ACT_OK (TCX_PASS). */
static int foreign_tc_pass(void)
{
	static const struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};

	return bpf_prog_load(BPF_PROG_TYPE_SCHED_CLS, "foreign", "GPL", insns,
			     2, NULL);
}

/*
 * One UDP datagram from lo to a socket of ours on lo: one frame out, one
 * in.  Its receipt says both hooks have run.
 */
static int send_lo_udp(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct timeval tv = { .tv_sec = 5 };
	socklen_t alen = sizeof(a);
	int rx = socket(AF_INET, SOCK_DGRAM, 0);
	int tx = socket(AF_INET, SOCK_DGRAM, 0);
	int err = -EIO;
	char c;

	if (rx >= 0 && tx >= 0 && !bind(rx, (struct sockaddr *)&a, alen) &&
	    !getsockname(rx, (struct sockaddr *)&a, &alen) &&
	    !setsockopt(rx, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) &&
	    sendto(tx, "x", 1, 0, (struct sockaddr *)&a, alen) == 1 &&
	    recv(rx, &c, 1, 0) == 1)
		err = 0;
	if (rx >= 0)
		close(rx);
	if (tx >= 0)
		close(tx);
	return err;
}

/*
 * A program attached to tcx before us that ends the chain (Cilium returns
 * TC_ACT_OK) must not hide the traffic from us: ours runs first and lets
 * the chain go on.  In a private network namespace, on its lo.
 */
static void test_tcx_first_in_chain(void)
{
	const char *name = "tcx: counts despite a chain-ending program before";
	struct ws_opts o = {};
	struct sizes_counters rx0, tx0, rx1, tx1;
	int prog, in = -1, out = -1, err;

	if (unshare(CLONE_NEWNET) || system("ip link set lo up")) {
		case_skip(name, "no private network namespace");
		return;
	}
	prog = foreign_tc_pass();
	if (prog >= 0) {
		in = bpf_link_create(prog, LO_IFINDEX, TCX_INGRESS, NULL);
		out = bpf_link_create(prog, LO_IFINDEX, TCX_EGRESS, NULL);
	}
	if (in < 0 || out < 0) {
		case_skip(name, "no tcx in this kernel");
		goto out;
	}
	case_begin(name);
	CHECK(!ws_add_iface(&o, "lo"), "watch lo");
	err = ws_hook_attach(&o.ifaces[0], skel, WS_MODE_AUTO);
	CHECK(!err, "attach: %s", strerror(-err));
	CHECK_EQ(o.ifaces[0].hook.rx_mode, WS_HOOK_TCX, "ingress on tcx");
	read_counters(WS_RX, &rx0);
	read_counters(WS_TX, &tx0);
	err = send_lo_udp();
	CHECK(!err, "send: %s", strerror(-err));
	read_counters(WS_RX, &rx1);
	read_counters(WS_TX, &tx1);
	CHECK_EQ(tx1.packets - tx0.packets, 1, "tx packets");
	CHECK_EQ(rx1.packets - rx0.packets, 1, "rx packets");
	ws_hook_detach(&o.ifaces[0]);
	case_end();
out:
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	if (prog >= 0)
		close(prog);
}

/*
 * Deleted (check_iface() marks it gone and says so), an interface is no
 * longer watched: its interval rows stop, rather than read 0 packets.
 */
static void test_gone_iface_no_rows(void)
{
	struct ws_opts o = { .json = true };
	struct ws_session s = { .o = &o, .skel = skel, .ncpus = ncpus };
	char *out = NULL, *p;
	size_t len = 0;
	int rows = 0;

	case_begin("interval: a gone interface has no rows, not 0 packets");
	CHECK(!ws_add_iface(&o, "lo"), "watch lo");
	CHECK(!ws_sizes_collector.start(&s), "start");
	s.out = open_memstream(&out, &len);
	CHECK(s.out, "memstream: %s", strerror(errno));
	if (s.out) {
		ws_sizes_collector.interval(&s, 1);
		o.ifaces[0].gone = true;
		ws_sizes_collector.interval(&s, 1);
		fclose(s.out);
	}
	/* rx and tx of the first interval only */
	for (p = out; p && (p = strstr(p, "\"type\":\"interval\"")); p++)
		rows++;
	CHECK_EQ(rows, 2, "interval rows");
	free(out);
	case_end();
}

/* What @c's interval (or, @summary, its summary) prints, to be freed. */
static char *printed(struct ws_session *s, const struct ws_collector *c,
		     bool summary)
{
	char *out = NULL;
	size_t len = 0;

	s->out = open_memstream(&out, &len);
	if (!s->out)
		return NULL;
	if (summary)
		c->summary(s);
	else
		c->interval(s, 1);
	fclose(s->out);
	return out;
}

/*
 * An interval without a frame has no small-packet share: "-" and null,
 * not a 0.0% that reads as "none were small"; with frames, the share.
 */
static void test_no_frames_no_share(void)
{
	struct pkt_spec spec = { .l3 = PKT_IPV4, .l4 = PKT_UDP, .len = 60 };
	struct ws_opts o = { .json = true, .small = 75 };
	struct ws_session s = { .o = &o, .skel = skel, .ncpus = ncpus };
	char *sz, *dg;
	uint32_t ret;

	case_begin("small_pct: no frames, no share (sizes and diag)");
	CHECK(!ws_add_iface(&o, "lo"), "watch lo");
	CHECK(!ws_sizes_collector.start(&s), "start");
	CHECK(!ws_diag_collector.start(&s), "diag start");
	sz = printed(&s, &ws_sizes_collector, false);
	dg = printed(&s, &ws_diag_collector, false);
	CHECK(sz && strstr(sz, "\"packets\":0,") &&
		  strstr(sz, "\"small_pct\":null") &&
		  !strstr(sz, "\"small_pct\":0"),
	      "sizes JSON: %s", sz);
	CHECK(dg && strstr(dg, "\"pps_in\":0,") &&
		  strstr(dg, "\"small_pct\":null,"),
	      "diag JSON: %s", dg);
	free(sz);
	free(dg);
	o.json = false;
	sz = printed(&s, &ws_sizes_collector, false);
	dg = printed(&s, &ws_diag_collector, false);
	CHECK(sz && strstr(sz, "lo       rx      0      0      -      0") &&
		  !strstr(sz, "0.0%"),
	      "sizes text: %s", sz);
	CHECK(dg && strstr(dg, "\n   1       0       0      -      -") &&
		  !strstr(dg, "0.0%"),
	      "diag text: %s", dg);
	free(sz);
	free(dg);
	pkt_build(frame, &spec);
	CHECK(!run_xdp(spec.len, LO_IFINDEX, &ret), "test run: %s",
	      strerror(errno));
	CHECK(!ws_sizes_collector.sample(&s), "sample");
	o.json = true;
	dg = printed(&s, &ws_diag_collector, false);
	CHECK(dg && strstr(dg, "\"small_pct\":100,"), "diag JSON: %s", dg);
	free(dg);
	o.json = false;
	sz = printed(&s, &ws_sizes_collector, true);
	CHECK(sz && strstr(sz, " 100.0% <=64=1") &&
		  strstr(sz, "       - <=64=0"),
	      "sizes summary: rx 100%%, tx none: %s", sz);
	free(sz);
	case_end();
}

int main(void)
{
	ncpus = libbpf_num_possible_cpus();
	skel = wirescope_bpf__open();
	if (!skel) {
		printf("not ok - open skeleton: %s\n", strerror(errno));
		return 1;
	}
	skel->rodata->sizes_enabled = true;
	if (wirescope_bpf__load(skel)) {
		printf("not ok - load skeleton: %s\n", strerror(errno));
		return 1;
	}
	if (sizes_set_slot(skel, LO_IFINDEX, 0)) {
		printf("not ok - watch lo: %s\n", strerror(errno));
		return 1;
	}
	test_edges(true);
	test_edges(false);
	test_frame_types();
	test_truncated();
	test_malformed_gso();
	test_gso();
	test_no_slot();
	test_prom_label_after_rename();
	test_prom_health_own_counters();
	test_gone_iface_no_rows();
	test_no_frames_no_share();
	test_tcx_first_in_chain(); /* last: leaves the netns */
	wirescope_bpf__destroy(skel);
	return unit_exit();
}
