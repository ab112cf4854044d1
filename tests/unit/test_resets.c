// SPDX-License-Identifier: GPL-2.0
/*
 * The reset collector's BPF code on crafted frames through
 * BPF_PROG_TEST_RUN: the flow baseline (insert on a SYN or data, in-place
 * updates, our sends on tc), the presence filter in front of it and its
 * rebuild, RST events in the ring buffer (IPv4, IPv6,
 * options, malformed), lo handling, the rate limit, closed flows
 * leaving the table, a refused SYN's at once, and a new connection on an
 * ended flow's tuple.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <string.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "unit.h"
#include "pkt.h"
#include "core/core.h"
#include "core/procfs.h"
#include "resets.h"
#include "collectors/resets_collector.h"
#include "collectors/resets_int.h"
#include "findings_util.h"
#include "health.h"
#include "parse.h"
#include "wirescope.skel.h"

#define IFINDEX 1	   /* test runs happen on lo */
#define US	0xc6120001 /* 198.18.0.1 */
#define PEER	0xc6120002 /* 198.18.0.2 */
#define LPORT	40000
#define RPORT	5001
#define MAXEV	32

static struct wirescope_bpf *skel;
static struct ring_buffer *rb;
static int ncpus;
static uint8_t frame[2048];
static struct rst_event evs[MAXEV];
static int nev;
static uint64_t reap_after; /* resets_reap_after of the next setup() */
static uint32_t gate_segs;  /* resets_gate_segs of the next setup() */

static int on_event(void *ctx, void *data, size_t len)
{
	if (nev < MAXEV && len >= sizeof(struct rst_event))
		memcpy(&evs[nev++], data, sizeof(struct rst_event));
	return 0;
}

/* Fresh skeleton: resets on; @lo_ifindex 0 makes the test device ordinary. */
static int setup(uint32_t lo_ifindex, uint64_t rate)
{
	struct bpf_program *p;

	ring_buffer__free(rb);
	wirescope_bpf__destroy(skel);
	skel = wirescope_bpf__open();
	if (!skel)
		return -1;
	skel->rodata->resets_enabled = true;
	skel->rodata->resets_lo_ifindex = lo_ifindex;
	skel->rodata->resets_rate = rate;
	skel->rodata->resets_burst = rate / 2 ? rate / 2 : 1;
	skel->rodata->resets_tick_ns = ws_kernel_tick_ns();
	skel->rodata->resets_reap_after = reap_after;
	skel->rodata->resets_gate_segs = gate_segs;
	bpf_object__for_each_program(p, skel->obj)
	    bpf_program__set_autoload(p, p == skel->progs.ws_xdp_ingress ||
					     p == skel->progs.ws_tc_egress);
	if (wirescope_bpf__load(skel))
		return -1;
	rb = ring_buffer__new(bpf_map__fd(skel->maps.rst_events), on_event,
			      NULL, NULL);
	return rb ? 0 : -1;
}

static void run(struct bpf_program *prog, unsigned int len)
{
	struct xdp_md xctx = { .data_end = len, .ingress_ifindex = IFINDEX };
	struct __sk_buff sctx = {};
	bool xdp = prog == skel->progs.ws_xdp_ingress;
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame,
		    .data_size_in = len, .repeat = 1);

	opts.ctx_in = xdp ? (void *)&xctx : (void *)&sctx;
	opts.ctx_size_in = xdp ? sizeof(xctx) : sizeof(sctx);
	CHECK(!bpf_prog_test_run_opts(bpf_program__fd(prog), &opts),
	      "test run: %s", strerror(errno));
	nev = 0;
	ring_buffer__consume(rb);
}

/* An IPv4 TCP frame; @ts adds NOP NOP TS(@ts, 0); @payload bytes after. */
static unsigned int tcp4(bool from_peer, uint8_t flags, uint8_t ttl,
			 uint16_t ip_id, uint32_t seq, uint32_t ack,
			 uint32_t ts, unsigned int payload)
{
	struct pkt_spec s = { .l3 = PKT_IPV4,
			      .l4 = PKT_TCP,
			      .ttl = ttl,
			      .tcp_flags = flags,
			      .seq = seq,
			      .ack = ack,
			      .ip_id = ip_id,
			      .tcp_opts_len = ts ? 12 : 0 };

	s.saddr4 = from_peer ? PEER : US;
	s.daddr4 = from_peer ? US : PEER;
	s.sport = from_peer ? RPORT : LPORT;
	s.dport = from_peer ? LPORT : RPORT;
	s.len = pkt_hdr_len(&s) + payload;
	pkt_build(frame, &s);
	if (ts) {
		uint8_t *o = frame + 54;

		o[2] = 8;
		o[3] = 10;
		put32(o + 4, ts);
		put32(o + 8, 0);
	}
	return s.len;
}

static struct rst_flow_key key4(void)
{
	struct rst_flow_key k = { .lport = LPORT, .rport = RPORT, .family = 4 };

	k.laddr[0] = htonl(US);
	k.raddr[0] = htonl(PEER);
	return k;
}

static bool get_flow(const struct rst_flow_key *k, struct rst_flow *f)
{
	return !bpf_map_lookup_elem(bpf_map__fd(skel->maps.rst_flows), k, f);
}

#include "skel_health.h"

static void test_baseline(void)
{
	struct rst_flow_key k = key4();
	struct rst_flow f, f0;
	struct bpf_program *xdp = skel->progs.ws_xdp_ingress;
	struct bpf_program *tc = skel->progs.ws_tc_egress;

	case_begin("a bare ACK of an unseen flow inserts nothing");
	run(xdp, tcp4(true, WS_TCP_ACK, 62, 776, 9000, 1, 990, 0));
	CHECK(!get_flow(&k, &f), "no flow");
	run(tc, tcp4(false, WS_TCP_ACK, 64, 1, 500, 9000, 0, 0));
	CHECK(!get_flow(&k, &f), "no flow (tc)");
	case_end();

	case_begin("IPv4 SYN-ACK from the peer inserts a baseline");
	run(xdp,
	    tcp4(true, WS_TCP_SYN | WS_TCP_ACK, 62, 777, 9000, 1, 1000, 0));
	CHECK(get_flow(&k, &f0), "flow present");
	CHECK_EQ(f0.flags, RST_F_RX_SEEN | RST_F_SYN | RST_F_PEER_TS, "flags");
	CHECK_EQ(f0.ttl_min, 62, "ttl_min");
	CHECK_EQ(f0.ttl_max, 62, "ttl_max");
	CHECK_EQ(f0.ttl_last, 62, "ttl_last");
	CHECK_EQ(f0.peer_ip_id, 777, "ip_id");
	CHECK_EQ(f0.peer_tsval, 1000, "tsval");
	CHECK_EQ(f0.peer_tsval_first, 0, "a SYN's TSval is not the first");
	CHECK_EQ(f0.rx_pkts, 1, "rx_pkts");
	CHECK_EQ(nev, 0, "no event for a non-RST");
	case_end();

	case_begin("the next peer segment updates it in place");
	run(xdp, tcp4(true, WS_TCP_ACK, 61, 778, 9001, 1, 1010, 20));
	CHECK(get_flow(&k, &f), "flow present");
	CHECK_EQ(f.first_ns, f0.first_ns, "same entry");
	CHECK_EQ(f.ttl_min, 61, "ttl_min");
	CHECK_EQ(f.ttl_max, 62, "ttl_max");
	CHECK_EQ(f.ttl_last, 61, "ttl_last");
	CHECK_EQ(f.peer_ip_id, 778, "ip_id");
	CHECK_EQ(f.peer_tsval, 1010, "tsval");
	CHECK_EQ(f.peer_tsval_first, 1010, "the first TSval after the SYN");
	CHECK(f.flags & RST_F_TS_FIRST, "first TSval taken");
	CHECK(f.peer_ts_first_ms < 1000, "its time, ms after the flow's first");
	CHECK_EQ(f.rx_pkts, 2, "rx_pkts");
	CHECK(f.last_rx_ns >= f0.last_rx_ns, "last_rx_ns");
	case_end();

	case_begin("tc egress records our send: ack, next seq, data");
	run(tc, tcp4(false, WS_TCP_ACK | WS_TCP_PSH, 64, 1, 500, 9021, 0, 100));
	CHECK(get_flow(&k, &f), "flow present");
	CHECK_EQ(f.our_ack, 9021, "our_ack");
	CHECK_EQ(f.our_snd_nxt, 600, "our_snd_nxt");
	CHECK_EQ(f.tx_pkts, 1, "tx_pkts");
	CHECK_EQ(f.last_tx_kind, RST_TX_DATA, "last_tx_kind");
	CHECK(f.flags & RST_F_TX_SEEN, "tx seen");
	CHECK_EQ(f.rx_pkts, 2, "rx_pkts unchanged");
	case_end();

	case_begin("a keepalive probe is told from a pure ACK");
	run(tc, tcp4(false, WS_TCP_ACK, 64, 1, 599, 9021, 0, 0));
	CHECK(get_flow(&k, &f), "flow present");
	CHECK_EQ(f.last_tx_kind, RST_TX_PROBE, "probe");
	CHECK_EQ(f.our_snd_nxt, 600, "snd_nxt kept");
	run(tc, tcp4(false, WS_TCP_ACK, 64, 1, 600, 9021, 0, 0));
	CHECK(get_flow(&k, &f), "flow present");
	CHECK_EQ(f.last_tx_kind, RST_TX_ACK, "pure ack");
	CHECK_EQ(f.tx_pkts, 3, "tx_pkts");
	case_end();
}

static struct rst_present present;

static bool marked(int half, const struct rst_flow_key *k)
{
	return present.slots[rst_present_slot(k)] & (1 << half);
}

static uint32_t count_marks(int half)
{
	uint32_t i, n = 0;

	for (i = 0; i < RST_PRESENT_SLOTS; i++)
		n += (present.slots[i] >> half) & 1;
	return n;
}

static uint32_t count_flows(void)
{
	int fd = bpf_map__fd(skel->maps.rst_flows);
	struct rst_flow_key k, *prev = NULL;
	uint32_t n = 0;

	while (!bpf_map_get_next_key(fd, prev, &k)) {
		n++;
		prev = &k;
	}
	return n;
}

/* A peer ACK with @payload bytes; the flow's rx_pkts after it, 0 if none. */
static uint32_t peer_ack_rx_pkts(uint16_t ip_id, unsigned int payload)
{
	struct rst_flow_key k = key4();
	struct rst_flow f;

	run(skel->progs.ws_xdp_ingress,
	    tcp4(true, WS_TCP_ACK, 61, ip_id, 9001, 1, 0, payload));
	return get_flow(&k, &f) ? f.rx_pkts : 0;
}

/* Runs after test_baseline: the flow of key4() is in the table. */
static void test_presence_filter(void)
{
	struct rst_flow_key k = key4();
	struct rst_flow f0;
	uint32_t half;

	case_begin("an insert marks the flow's slot in both halves");
	CHECK_EQ(resets_present_open(&present, skel), 0, "filter mapped");
	CHECK(get_flow(&k, &f0), "flow present");
	CHECK(marked(0, &k) && marked(1, &k), "both marked");
	case_end();

	case_begin("an unmarked slot: a bare ACK skips the table, data not");
	memset(present.slots, 0, RST_PRESENT_SLOTS);
	CHECK_EQ(peer_ack_rx_pkts(800, 0), f0.rx_pkts, "bare ACK not counted");
	CHECK_EQ(peer_ack_rx_pkts(801, 20), f0.rx_pkts + 1, "data counted");
	case_end();

	case_begin("a rebuild marks the table's flows and swaps halves");
	half = skel->bss->rst_present_half;
	CHECK_EQ(resets_present_rebuild(&present), (int)count_flows(),
		 "rebuilt, walking every flow");
	CHECK_EQ(skel->bss->rst_present_half, !half, "swapped");
	CHECK(marked(!half, &k), "marked by user space's hash");
	CHECK_EQ(peer_ack_rx_pkts(802, 0), f0.rx_pkts + 2,
		 "bare ACK counted again");
	case_end();

	case_begin("stale marks pile up, and a refresh drops them");
	half = skel->bss->rst_present_half;
	memset(present.slots, 1 << half, RST_PRESENT_SLOTS / 4);
	CHECK_EQ(resets_present_refresh(&present), (int)count_flows(),
		 "refreshed");
	CHECK_EQ(skel->bss->rst_present_half, !half, "swapped");
	CHECK(marked(!half, &k), "the live flow stays marked");
	bpf_map_delete_elem(bpf_map__fd(skel->maps.rst_flows), &k);
	CHECK(resets_present_rebuild(&present) >= 0, "rebuilt");
	CHECK(!marked(half, &k), "an evicted flow's mark is gone");
	CHECK_EQ(resets_present_refresh(&present), -1, "few marks: none");
	CHECK_EQ(skel->bss->rst_present_half, half, "few marks: no rebuild");
	/* Put the flow back as it was: the RST tests expect it. */
	CHECK(!bpf_map_update_elem(bpf_map__fd(skel->maps.rst_flows), &k, &f0,
				   BPF_NOEXIST),
	      "flow back");
	CHECK(resets_present_rebuild(&present) >= 1, "rebuilt");
	case_end();

	case_begin("without batch lookups, a rebuild walks key by key");
	setenv("WIRESCOPE_TEST_NO_BATCH", "1", 1);
	half = skel->bss->rst_present_half;
	memset(present.slots, 0, RST_PRESENT_SLOTS);
	CHECK_EQ(resets_present_rebuild(&present), (int)count_flows(),
		 "rebuilt, walking every flow");
	CHECK_EQ(skel->bss->rst_present_half, !half, "swapped");
	CHECK(marked(!half, &k), "the flow marked");
	CHECK_EQ(count_marks(!half), count_flows(), "one mark a flow");
	unsetenv("WIRESCOPE_TEST_NO_BATCH");
	resets_present_close(&present);
	case_end();
}

/* Each walked flow's rport, and whether its value came with it. */
static uint8_t walked[2 * WS_WALK_BATCH + 7];
static bool walk_values_ok = true;

static void note_flow(const void *key, const void *value, void *arg)
{
	const struct rst_flow_key *k = key;
	const struct rst_flow *f = value;

	if (k->rport < 10000 || k->rport >= 10000 + sizeof(walked))
		return;
	walked[k->rport - 10000]++;
	walk_values_ok &= f->our_snd_nxt == k->rport;
}

/* Every inserted flow seen exactly once, with its own value. */
static bool each_once(void)
{
	bool ok = walk_values_ok;
	size_t i;

	for (i = 0; i < sizeof(walked); i++)
		ok &= walked[i] == 1;
	memset(walked, 0, sizeof(walked));
	walk_values_ok = true;
	return ok;
}

/* More flows than a batch: each walk counts every one, once. */
static void test_map_walk(void)
{
	int fd = bpf_map__fd(skel->maps.rst_flows);
	uint32_t before = count_flows(), i, n = 2 * WS_WALK_BATCH + 7;
	struct rst_flow_key k = key4();
	struct rst_flow f = { 0 };

	case_begin("a walk counts every flow, a batch or a key at a time");
	for (i = 0; i < n; i++) {
		k.rport = 10000 + i;
		f.our_snd_nxt = k.rport;
		CHECK(!bpf_map_update_elem(fd, &k, &f, BPF_NOEXIST), "insert");
	}
	CHECK_EQ(count_flows(), before + n, "flows in the table");
	CHECK_EQ(ws_map_walk(skel->maps.rst_flows, NULL, NULL),
		 (long)(before + n), "by batch");
	CHECK_EQ(ws_map_walk(skel->maps.rst_flows, note_flow, NULL),
		 (long)(before + n), "by batch, each flow to a callback");
	CHECK(each_once(), "by batch: each flow once, with its value");
	setenv("WIRESCOPE_TEST_NO_BATCH", "1", 1);
	CHECK_EQ(ws_map_walk(skel->maps.rst_flows, NULL, NULL),
		 (long)(before + n), "key by key");
	CHECK_EQ(ws_map_walk(skel->maps.rst_flows, note_flow, NULL),
		 (long)(before + n), "key by key, each flow to a callback");
	CHECK(each_once(), "key by key: each flow once, with its value");
	unsetenv("WIRESCOPE_TEST_NO_BATCH");
	for (i = 0; i < n; i++) {
		k.rport = 10000 + i;
		bpf_map_delete_elem(fd, &k);
	}
	CHECK_EQ(count_flows(), before, "flows back");
	case_end();
}

static void test_rst_capture(void)
{
	struct rst_flow_key k = key4();
	struct rst_flow f;
	struct bpf_program *xdp = skel->progs.ws_xdp_ingress;
	struct bpf_program *tc = skel->progs.ws_tc_egress;
	unsigned int len;

	case_begin("a received RST goes to the ring buffer with its baseline");
	run(xdp, tcp4(true, WS_TCP_RST, 63, 779, 9021, 0, 1020, 0));
	CHECK_EQ(nev, 1, "events");
	CHECK_EQ(evs[0].kind, RST_WIRE, "kind");
	CHECK_EQ(evs[0].dir, WS_RX, "dir");
	CHECK(!memcmp(&evs[0].key, &k, sizeof(k)), "flow key");
	CHECK_EQ(evs[0].ttl, 63, "ttl");
	CHECK_EQ(evs[0].ip_id, 779, "ip_id");
	CHECK_EQ(evs[0].seq, 9021, "seq");
	CHECK_EQ(evs[0].opts, WS_OPT_TS, "opts");
	CHECK_EQ(evs[0].tsval, 1020, "tsval");
	CHECK_EQ(evs[0].ifindex, IFINDEX, "ifindex");
	CHECK_EQ(evs[0].has_flow, 1, "has_flow");
	CHECK_EQ(evs[0].flow.ttl_last, 61, "baseline ttl");
	CHECK_EQ(evs[0].flow.our_ack, 9021, "baseline our_ack");
	CHECK(get_flow(&k, &f), "flow present");
	CHECK_EQ(f.rx_pkts, 2, "the RST is not part of the baseline");
	/* The per-packet clock: never ahead of the events', a few ticks
	 * behind it (more when a loaded machine runs its tick late). */
	CHECK(f.rst_rx_ns, "rst time kept");
	if (ws_kernel_tick_ns()) {
		CHECK(f.rst_rx_ns <= evs[0].ts_ns, "rst time not ahead");
		CHECK(evs[0].ts_ns - f.rst_rx_ns <=
			  3 * ws_kernel_tick_ns() + 20000000,
		      "rst time within ticks of the event's");
	}
	case_end();

	case_begin("peer data after the RST is counted");
	run(xdp,
	    tcp4(true, WS_TCP_ACK | WS_TCP_PSH, 61, 780, 9021, 1, 1030, 50));
	CHECK(get_flow(&k, &f), "flow present");
	CHECK_EQ(f.rx_data_after_rst, 1, "data after rst");
	case_end();

	case_begin("our own RST on tc egress is an event, direction tx");
	run(tc, tcp4(false, WS_TCP_RST | WS_TCP_ACK, 64, 2, 600, 9071, 0, 0));
	CHECK_EQ(nev, 1, "events");
	CHECK_EQ(evs[0].dir, WS_TX, "dir");
	CHECK(!memcmp(&evs[0].key, &k, sizeof(k)), "flow key");
	CHECK_EQ(evs[0].has_flow, 1, "has_flow");
	case_end();

	case_begin("an RST on an unknown flow: event without baseline");
	k.rport = 6000;
	len = tcp4(true, WS_TCP_RST, 63, 0, 1, 0, 0, 0);
	put16(frame + 34, 6000); /* another source port */
	run(xdp, len);
	CHECK_EQ(nev, 1, "events");
	CHECK_EQ(evs[0].has_flow, 0, "no baseline");
	CHECK(!get_flow(&k, &f), "an RST does not create a baseline");
	case_end();
}

static void test_ipv6(void)
{
	struct pkt_spec s = { .l3 = PKT_IPV6,
			      .l4 = PKT_TCP,
			      .ttl = 60,
			      .sport = RPORT,
			      .dport = LPORT,
			      .seq = 7,
			      .tcp_opts_len = 12 };
	struct rst_flow_key k = { .lport = LPORT, .rport = RPORT, .family = 6 };
	struct rst_flow f;
	unsigned int len;

	case_begin("IPv6: baseline under the v6 key, RST event");
	s.tcp_flags = WS_TCP_SYN | WS_TCP_ACK;
	s.len = pkt_hdr_len(&s);
	len = pkt_build(frame, &s);
	frame[74 + 2] = 8;
	frame[74 + 3] = 10;
	put32(frame + 74 + 4, 4242);
	run(skel->progs.ws_xdp_ingress, len);
	k.laddr[0] = htonl(0x20010db8);
	k.laddr[3] = htonl(1);
	k.raddr[0] = htonl(0x20010db8);
	k.raddr[3] = htonl(2);
	CHECK(get_flow(&k, &f), "v6 flow present");
	CHECK_EQ(f.ttl_last, 60, "hop limit");
	CHECK_EQ(f.peer_tsval, 4242, "tsval");
	s.tcp_flags = WS_TCP_RST;
	s.tcp_opts_len = 0;
	s.ttl = 61;
	s.len = pkt_hdr_len(&s);
	run(skel->progs.ws_xdp_ingress, pkt_build(frame, &s));
	CHECK_EQ(nev, 1, "events");
	CHECK_EQ(evs[0].key.family, 6, "family");
	CHECK_EQ(evs[0].ttl, 61, "hop limit");
	CHECK_EQ(evs[0].has_flow, 1, "has_flow");
	CHECK_EQ(evs[0].flow.ttl_last, 60, "baseline hop limit");
	case_end();
}

static void test_malformed(void)
{
	struct rst_flow_key k = key4();
	struct rst_flow f;
	unsigned int len;

	case_begin("malformed: cut TCP header gives no event, no flow");
	k.rport = 7000;
	len = tcp4(true, WS_TCP_RST, 63, 0, 1, 0, 0, 0);
	put16(frame + 34, 7000);
	run(skel->progs.ws_xdp_ingress, len - 4);
	CHECK_EQ(nev, 0, "events");
	len = tcp4(true, WS_TCP_SYN, 63, 0, 1, 0, 0, 0);
	put16(frame + 34, 7000);
	run(skel->progs.ws_xdp_ingress, len - 1);
	CHECK(!get_flow(&k, &f), "no flow");
	case_end();

	case_begin("malformed: a bad option length is flagged in the event");
	len = tcp4(true, WS_TCP_RST, 63, 0, 1, 0, 99, 0);
	frame[54 + 3] = 0; /* timestamp with length 0 */
	run(skel->progs.ws_xdp_ingress, len);
	CHECK_EQ(nev, 1, "events");
	CHECK_EQ(evs[0].opts & WS_OPT_BAD, WS_OPT_BAD, "bad flagged");
	CHECK_EQ(evs[0].opts & WS_OPT_TS, 0, "no timestamp taken");
	case_end();
}

/* lo: only received RSTs count; everything else passes untouched. */
static void test_lo_and_rate_limit(void)
{
	struct rst_flow_key k = key4();
	struct rst_flow f;
	uint64_t limited;
	int i, got = 0;

	case_begin("on lo, no baselines and only received RSTs");
	if (setup(IFINDEX, 2)) {
		CHECK(0, "setup");
		case_end();
		return;
	}
	run(skel->progs.ws_xdp_ingress,
	    tcp4(true, WS_TCP_SYN | WS_TCP_ACK, 64, 1, 1, 1, 0, 0));
	CHECK(!get_flow(&k, &f), "no baseline on lo");
	run(skel->progs.ws_tc_egress,
	    tcp4(false, WS_TCP_RST, 64, 1, 1, 1, 0, 0));
	CHECK_EQ(nev, 0, "a sent RST on lo is not reported");
	run(skel->progs.ws_xdp_ingress,
	    tcp4(true, WS_TCP_RST, 64, 1, 1, 1, 0, 0));
	CHECK_EQ(nev, 1, "a received RST on lo is");
	case_end();

	case_begin("rate limit: the excess is counted, not lost silently");
	limited = health(WS_H_RESETS_RATE_LIMITED);
	for (i = 0; i < 6; i++) {
		run(skel->progs.ws_xdp_ingress,
		    tcp4(true, WS_TCP_RST, 64, 1, 1, 1, 0, 0));
		got += nev;
	}
	CHECK(got <= 2, "at most the burst got through: %d", got);
	CHECK_EQ(got + health(WS_H_RESETS_RATE_LIMITED) - limited, 6,
		 "passed + limited");
	case_end();
}

static uint64_t flow_stat(uint32_t idx)
{
	uint64_t v = 0;

	CHECK(!ws_percpu_sum_u64(bpf_map__fd(skel->maps.rst_stats), &idx, ncpus,
				 &v, 1),
	      "rst_stats read");
	return v;
}

/* The peer's FIN, then ours: @f gets the flow after both. */
static void close_both_ways(struct rst_flow *f)
{
	struct rst_flow_key k = key4();

	run(skel->progs.ws_xdp_ingress,
	    tcp4(true, WS_TCP_FIN | WS_TCP_ACK, 62, 20, 9100, 700, 0, 0));
	run(skel->progs.ws_tc_egress,
	    tcp4(false, WS_TCP_FIN | WS_TCP_ACK, 64, 1, 700, 9101, 0, 0));
	CHECK(get_flow(&k, f), "flow present after both FINs");
}

/* The peer's last ACK, after both FINs. */
static void last_ack(void)
{
	run(skel->progs.ws_xdp_ingress,
	    tcp4(true, WS_TCP_ACK, 62, 21, 9101, 701, 0, 0));
}

/* A fresh skeleton whose CPUs reap closed flows after @after inserts. */
static struct bpf_program *fresh_skeleton(uint64_t after)
{
	reap_after = after;
	CHECK(!setup(0, 100000), "fresh skeleton");
	reap_after = 0;
	return skel->progs.ws_xdp_ingress;
}

static void test_closed_flow_leaves(void)
{
	struct rst_flow_key k = key4();
	struct bpf_program *xdp;
	struct rst_flow f;

	case_begin("both FINs and the last ACK: the baseline is deleted");
	xdp = fresh_skeleton(0);
	run(xdp, tcp4(true, WS_TCP_SYN | WS_TCP_ACK, 62, 10, 9000, 1, 0, 0));
	CHECK_EQ(flow_stat(RST_STAT_INSERTS), 1, "inserts");
	close_both_ways(&f);
	CHECK_EQ(f.flags & RST_F_CLOSED, RST_F_CLOSED, "both FINs flagged");
	last_ack();
	CHECK(!get_flow(&k, &f), "flow gone");
	CHECK_EQ(flow_stat(RST_STAT_DELETES), 1, "deletes");
	run(xdp, tcp4(true, WS_TCP_FIN | WS_TCP_ACK, 62, 22, 9100, 701, 0, 0));
	CHECK(!get_flow(&k, &f), "a retransmitted FIN inserts nothing");
	case_end();

	case_begin("a SYN after both FINs starts a new baseline");
	run(xdp, tcp4(true, WS_TCP_SYN | WS_TCP_ACK, 62, 30, 9000, 1, 0, 0));
	close_both_ways(&f);
	run(xdp, tcp4(true, WS_TCP_SYN | WS_TCP_ACK, 62, 40, 5000, 1, 0, 0));
	CHECK(get_flow(&k, &f), "flow present");
	CHECK_EQ(f.flags & (RST_F_CLOSED | RST_F_SYN), RST_F_SYN,
		 "fresh: SYN, no FIN");
	CHECK_EQ(f.rx_pkts, 1, "fresh: one packet");
	CHECK_EQ(flow_stat(RST_STAT_INSERTS), 3, "inserts");
	CHECK_EQ(flow_stat(RST_STAT_DELETES), 2, "deletes");
	case_end();

	case_begin("one FIN only (half-close): the baseline stays");
	run(xdp, tcp4(true, WS_TCP_FIN | WS_TCP_ACK, 62, 41, 5001, 1, 0, 0));
	run(xdp, tcp4(true, WS_TCP_ACK, 62, 42, 5002, 1, 0, 0));
	CHECK(get_flow(&k, &f), "flow present");
	CHECK_EQ(f.flags & RST_F_CLOSED, RST_F_FIN_RX, "peer's FIN only");
	case_end();

	case_begin("a flow the peer reset stays, even closed both ways");
	run(xdp, tcp4(true, WS_TCP_SYN | WS_TCP_ACK, 62, 50, 7000, 1, 0, 0));
	run(xdp, tcp4(true, WS_TCP_RST, 40, 51, 7001, 0, 0, 0));
	close_both_ways(&f);
	last_ack();
	CHECK(get_flow(&k, &f), "flow kept: the RST's evidence");
	case_end();

	case_begin("before the table could fill, a closed flow stays");
	xdp = fresh_skeleton(3);
	run(xdp, tcp4(true, WS_TCP_SYN | WS_TCP_ACK, 62, 10, 9000, 1, 0, 0));
	close_both_ways(&f);
	last_ack();
	CHECK(get_flow(&k, &f), "flow kept: 1 insert of 3");
	CHECK_EQ(flow_stat(RST_STAT_DELETES), 0, "no delete");
	case_end();

	case_begin("a SYN on a closed flow starts anew before that too");
	run(xdp, tcp4(true, WS_TCP_SYN | WS_TCP_ACK, 62, 40, 5000, 1, 0, 0));
	CHECK(get_flow(&k, &f), "flow present");
	CHECK_EQ(f.flags & RST_F_CLOSED, 0, "no FIN inherited");
	CHECK_EQ(flow_stat(RST_STAT_INSERTS), 2, "inserts");
	CHECK_EQ(flow_stat(RST_STAT_DELETES), 1, "deletes");
	case_end();

	case_begin("this CPU's share reached: the closed flow leaves");
	close_both_ways(&f);
	last_ack();
	CHECK(get_flow(&k, &f), "kept at 2 inserts of 3");
	run(xdp, tcp4(true, WS_TCP_SYN | WS_TCP_ACK, 62, 60, 6000, 1, 0, 0));
	close_both_ways(&f);
	last_ack();
	CHECK(!get_flow(&k, &f), "gone at 3 inserts of 3");
	case_end();

	case_begin("user space's all-CPU flag: the closed flow leaves");
	xdp = fresh_skeleton(1000);
	run(xdp, tcp4(true, WS_TCP_SYN | WS_TCP_ACK, 62, 10, 9000, 1, 0, 0));
	close_both_ways(&f);
	skel->bss->rst_reap_all = 1;
	last_ack();
	CHECK(!get_flow(&k, &f), "gone");
	case_end();
}

/* The same tuple, a new connection: nothing of the old one carries over. */
static void test_tuple_reused(void)
{
	struct rst_flow_key k = key4();
	struct bpf_program *xdp = fresh_skeleton(1000);
	struct bpf_program *tc = skel->progs.ws_tc_egress;
	struct rst_flow f;

	case_begin("a SYN after the peer's RST starts a new baseline");
	run(xdp, tcp4(true, WS_TCP_SYN | WS_TCP_ACK, 40, 10, 9000, 1, 500, 0));
	run(xdp, tcp4(true, WS_TCP_RST, 62, 11, 9001, 0, 0, 0));
	run(tc, tcp4(false, WS_TCP_SYN, 64, 1, 3000, 0, 0, 0));
	run(xdp, tcp4(true, WS_TCP_SYN | WS_TCP_ACK, 62, 12, 8000, 3001, 0, 0));
	run(xdp,
	    tcp4(true, WS_TCP_ACK | WS_TCP_PSH, 62, 13, 8001, 3001, 0, 10));
	CHECK(get_flow(&k, &f), "flow present");
	CHECK_EQ(f.rst_rx_ns, 0, "no RST in the new connection");
	CHECK_EQ(f.rx_data_after_rst, 0, "its data is not after an RST");
	CHECK_EQ(f.ttl_min, 62, "the old connection's TTL is gone");
	CHECK_EQ(f.flags & RST_F_PEER_TS, 0, "and its timestamps");
	CHECK_EQ(f.rx_pkts, 2, "the new connection's packets only");
	CHECK_EQ(flow_stat(RST_STAT_INSERTS), 2, "inserts");
	CHECK_EQ(flow_stat(RST_STAT_DELETES), 1, "deletes");
	case_end();

	case_begin("a SYN after our RST starts a new baseline");
	run(tc, tcp4(false, WS_TCP_FIN | WS_TCP_ACK, 64, 2, 3001, 8011, 0, 0));
	run(tc, tcp4(false, WS_TCP_RST | WS_TCP_ACK, 64, 3, 3002, 8011, 0, 0));
	run(tc, tcp4(false, WS_TCP_SYN, 64, 4, 7000, 0, 0, 0));
	CHECK(get_flow(&k, &f), "flow present");
	CHECK_EQ(f.flags, RST_F_SYN | RST_F_TX_SEEN, "no FIN inherited");
	CHECK_EQ(f.tx_pkts, 1, "the new SYN only");
	case_end();

	case_begin("a SYN on a live flow updates it in place");
	run(tc, tcp4(false, WS_TCP_SYN, 64, 5, 7000, 0, 0, 0));
	CHECK(get_flow(&k, &f), "flow present");
	CHECK_EQ(f.tx_pkts, 2, "a retransmitted SYN: same baseline");
	CHECK_EQ(flow_stat(RST_STAT_DELETES), 2, "deletes");
	case_end();

	case_begin("the peer's SYN-ACK restarts its first TSval");
	run(xdp, tcp4(true, WS_TCP_ACK, 62, 20, 100, 7001, 5000, 10));
	CHECK(get_flow(&k, &f) && f.peer_tsval_first == 5000, "first 5000");
	run(xdp,
	    tcp4(true, WS_TCP_SYN | WS_TCP_ACK, 62, 21, 200, 7001, 90000, 0));
	CHECK(get_flow(&k, &f) && !(f.flags & RST_F_TS_FIRST),
	      "a SYN-ACK clears it");
	run(xdp, tcp4(true, WS_TCP_ACK, 62, 22, 201, 7001, 90010, 10));
	CHECK(get_flow(&k, &f) && f.peer_tsval_first == 90010,
	      "the new connection's first: %u", f.peer_tsval_first);
	case_end();

	case_begin("a SYN after an RST the peer sent data after: kept");
	run(xdp, tcp4(true, WS_TCP_RST, 40, 14, 8001, 0, 0, 0));
	run(xdp, tcp4(true, WS_TCP_ACK | WS_TCP_PSH, 62, 15, 8001, 7001, 0, 9));
	run(tc, tcp4(false, WS_TCP_SYN, 64, 6, 7000, 0, 0, 0));
	CHECK(get_flow(&k, &f), "flow present");
	CHECK(f.rst_rx_ns, "the refused RST's evidence stays");
	CHECK_EQ(f.rx_data_after_rst, 1, "with the data after it");
	CHECK_EQ(flow_stat(RST_STAT_DELETES), 2, "deletes");
	case_end();
}

/*
 * The rate limit's token buckets are per CPU: the cases that count on one
 * token stay on one CPU.
 */
static void stay_on_this_cpu(cpu_set_t *was)
{
	cpu_set_t set;

	CHECK(!sched_getaffinity(0, sizeof(*was), was), "affinity: %s",
	      strerror(errno));
	CPU_ZERO(&set);
	CPU_SET(sched_getcpu(), &set);
	CHECK(!sched_setaffinity(0, sizeof(set), &set), "pin: %s",
	      strerror(errno));
}

/*
 * Our RST answering the peer's SYN before we sent anything: a refused
 * connect (a port scan's probe), whose baseline leaves at once, even when
 * the RST itself is rate-limited.  Anything we sent first keeps it.
 */
static void test_refused_syn_leaves(void)
{
	struct rst_flow_key k = key4();
	struct bpf_program *xdp = fresh_skeleton(1000);
	struct bpf_program *tc = skel->progs.ws_tc_egress;
	struct rst_flow f;
	cpu_set_t cpus;
	int i;

	case_begin("a refused SYN: its baseline leaves with our RST");
	run(xdp, tcp4(true, WS_TCP_SYN, 62, 10, 9000, 0, 0, 0));
	CHECK(get_flow(&k, &f), "the SYN inserts a baseline");
	run(tc, tcp4(false, WS_TCP_RST | WS_TCP_ACK, 64, 0, 0, 9001, 0, 0));
	CHECK_EQ(nev, 1, "our RST is reported");
	CHECK_EQ(evs[0].has_flow, 1, "with the SYN's baseline");
	CHECK_EQ(evs[0].flow.ttl_last, 62, "the SYN's TTL");
	CHECK(!get_flow(&k, &f), "baseline gone");
	CHECK_EQ(flow_stat(RST_STAT_INSERTS), 1, "inserts");
	CHECK_EQ(flow_stat(RST_STAT_DELETES), 1, "deletes");
	case_end();

	case_begin("a SYN we answered, then reset (abort on overflow): kept");
	run(xdp, tcp4(true, WS_TCP_SYN, 62, 11, 9000, 0, 0, 0));
	run(tc, tcp4(false, WS_TCP_SYN | WS_TCP_ACK, 64, 0, 500, 9001, 0, 0));
	run(xdp, tcp4(true, WS_TCP_ACK, 62, 12, 9001, 501, 0, 0));
	run(tc, tcp4(false, WS_TCP_RST, 64, 0, 501, 0, 0, 0));
	CHECK(get_flow(&k, &f), "flow present");
	CHECK(f.flags & RST_F_RST_TX, "our RST marks it");
	CHECK_EQ(flow_stat(RST_STAT_DELETES), 1, "no delete");
	case_end();

	case_begin("an RST not in a refusal's shape (seq set) keeps it");
	xdp = fresh_skeleton(1000);
	tc = skel->progs.ws_tc_egress;
	run(xdp, tcp4(true, WS_TCP_SYN, 62, 13, 9000, 0, 0, 0));
	run(tc, tcp4(false, WS_TCP_RST | WS_TCP_ACK, 64, 0, 77, 9001, 0, 0));
	CHECK(get_flow(&k, &f), "flow present");
	CHECK(f.flags & RST_F_RST_TX, "our RST marks it");
	CHECK_EQ(flow_stat(RST_STAT_DELETES), 0, "no delete");
	case_end();

	case_begin("our SYN, then our RST (a connect given up): kept");
	fresh_skeleton(1000);
	tc = skel->progs.ws_tc_egress;
	run(tc, tcp4(false, WS_TCP_SYN, 64, 0, 700, 0, 0, 0));
	run(tc, tcp4(false, WS_TCP_RST, 64, 0, 701, 0, 0, 0));
	CHECK(get_flow(&k, &f), "flow present");
	CHECK_EQ(flow_stat(RST_STAT_DELETES), 0, "no delete");
	case_end();

	case_begin("limited RSTs of other shapes look nothing up");
	stay_on_this_cpu(&cpus);
	CHECK(!setup(0, 0), "one token, never refilled");
	run(skel->progs.ws_tc_egress, tcp4(false, WS_TCP_SYN, 64, 0, 700, 0, 0, 0));
	run(skel->progs.ws_xdp_ingress,
	    tcp4(true, WS_TCP_SYN | WS_TCP_ACK, 62, 1, 9000, 701, 0, 0));
	/* The peer's RST takes the one token. */
	run(skel->progs.ws_xdp_ingress,
	    tcp4(true, WS_TCP_RST, 62, 2, 9001, 0, 0, 0));
	for (i = 0; i < 2; i++) /* the storm's shape, then a mass abort's */
		run(skel->progs.ws_tc_egress,
		    tcp4(false, WS_TCP_RST | (i ? WS_TCP_ACK : 0), 64, 0, 701,
			 i ? 9001 : 0, 0, 0));
	CHECK(health(WS_H_RESETS_RATE_LIMITED) >= 2, "both RSTs were limited");
	CHECK(get_flow(&k, &f), "flow present");
	CHECK_EQ(f.flags & RST_F_RST_TX, 0, "no lookup marked it");
	case_end();

	case_begin("a refused SYN whose RST is rate-limited leaves too");
	CHECK(!setup(0, 0), "one token, never refilled");
	for (i = 0; i < 3; i++) {
		run(skel->progs.ws_xdp_ingress,
		    tcp4(true, WS_TCP_SYN, 62, 20 + i, 9000, 0, 0, 0));
		run(skel->progs.ws_tc_egress,
		    tcp4(false, WS_TCP_RST | WS_TCP_ACK, 64, 0, 0, 9001, 0, 0));
		CHECK(!get_flow(&k, &f), "baseline %d gone", i);
	}
	CHECK(health(WS_H_RESETS_RATE_LIMITED) >= 2, "RSTs were limited");
	CHECK_EQ(flow_stat(RST_STAT_INSERTS), 3, "inserts");
	CHECK_EQ(flow_stat(RST_STAT_DELETES), 3, "deletes");
	case_end();
	sched_setaffinity(0, sizeof(cpus), &cpus);
}

/* A local reset group of one, as the event loop records it. */
static void record_local(struct ws_session *s, const char *reason)
{
	struct rst_event e = { .dir = WS_TX };
	struct rst_row r = {
		.e = &e, .idle_s = -1, .idle_rx_s = -1, .idle_tx_s = -1
	};

	r.res = (struct rst_result){ .verdict = RV_LOCAL, .conf = RC_HIGH };
	r.reason = reason;
	snprintf(r.peer, sizeof(r.peer), "198.18.0.2");
	rst_record(s, &r);
}

/* A middlebox's RST from 198.18.2.2, 1 hop before it. */
static void record_middlebox(struct ws_session *s)
{
	struct rst_event e = { .dir = WS_RX };
	struct rst_row r = {
		.e = &e, .idle_s = -1, .idle_rx_s = -1, .idle_tx_s = -1
	};

	r.res = (struct rst_result){ .verdict = RV_MIDDLEBOX,
				     .conf = RC_HIGH,
				     .hops = 1,
				     .peer_hops = 2,
				     .hops_before_peer = 1,
				     .hop = -1 };
	snprintf(r.peer, sizeof(r.peer), "198.18.2.2");
	rst_record(s, &r);
}

/*
 * The seed's nginx under wrk: the rate limit kept most RSTs from user
 * space, and diag said "this host reset 616 connections" of some 100,000.
 * A count the rate limit cut short is a floor, and the finding says so.
 */
static void test_rate_limited_counts_are_floors(void)
{
	struct ws_opts o = { 0 };
	struct ws_session s = { .o = &o, .ncpus = ncpus };
	struct ws_findings f = { 0 };
	const struct ws_finding *x;
	int i;

	case_begin("rate-limited: the local reset count is a floor");
	if (setup(0, 2)) {
		CHECK(0, "setup");
		case_end();
		return;
	}
	s.skel = skel;
	CHECK(!ws_health_collector.start(&s), "health start");
	for (i = 0; i < 6; i++)
		run(skel->progs.ws_tc_egress,
		    tcp4(false, WS_TCP_RST, 64, 1, 1, 1, 0, 0));
	CHECK(!ws_health_collector.sample(&s), "health sample");
	CHECK(ws_health_lost(WS_H_RESETS_RATE_LIMITED) > 0, "none limited");
	record_local(&s, "TCP_ABORT_ON_DATA");
	resets_findings(&s, &f);
	x = find(&f, "local_reset");
	CHECK(x && strstr(x->title, "at least 1 connection"), "title: %s",
	      x ? x->title : "none");
	CHECK(evidence(x, "rst_events_unexamined") ==
		  (double)ws_health_lost(WS_H_RESETS_RATE_LIMITED),
	      "evidence rst_events_unexamined %g",
	      evidence(x, "rst_events_unexamined"));
	/* The limit drops any RST: a NAT resetting many flows at once too. */
	memset(&f, 0, sizeof(f));
	record_middlebox(&s);
	resets_findings(&s, &f);
	x = find(&f, "middlebox_reset");
	CHECK(x && strstr(x->title, "at least 1 reset from a device"),
	      "title: %s", x ? x->title : "none");
	CHECK(evidence(x, "rst_events_unexamined") ==
		  (double)ws_health_lost(WS_H_RESETS_RATE_LIMITED),
	      "middlebox: evidence rst_events_unexamined %g",
	      evidence(x, "rst_events_unexamined"));
	case_end();
}

/* A reset group of one from @peer: verdict @v, refused (a connect of ours)
 * or not, the hop address @hop_addr. */
static void record_one(struct ws_session *s, const char *peer,
		       enum rst_verdict v, bool refused, const char *hop_addr)
{
	struct rst_event e = { .dir = WS_RX, .key.rport = RPORT };
	struct rst_row r = { .e = &e,
			     .idle_s = -1,
			     .idle_rx_s = -1,
			     .idle_tx_s = -1,
			     .refused = refused };

	r.res = (struct rst_result){ .verdict = v,
				     .conf = RC_MEDIUM,
				     .hops = 0,
				     .peer_hops = 2,
				     .hops_before_peer = refused ? -1 : 2,
				     .hop = refused ? 1 : -1 };
	snprintf(r.res.why, sizeof(r.res.why), "no baseline: test");
	snprintf(r.peer, sizeof(r.peer), "%s", peer);
	snprintf(r.hop_addr, sizeof(r.hop_addr), "%s", hop_addr);
	rst_record(s, &r);
}

/* The findings whose title starts with @title. */
static int titled(const struct ws_findings *f, const char *title)
{
	int i, n = 0;

	for (i = 0; i < f->n; i++)
		n += !strncmp(f->items[i].title, title, strlen(title));
	return n;
}

/*
 * test_rate_limited_counts_are_floors's loss stands: every reset finding,
 * of every kind and wording, says its count is a floor.
 */
static void test_every_count_is_a_floor(void)
{
	static const char *const ids[] = { "middlebox_reset",
					   "connection_refused",
					   "unattributed_resets",
					   "injected_reset", "local_reset" };
	double lost = (double)ws_health_lost(WS_H_RESETS_RATE_LIMITED);
	struct ws_opts o = { 0 };
	struct ws_session s = { .o = &o };
	struct ws_findings f = { 0 };
	const struct ws_finding *x;
	int i;

	case_begin("rate-limited: every reset finding's count is a floor");
	record_one(&s, "198.18.6.1", RV_MIDDLEBOX, false, "198.18.6.1");
	record_one(&s, "198.18.6.2", RV_MIDDLEBOX, true, "198.18.1.1");
	record_one(&s, "198.18.6.3", RV_PEER_NO_SOCKET, true, "");
	record_one(&s, "198.18.6.4", RV_UNKNOWN, true, "");
	record_one(&s, "198.18.6.5", RV_UNKNOWN, false, "");
	record_one(&s, "198.18.6.6", RV_INJECTED, false, "");
	resets_findings(&s, &f);
	CHECK(lost > 0, "no loss from the test before");
	for (i = 0; i < f.n; i++) {
		x = &f.items[i];
		CHECK(strstr(x->title, "at least "), "%s: %s", x->id, x->title);
		CHECK(evidence(x, "rst_events_unexamined") == lost,
		      "%s: rst_events_unexamined %g", x->id,
		      evidence(x, "rst_events_unexamined"));
	}
	for (i = 0; i < (int)(sizeof(ids) / sizeof(ids[0])); i++)
		CHECK(find(&f, ids[i]), "no %s", ids[i]);
	x = find(&f, "injected_reset");
	CHECK(x && x->confidence == 0.6,
	      "injected_reset: no surer than its medium verdict (%g)",
	      x ? x->confidence : -1);
	CHECK_EQ(titled(&f, "at least 1 reset from 198.18.6.1 itself"), 1,
		 "the NAT on this link");
	CHECK_EQ(titled(&f, "at least 1 connect to 198.18.6.2 port 5001 "
			    "refused by a device at hop 1"),
		 1, "the refusing gateway");
	case_end();
}

/*
 * RSTs a full ring buffer kept from user space are unexamined too: the
 * RSTs go unread until the buffer refuses one (a bounded number: the
 * buffer holds fewer than RST_RINGBUF_BYTES of them).
 */
static void test_ringbuf_full_is_a_floor(void)
{
	struct ws_opts o = { 0 };
	struct ws_session s = { .o = &o, .ncpus = ncpus };
	struct ws_findings f = { 0 };
	const struct ws_finding *x;
	unsigned int len;
	int i;

	case_begin("ring buffer full: the reset counts are floors");
	if (setup(0, 100000)) {
		CHECK(0, "setup");
		case_end();
		return;
	}
	s.skel = skel;
	CHECK(!ws_health_collector.start(&s), "health start");
	len = tcp4(true, WS_TCP_RST, 64, 1, 1, 1, 0, 0);
	for (i = 0; i < RST_RINGBUF_BYTES / (int)sizeof(struct rst_event) &&
		    !health(WS_H_RESETS_RINGBUF_FULL);
	     i++) {
		LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame,
			    .data_size_in = len, .repeat = 1);
		struct xdp_md ctx = { .data_end = len,
				      .ingress_ifindex = IFINDEX };

		opts.ctx_in = &ctx;
		opts.ctx_size_in = sizeof(ctx);
		if (bpf_prog_test_run_opts(
			bpf_program__fd(skel->progs.ws_xdp_ingress), &opts))
			break;
	}
	CHECK(!ws_health_collector.sample(&s), "health sample");
	CHECK(ws_health_lost(WS_H_RESETS_RINGBUF_FULL) > 0,
	      "the buffer never filled (%d RSTs)", i);
	CHECK_EQ(ws_health_lost(WS_H_RESETS_RATE_LIMITED), 0, "rate-limited");
	resets_findings(&s, &f);
	x = find(&f, "middlebox_reset");
	CHECK(x && strstr(x->title, "at least "), "title: %s",
	      x ? x->title : "none");
	CHECK(evidence(x, "rst_events_unexamined") ==
		  (double)ws_health_lost(WS_H_RESETS_RINGBUF_FULL),
	      "evidence rst_events_unexamined %g",
	      evidence(x, "rst_events_unexamined"));
	case_end();
}

/* The advice of the local_reset whose title ends in @reason, or "". */
static const char *local_advice(const struct ws_findings *f, const char *reason)
{
	size_t n = strlen(reason);
	int i;

	for (i = 0; i < f->n; i++) {
		const struct ws_finding *x = &f->items[i];
		size_t t = strlen(x->title);

		if (!strcmp(x->id, "local_reset") && t > n &&
		    !strcmp(x->title + t - n, reason))
			return x->advice;
	}
	return "";
}

/*
 * A kernel reason names where net/ipv4 sent the RST: the advice says what
 * that means (SO_LINGER 0, an ACK on a listener), not "the stack decided".
 */
static void test_local_reason_advice(void)
{
	struct ws_opts o = { 0 };
	struct ws_session s = { .o = &o };
	struct ws_findings f = { 0 };

	case_begin("local resets: advice by the kernel's reason");
	record_local(&s, "TCP_STATE");
	record_local(&s, "TCP_FLAGS");
	record_local(&s, "TCP_ABORT_ON_MEMORY");
	record_local(&s, "A_REASON_FROM_A_NEWER_KERNEL");
	resets_findings(&s, &f);
	CHECK(strstr(local_advice(&f, ": TCP_STATE"), "SO_LINGER 0"),
	      "TCP_STATE: %s", local_advice(&f, ": TCP_STATE"));
	CHECK(strstr(local_advice(&f, ": TCP_FLAGS"), "listening port"),
	      "TCP_FLAGS: %s", local_advice(&f, ": TCP_FLAGS"));
	CHECK(strstr(local_advice(&f, ": TCP_ABORT_ON_MEMORY"), "tcp_mem"),
	      "TCP_ABORT_ON_MEMORY: %s",
	      local_advice(&f, ": TCP_ABORT_ON_MEMORY"));
	CHECK(strstr(local_advice(&f, ": A_REASON_FROM_A_NEWER_KERNEL"),
		     "TcpExtTCPAbortOn"),
	      "an unknown reason: %s",
	      local_advice(&f, ": A_REASON_FROM_A_NEWER_KERNEL"));
	case_end();
}

/* The advice of the local_reset for @reason ends in @tail: none is cut. */
static void check_reason(const char *reason, const char *want, const char *tail)
{
	struct ws_opts o = { 0 };
	struct ws_session s = { .o = &o };
	struct ws_findings f = { 0 };
	char title[64];
	const char *adv;
	size_t n, t = strlen(tail);

	snprintf(title, sizeof(title), ": %s", reason);
	record_local(&s, reason);
	resets_findings(&s, &f);
	adv = local_advice(&f, title);
	n = strlen(adv);
	CHECK(strstr(adv, want), "%s: %s", reason, adv);
	CHECK(n >= t && !strcmp(adv + n - t, tail), "%s, cut: %s", reason, adv);
}

/*
 * Where net/ipv4 sends each reason: TCP_FLAGS from a listener (any
 * segment of a connection this host no longer has, not only a dropped
 * handshake); TCP_TIMEWAIT_SOCKET from the FIN_WAIT2 substate only (in
 * TIME_WAIT the kernel ACKs); INVALID_SYN from tcp_check_req(), an accept
 * queue overflow with tcp_abort_on_overflow among its causes.
 */
static void test_local_reason_kernel_facts(void)
{
	case_begin("local resets: each reason's advice as the kernel sends it");
	check_reason("TCP_FLAGS", "a connection this host does not have",
		     "TcpExtSyncookiesFailed)");
	check_reason("TCP_TIMEWAIT_SOCKET", "FIN_WAIT2", "server closed");
	check_reason("INVALID_SYN", "tcp_abort_on_overflow = 1",
		     "or a middlebox)");
	check_reason("TCP_STATE", "SO_LINGER 0", "tcp_fin_timeout");
	check_reason("TCP_DISCONNECT_WITH_DATA", "unsent data",
		     "connect(AF_UNSPEC))");
	check_reason("TCP_OLD_ACK", "SYN_RECV", "sequence numbers");
	check_reason("MPTCP_RST_EMIDDLEBOX", "MPTCP subflow", "other subflows");
	case_end();
}

/* A segment of key4()'s flow: 20 bytes of data, or none. */
static void seg(bool from_peer, uint8_t flags, uint8_t ttl, uint16_t ip_id,
		uint32_t seq, unsigned int payload)
{
	run(from_peer ? skel->progs.ws_xdp_ingress : skel->progs.ws_tc_egress,
	    tcp4(from_peer, flags, ttl, ip_id, seq, from_peer ? 1 : 9001, 0,
		 payload));
}

/* A pure ACK of ours, seq 520, acking @ack: the only kind our gate lets by. */
static void our_ack(uint32_t ack)
{
	run(skel->progs.ws_tc_egress,
	    tcp4(false, WS_TCP_ACK, 64, 1, 520, ack, 0, 0));
}

/*
 * A fresh flow of key4() and gate slots, its baseline updated by three
 * segments each way in a tick, so each direction's gate is set (a flow is
 * busy from its third): *@at is the flow then.
 */
static void gate_fresh_flow(struct rst_flow *at)
{
	struct rst_flow_key k = key4();
	uint32_t slot = rst_present_slot(&k) % RST_GATE_SLOTS;
	struct rst_gate none = {};

	bpf_map_delete_elem(bpf_map__fd(skel->maps.rst_flows), &k);
	bpf_map_update_elem(bpf_map__fd(skel->maps.rst_gate), &slot, &none, 0);
	slot += RST_GATE_SLOTS;
	bpf_map_update_elem(bpf_map__fd(skel->maps.rst_gate), &slot, &none, 0);
	seg(true, WS_TCP_ACK | WS_TCP_PSH, 61, 99, 8981, 20); /* inserts */
	seg(true, WS_TCP_ACK | WS_TCP_PSH, 61, 100, 9001, 20);
	seg(true, WS_TCP_ACK | WS_TCP_PSH, 61, 101, 9021, 20);
	our_ack(8981);
	our_ack(9001);
	our_ack(9021);
	get_flow(&k, at);
}

/*
 * Whether what ran since gate_fresh_flow() fell in its tick: a segment
 * the gate never lets by (no data, unlike the flow's) updates the
 * baseline, and the tick clock still reads the same.
 */
static bool gate_same_tick(const struct rst_flow *at)
{
	struct rst_flow_key k = key4();
	struct rst_flow f;

	seg(true, WS_TCP_ACK, 61, 300, 9999, 0);
	return get_flow(&k, &f) && f.last_rx_ns == at->last_rx_ns;
}

#define GATE_TRIES 10

/* What a gate case saw: its flow at points of the run, and RST events. */
struct gate_run {
	struct rst_flow at, f, past;
	struct rst_event first, rst;
};

/*
 * A fresh flow, then @fn, until all of it falls in one tick (GATE_TRIES at
 * most: a tick may end within any try).
 */
static void gate_in_one_tick(void (*fn)(struct gate_run *), struct gate_run *r)
{
	bool tick = false;
	int try;

	for (try = 0; try < GATE_TRIES && !tick; try++) {
		memset(r, 0, sizeof(*r));
		gate_fresh_flow(&r->at);
		fn(r);
		tick = gate_same_tick(&r->at);
	}
	CHECK(tick, "a try within one tick (%d tries)", try);
}

static void peer_data(uint8_t ttl, uint8_t flags, uint16_t ip_id, uint32_t seq)
{
	seg(true, flags, ttl, ip_id, seq, 20);
}

static void get_key4(struct rst_flow *f)
{
	struct rst_flow_key k = key4();

	get_flow(&k, f);
}

/* Four like segments, then a fifth past a budget of four. */
static void gate_budget(struct gate_run *r)
{
	int i;

	for (i = 0; i < 4; i++)
		peer_data(61, WS_TCP_ACK | WS_TCP_PSH, 102 + i, 9041);
	get_key4(&r->f);
	peer_data(61, WS_TCP_ACK | WS_TCP_PSH, 106, 9121);
	get_key4(&r->past);
}

/* Another TTL, then other flags. */
static void gate_unlike(struct gate_run *r)
{
	peer_data(60, WS_TCP_ACK | WS_TCP_PSH, 102, 9041);
	get_key4(&r->f);
	peer_data(61, WS_TCP_ACK, 103, 9061);
	get_key4(&r->past);
}

/* Three like segments after three ticks of quiet. */
static void gate_quiet(struct gate_run *r)
{
	usleep(30000); /* three ticks at HZ=100 */
	peer_data(61, WS_TCP_ACK | WS_TCP_PSH, 102, 9041);
	get_key4(&r->at); /* the tick the rest must share */
	peer_data(61, WS_TCP_ACK | WS_TCP_PSH, 103, 9061);
	get_key4(&r->f);
	peer_data(61, WS_TCP_ACK | WS_TCP_PSH, 104, 9081);
	get_key4(&r->past);
}

/* A new flow's SYN-ACK, then two like ACKs. */
static void gate_handshake(struct gate_run *r)
{
	struct rst_flow_key k = key4();

	bpf_map_delete_elem(bpf_map__fd(skel->maps.rst_flows), &k);
	seg(true, WS_TCP_SYN | WS_TCP_ACK, 61, 200, 7000, 0);
	get_key4(&r->at);
	seg(true, WS_TCP_ACK, 61, 201, 7001, 0);
	seg(true, WS_TCP_ACK, 61, 202, 7001, 0);
	get_key4(&r->f);
}

/* The peer's RST, then five like data segments. */
static void gate_after_rst(struct gate_run *r)
{
	int i;

	seg(true, WS_TCP_RST, 61, 102, 9041, 0);
	for (i = 0; i < 5; i++)
		peer_data(61, WS_TCP_ACK | WS_TCP_PSH, 103 + i, 9041);
	get_key4(&r->f);
}

/* The peer's RST right after the gate was armed. */
static void gate_behind_none(struct gate_run *r)
{
	seg(true, WS_TCP_RST, 61, 102, 9041, 0);
	if (nev == 1)
		r->rst = evs[0];
}

/* A segment each way let by, then the peer's RST. */
static void gate_behind_both(struct gate_run *r)
{
	our_ack(9041);
	peer_data(61, WS_TCP_ACK | WS_TCP_PSH, 102, 9041);
	seg(true, WS_TCP_RST, 61, 103, 9061, 0);
	if (nev == 1)
		r->rst = evs[0];
}

/* The peer's FIN, then a segment of ours like the armed one. */
static void gate_fin(struct gate_run *r)
{
	seg(true, WS_TCP_ACK | WS_TCP_FIN, 61, 102, 9041, 0);
	our_ack(9042);
	get_key4(&r->f);
}

/* Data of ours, and a segment like it. */
static void gate_our_data(struct gate_run *r)
{
	seg(false, WS_TCP_ACK | WS_TCP_PSH, 64, 1, 520, 20);
	seg(false, WS_TCP_ACK | WS_TCP_PSH, 64, 1, 540, 20);
	seg(false, WS_TCP_ACK | WS_TCP_PSH, 64, 1, 560, 20);
	get_key4(&r->f);
}

/* A peer segment let by, the peer's SYN on the tuple, then its RST. */
static void gate_syn(struct gate_run *r)
{
	peer_data(61, WS_TCP_ACK | WS_TCP_PSH, 102, 9041);
	seg(true, WS_TCP_SYN, 61, 103, 5000, 0);
	seg(true, WS_TCP_RST, 61, 104, 5001, 0);
	if (nev == 1)
		r->rst = evs[0];
}

/*
 * The flow leaves the table (as by eviction), a segment unlike the armed
 * one inserts it anew, then a segment like the armed one.
 */
static void gate_reinserted(struct gate_run *r)
{
	struct rst_flow_key k = key4();

	bpf_map_delete_elem(bpf_map__fd(skel->maps.rst_flows), &k);
	peer_data(61, WS_TCP_ACK, 102, 9041);
	peer_data(61, WS_TCP_ACK | WS_TCP_PSH, 103, 9061);
	get_key4(&r->f);
}

/* rport of a flow other than key4() in key4()'s gate slots. */
static uint16_t gate_slot_sharer(void)
{
	struct rst_flow_key k = key4(), o = key4();
	uint32_t want = rst_present_slot(&k) % RST_GATE_SLOTS;

	for (o.rport = RPORT + 1; o.rport; o.rport++)
		if (rst_present_slot(&o) % RST_GATE_SLOTS == want)
			break;
	return o.rport;
}

/*
 * A segment of key4()'s flow with remote port @rport: the peer's with
 * data, ours a pure ACK.
 */
static void seg_port(bool from_peer, uint8_t flags, uint32_t seq,
		     uint16_t rport)
{
	unsigned int len = tcp4(from_peer, flags, 61, 500, seq,
				from_peer ? 1 : 9001, 0, from_peer ? 20 : 0);

	put16(frame + (from_peer ? 34 : 36), rport);
	run(from_peer ? skel->progs.ws_xdp_ingress : skel->progs.ws_tc_egress,
	    len);
}

/*
 * A segment each way let by, then another flow busy enough to take both
 * slots over, then the first flow's RST.
 */
static void gate_taken_over(struct gate_run *r)
{
	uint16_t other = gate_slot_sharer();
	int i;

	our_ack(9041);
	peer_data(61, WS_TCP_ACK | WS_TCP_PSH, 102, 9041);
	for (i = 0; i < 3; i++) {
		seg_port(true, WS_TCP_ACK, 100 * i, other);
		seg_port(false, WS_TCP_ACK, 100 * i, other);
	}
	seg(true, WS_TCP_RST, 61, 103, 9061, 0);
	if (nev == 1)
		r->rst = evs[0];
}

/*
 * A segment of ours let by, then a tick or more later one taken, which
 * brings our side up to date: an RST then finds nothing lagging.
 */
static void gate_quiet_update_clears(void)
{
	struct rst_flow_key k = key4();
	struct rst_flow at, f = {};
	int try;

	case_begin("the gate: a later update ends the lag it counted");
	for (try = 0; try < GATE_TRIES && f.our_ack != 9021; try++) {
		gate_fresh_flow(&at);
		our_ack(9041);
		get_flow(&k, &f);
	}
	CHECK(f.our_ack == 9021, "an ACK let by (%d tries)", try);
	usleep(30000); /* three ticks at HZ=100 */
	our_ack(9061);
	seg(true, WS_TCP_RST, 61, 103, 9061, 0);
	CHECK_EQ(nev, 1, "the RST's event");
	CHECK_EQ(evs[0].flow.our_ack, 9061, "our side up to date");
	CHECK_EQ(evs[0].behind, 0, "and not said to lag");
	case_end();
}

static void test_gate(void)
{
	struct gate_run r;

	gate_segs = 4;
	CHECK(!setup(0, 100000), "a skeleton whose gate lets 4 segments by");

	case_begin("the gate: like segments within a tick skip the baseline, "
		   "up to its budget");
	gate_in_one_tick(gate_budget, &r);
	CHECK_EQ(r.f.peer_ip_id, 101, "four let by: the baseline's IP-ID lags");
	CHECK_EQ(r.f.rx_pkts, r.at.rx_pkts, "four let by: not counted");
	CHECK_EQ(r.past.peer_ip_id, 106, "the fifth is past the budget: taken");
	CHECK_EQ(r.past.rx_pkts, r.at.rx_pkts + 1, "and counted");
	case_end();

	case_begin("the gate: a segment unlike the last is taken at once");
	gate_in_one_tick(gate_unlike, &r);
	CHECK_EQ(r.f.ttl_min, 60, "another TTL");
	CHECK_EQ(r.past.peer_ip_id, 103, "other TCP flags");
	case_end();

	case_begin(
	    "the gate: a flow quiet for ticks is taken until busy again");
	gate_in_one_tick(gate_quiet, &r);
	CHECK_EQ(r.f.peer_ip_id, 103, "the second segment since: taken");
	CHECK_EQ(r.past.peer_ip_id, 103, "the third, in the same tick: let by");
	case_end();

	case_begin(
	    "the gate: a handshake's next segment does not make it busy");
	gate_in_one_tick(gate_handshake, &r);
	CHECK_EQ(r.f.peer_ip_id, 202, "the ACK after the SYN-ACK's: taken");
	case_end();

	case_begin("the gate: after the peer's RST each data segment counts");
	gate_in_one_tick(gate_after_rst, &r);
	CHECK_EQ(r.f.rx_data_after_rst, 5, "data after the RST");
	case_end();

	case_begin("the gate: an RST right after the gate was armed: no lag");
	gate_in_one_tick(gate_behind_none, &r);
	CHECK_EQ(r.rst.has_flow, 1, "the RST has the baseline");
	CHECK_EQ(r.rst.behind, 0, "nothing lags");
	CHECK_EQ(r.rst.rx_lag, 0, "no segment of the peer's let by");
	case_end();

	case_begin("the gate: an RST says which side of its baseline lags");
	gate_in_one_tick(gate_behind_both, &r);
	CHECK_EQ(r.rst.flow.our_ack, 9021, "without our ACK let by");
	CHECK_EQ(r.rst.flow.peer_ip_id, 101, "nor the peer's");
	CHECK_EQ(r.rst.behind, RST_BEHIND_RX | RST_BEHIND_TX, "both lag");
	CHECK_EQ(r.rst.rx_lag, 1, "by one segment of the peer's");
	case_end();

	case_begin("the gate: after a FIN our like segment is taken");
	gate_in_one_tick(gate_fin, &r);
	CHECK_EQ(r.f.our_ack, 9042, "our ACK after the peer's FIN");
	case_end();

	case_begin(
	    "the gate: our data is never let by (probes are told by it)");
	gate_in_one_tick(gate_our_data, &r);
	CHECK_EQ(r.f.our_snd_nxt, 580, "our send sequence, exact");
	case_end();

	case_begin("the gate: slots another flow took over: the lag unknown");
	gate_in_one_tick(gate_taken_over, &r);
	CHECK_EQ(r.rst.behind, RST_BEHIND_RX | RST_BEHIND_TX, "both lag");
	CHECK_EQ(r.rst.rx_lag, RST_LAG_UNKNOWN, "by an unknown count");
	case_end();

	case_begin("the gate: the peer's SYN on the tuple ends the lag");
	gate_in_one_tick(gate_syn, &r);
	CHECK_EQ(r.rst.has_flow, 1, "the RST has the baseline");
	CHECK_EQ(r.rst.flow.peer_ip_id, 103, "the SYN's IP ID");
	CHECK_EQ(r.rst.behind, 0, "nothing lags");
	CHECK_EQ(r.rst.rx_lag, 0, "no segment of the peer's let by since");
	case_end();

	case_begin(
	    "the gate: a baseline inserted anew ends the old one's gate");
	gate_in_one_tick(gate_reinserted, &r);
	CHECK_EQ(r.f.peer_ip_id, 103, "the segment like the old gate's: taken");
	case_end();

	gate_quiet_update_clears();

	gate_segs = 0;
}

static void test_burst_lagging_baseline(void)
{
	struct rst_stored tab[3] = {};
	int burst, seqs, i;

	case_begin("a burst: an RST whose baseline lags our ACK counts no seq");
	for (i = 0; i < 3; i++) {
		tab[i].e.kind = RST_WIRE;
		tab[i].e.dir = WS_RX;
		tab[i].e.key = key4();
		tab[i].t = 10 + i * 0.1;
		tab[i].e.has_flow = 1;
		tab[i].e.flow.flags = RST_F_RX_SEEN | RST_F_TX_SEEN;
		tab[i].e.flow.our_ack = 5000;
		tab[i].e.seq = 6000 + i;
		tab[i].e.behind = RST_BEHIND_TX;
	}
	rst_burst(tab, 3, &tab[2], &burst, &seqs);
	CHECK_EQ(burst, 3, "a burst of three");
	CHECK_EQ(seqs, 0, "our ACK may have moved: no seq counts");
	for (i = 0; i < 3; i++)
		tab[i].e.behind = RST_BEHIND_RX;
	rst_burst(tab, 3, &tab[2], &burst, &seqs);
	CHECK_EQ(seqs, 3, "our side whole: three seqs off our ACK");
	case_end();
}

int main(void)
{
	ncpus = libbpf_num_possible_cpus();
	if (setup(0, 100000)) {
		printf("not ok - load skeleton: %s\n", strerror(errno));
		return 1;
	}
	test_baseline();
	test_presence_filter();
	test_map_walk();
	test_rst_capture();
	test_ipv6();
	test_malformed();
	test_lo_and_rate_limit();
	test_closed_flow_leaves();
	test_tuple_reused();
	test_refused_syn_leaves();
	test_rate_limited_counts_are_floors();
	test_every_count_is_a_floor();
	test_ringbuf_full_is_a_floor();
	test_local_reason_advice();
	test_local_reason_kernel_facts();
	test_gate();
	test_burst_lagging_baseline();
	ring_buffer__free(rb);
	wirescope_bpf__destroy(skel);
	return unit_exit();
}
