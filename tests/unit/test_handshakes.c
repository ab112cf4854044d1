// SPDX-License-Identifier: GPL-2.0
/*
 * The handshake collector's BPF code on crafted frames, through
 * BPF_PROG_TEST_RUN: XDP for what comes in, tc egress for what goes out.
 * Map state (the flow entry, the pending filter) and counters are read back.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "unit.h"
#include "pkt.h"
#include "findings_util.h"
#include <stdlib.h>
#include "collectors/sizes_collector.h"
#include "collectors/handshakes_collector.h"
#include "collectors/resets_collector.h"
#include "collectors/retrans_collector.h"
#include "collectors/sndbuf_collector.h"
#include "collectors/hoststat_collector.h"
#include "health.h"
#include "wirescope.skel.h"

#define LO	    1
#define CLIENT4	    0xc6120002 /* 198.18.0.2 */
#define SERVER4	    0xc6120001
#define CPORT	    40000
#define SPORT	    80
#define STATS_WORDS (int)(sizeof(struct hs_stats) / 8)
#define PORT_WORDS  (int)(sizeof(struct hs_port_stats) / 8)

enum { V4 = 4, V6 = 6 };
enum { CLI = false, SRV = true }; /* our role in a flow key */

static struct wirescope_bpf *skel;
static int ncpus;
static uint8_t frame[1024];

static void stats(struct hs_stats *st)
{
	uint32_t zero = 0;

	ws_percpu_sum_u64(bpf_map__fd(skel->maps.hs_stats), &zero, ncpus,
			  (uint64_t *)st, STATS_WORDS);
}

/* Counter deltas of one test, to compare against what it expects. */
static void stats_delta(const struct hs_stats *before, struct hs_stats *d)
{
	struct hs_stats now;

	stats(&now);
	ws_sub_u64(&now, before, d, STATS_WORDS);
}

static uint64_t count(int idx)
{
	struct hs_stats st;

	stats(&st);
	return st.count[idx];
}

static void port_stats(uint32_t port, struct hs_port_stats *p)
{
	memset(p, 0, sizeof(*p));
	ws_percpu_sum_u64(bpf_map__fd(skel->maps.hs_ports), &port, ncpus,
			  (uint64_t *)p, PORT_WORDS);
}

static uint64_t health(int idx)
{
	uint64_t v = 0;
	uint32_t key = idx;

	ws_percpu_sum_u64(bpf_map__fd(skel->maps.ws_health), &key, ncpus, &v,
			  1);
	return v;
}

static uint32_t pending_total(void)
{
	uint32_t sum = 0;
	int i;

	for (i = 0; i < HS_FILTER_SLOTS; i++)
		sum += skel->bss->hs_pending[i];
	return sum;
}

/* The flow key as the kernel side builds it: initiator first, our role. */
static struct hs_key flow_key(int ver, uint16_t cport, bool server)
{
	struct hs_key k = { .cport = cport,
			    .sport = SPORT,
			    .ifindex = LO,
			    .family = ver,
			    .server = server };
	uint8_t *c = (uint8_t *)k.caddr, *s = (uint8_t *)k.saddr;

	if (ver == V4) {
		k.caddr[0] = htonl(CLIENT4);
		k.saddr[0] = htonl(SERVER4);
	} else {
		put32(c, 0x20010db8);
		c[15] = 2;
		put32(s, 0x20010db8);
		s[15] = 1;
	}
	return k;
}

static bool flow(int ver, uint16_t cport, bool server, struct hs_flow *out)
{
	struct hs_key k = flow_key(ver, cport, server);

	return !bpf_map_lookup_elem(bpf_map__fd(skel->maps.hs_flows), &k, out);
}

/*
 * One TCP segment between the client (198.18.0.2 / 2001:db8::2, port
 * @cport) and the server (.1 / ::1); @from_client picks the direction.
 */
static unsigned int segment_ports(int ver, bool from_client, uint16_t cport,
				  uint16_t sport, uint8_t flags, uint32_t seq,
				  uint32_t ack, unsigned int len)
{
	struct pkt_spec s = {
		.l3 = ver == V4 ? PKT_IPV4 : PKT_IPV6,
		.l4 = PKT_TCP,
		.len = len,
		.tcp_flags = flags,
		.sport = from_client ? cport : sport,
		.dport = from_client ? sport : cport,
		.seq = seq,
		.ack = ack,
		.saddr4 = from_client ? CLIENT4 : SERVER4,
		.daddr4 = from_client ? SERVER4 : CLIENT4,
		.rev6 = !from_client,
	};

	return pkt_build(frame, &s);
}

static unsigned int segment_port(int ver, bool from_client, uint16_t cport,
				 uint8_t flags, uint32_t seq, uint32_t ack,
				 unsigned int len)
{
	return segment_ports(ver, from_client, cport, SPORT, flags, seq, ack,
			     len);
}

static unsigned int segment(int ver, bool from_client, uint8_t flags,
			    uint32_t seq, uint32_t ack, unsigned int len)
{
	return segment_port(ver, from_client, CPORT, flags, seq, ack, len);
}

static void run_xdp(unsigned int len)
{
	struct xdp_md ctx = { .data_end = len, .ingress_ifindex = LO };
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame,
		    .data_size_in = len, .ctx_in = &ctx,
		    .ctx_size_in = sizeof(ctx), .repeat = 1);
	int err = bpf_prog_test_run_opts(
	    bpf_program__fd(skel->progs.ws_xdp_ingress), &opts);

	CHECK(!err && opts.retval == XDP_PASS, "xdp run: %d/%u", err,
	      opts.retval);
}

static void run_tc_egress(unsigned int len)
{
	struct __sk_buff ctx = {};
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame,
		    .data_size_in = len, .ctx_in = &ctx,
		    .ctx_size_in = sizeof(ctx), .repeat = 1);
	int err = bpf_prog_test_run_opts(
	    bpf_program__fd(skel->progs.ws_tc_egress), &opts);

	CHECK(!err && opts.retval == (uint32_t)-1, "tc run: %d/%u", err,
	      opts.retval);
}

#define SYN  0x02
#define ACK  0x10
#define RST  0x04
#define PSH  0x08
#define ISN  1000
#define SISN 5000

static uint64_t mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000ULL + ts.tv_nsec / 1000;
}

/* Samples no longer than @us: in the buckets up to @us's. */
static uint64_t samples_within(const __u64 *hist, uint64_t us)
{
	uint64_t n = 0;
	__u32 b;

	for (b = 0; b <= hs_log2_bucket(us); b++)
		n += hist[b];
	return n;
}

/* We are the server: SYN in, SYN-ACK out, ACK in, then our data out. */
static void test_server(int ver)
{
	struct hs_stats before, d;
	struct hs_port_stats p0, p1;
	struct hs_flow fl;
	char name[64];
	uint32_t pend0 = pending_total();
	uint64_t syn_us, synack_us;

	snprintf(name, sizeof(name), "server handshake IPv%d", ver);
	case_begin(name);
	stats(&before);
	port_stats(SPORT, &p0);
	syn_us = mono_us();
	run_xdp(segment(ver, true, SYN, ISN, 0, 0));
	CHECK(flow(ver, CPORT, SRV, &fl), "no flow entry after SYN");
	CHECK_EQ(fl.state, HS_ST_SYN, "state after SYN");
	CHECK_EQ(fl.server, 1, "server role");
	CHECK_EQ(fl.isn, ISN, "client ISN");
	CHECK_EQ(pending_total() - pend0, 1, "pending filter after SYN");
	run_xdp(segment(ver, true, SYN, ISN, 0, 0)); /* retransmitted */
	run_tc_egress(segment(ver, false, SYN | ACK, SISN, ISN + 1, 0));
	synack_us = mono_us();
	CHECK(flow(ver, CPORT, SRV, &fl), "no flow entry after SYN-ACK");
	CHECK_EQ(fl.state, HS_ST_SYNACK, "state after SYN-ACK");
	CHECK_EQ(fl.server_isn, SISN, "server ISN");
	run_xdp(segment(ver, true, ACK, ISN + 1, SISN + 1, 0));
	CHECK(flow(ver, CPORT, SRV, &fl), "no flow entry after final ACK");
	CHECK_EQ(fl.state, HS_ST_ACKED, "state after final ACK");
	run_tc_egress(segment(ver, false, ACK | PSH, SISN + 1, ISN + 1, 200));
	CHECK(!flow(ver, CPORT, SRV, &fl), "flow entry left after server data");
	CHECK_EQ(pending_total(), pend0, "pending filter after delete");
	stats_delta(&before, &d);
	CHECK_EQ(d.count[HS_SYN_RX], 1, "syn_rx");
	CHECK_EQ(d.count[HS_SYN_RETX_RX], 1, "syn retransmits");
	CHECK_EQ(d.count[HS_SYN_UNANSWERED], 1,
		 "unanswered (no SYN-ACK before the retransmission)");
	CHECK_EQ(d.count[HS_SYNACK_TX], 1, "synack_tx");
	CHECK_EQ(d.count[HS_SERVER_ACKS], 1, "server acks");
	CHECK_EQ(d.count[HS_SERVER_ACK_LOST], 0, "acks lost");
	CHECK_EQ(d.count[HS_SYN_TX], 0, "client-side syn_tx");
	CHECK_EQ(d.count[HS_FLOW_DELETES], 1, "deletes");
	CHECK_EQ(samples_within(d.hist[HS_LEG_SERVER], synack_us - syn_us), 1,
		 "server leg sample within the test's own SYN to SYN-ACK");
	port_stats(SPORT, &p1);
	CHECK_EQ(p1.syn_rx - p0.syn_rx, 1, "port syn_rx");
	CHECK_EQ(p1.syn_site_drops - p0.syn_site_drops, 1, "port SYN-site");
	CHECK_EQ(p1.acks - p0.acks, 1, "port acks");
	/* BPF_PROG_TEST_RUN gives its skbs a socket: not a syncookie. */
	CHECK_EQ(p1.cookie_synacks - p0.cookie_synacks, 0, "cookie synacks");
	case_end();
}

/* We are the client: SYN out, SYN-ACK in, final ACK out. */
static void test_client(int ver)
{
	struct hs_stats before, d;
	struct hs_flow fl;
	char name[64];
	uint32_t pend0 = pending_total();

	snprintf(name, sizeof(name), "client handshake IPv%d", ver);
	case_begin(name);
	stats(&before);
	run_tc_egress(segment(ver, true, SYN, ISN, 0, 0));
	CHECK(flow(ver, CPORT, CLI, &fl), "no flow entry after SYN out");
	CHECK_EQ(fl.server, 0, "client role");
	run_xdp(segment(ver, false, SYN | ACK, SISN, ISN + 1, 0));
	CHECK(flow(ver, CPORT, CLI, &fl) && fl.state == HS_ST_SYNACK,
	      "state after SYN-ACK in");
	run_tc_egress(segment(ver, true, ACK, ISN + 1, SISN + 1, 0));
	CHECK(flow(ver, CPORT, CLI, &fl) && fl.state == HS_ST_ACKED,
	      "entry waits for the server after the final ACK");
	run_xdp(segment(ver, false, ACK | PSH, SISN + 1, ISN + 1, 200));
	CHECK(!flow(ver, CPORT, CLI, &fl), "flow entry left after server data");
	CHECK_EQ(pending_total(), pend0, "pending filter");
	stats_delta(&before, &d);
	CHECK_EQ(d.count[HS_SYN_TX], 1, "syn_tx");
	CHECK_EQ(d.count[HS_SYNACK_RX], 1, "synack_rx");
	CHECK_EQ(d.count[HS_CLIENT_DONE], 1, "client done");
	CHECK_EQ(d.count[HS_SYN_RX], 0, "server-side syn_rx");
	case_end();
}

/* On lo every segment leaves (tc egress) and comes back in (ingress). */
static void both_hooks(unsigned int len)
{
	run_tc_egress(len);
	run_xdp(len);
}

/*
 * A connection from this host to itself over lo: each role sees its own
 * half once, and no SYN-ACK is taken for a retransmission.
 */
static void test_loopback(void)
{
	const uint16_t cport = 43000;
	struct hs_stats before, d;
	uint32_t pend0 = pending_total();

	case_begin("lo: both roles once, no SYN-ACK retransmits");
	stats(&before);
	both_hooks(segment_port(V4, true, cport, SYN, ISN, 0, 0));
	both_hooks(segment_port(V4, false, cport, SYN | ACK, SISN, ISN + 1, 0));
	both_hooks(segment_port(V4, true, cport, ACK, ISN + 1, SISN + 1, 0));
	both_hooks(
	    segment_port(V4, false, cport, ACK | PSH, SISN + 1, ISN + 1, 200));
	stats_delta(&before, &d);
	CHECK_EQ(d.count[HS_SYN_TX], 1, "syn_sent");
	CHECK_EQ(d.count[HS_SYN_RX], 1, "syn_received");
	CHECK_EQ(d.count[HS_SYNACK_TX], 1, "synack_sent");
	CHECK_EQ(d.count[HS_SYNACK_RETX_TX], 0, "synack_retransmits");
	CHECK_EQ(d.count[HS_SYNACK_RX], 1, "synack_received");
	CHECK_EQ(d.count[HS_CLIENT_DONE], 1, "client_handshakes");
	CHECK_EQ(d.count[HS_SERVER_ACKS], 1, "server final ACKs");
	CHECK_EQ(d.count[HS_SERVER_ACK_LOST], 0, "final_acks_dropped");
	CHECK_EQ(pending_total(), pend0, "entries left (pending filter)");
	case_end();
}

/*
 * The server's SYN-ACK again after our final ACK (it dropped that ACK, or
 * it was lost): the handshake was counted, nothing is missing.
 */
static void test_client_synack_again(void)
{
	const uint16_t cport = 43001;
	uint64_t no_flow = health(WS_H_HS_NO_FLOW);
	struct hs_stats before, d;
	uint32_t pend0 = pending_total();

	case_begin("client: SYN-ACK again after the final ACK loses nothing");
	stats(&before);
	run_tc_egress(segment_port(V4, true, cport, SYN, ISN, 0, 0));
	run_xdp(segment_port(V4, false, cport, SYN | ACK, SISN, ISN + 1, 0));
	run_tc_egress(segment_port(V4, true, cport, ACK, ISN + 1, SISN + 1, 0));
	run_xdp(segment_port(V4, false, cport, SYN | ACK, SISN, ISN + 1, 0));
	run_tc_egress(segment_port(V4, true, cport, ACK, ISN + 1, SISN + 1, 0));
	CHECK_EQ(health(WS_H_HS_NO_FLOW) - no_flow, 0, "hs_no_flow");
	run_xdp(
	    segment_port(V4, false, cport, ACK | PSH, SISN + 1, ISN + 1, 200));
	stats_delta(&before, &d);
	CHECK_EQ(d.count[HS_CLIENT_DONE], 1, "client_handshakes");
	CHECK_EQ(d.count[HS_SYNACK_RX], 1, "synack_received");
	CHECK_EQ(pending_total(), pend0, "entry left once the server spoke");
	case_end();
}

/* ACK-site drop: the server sends its SYN-ACK again after the final ACK. */
static void test_ack_site_drop(void)
{
	struct hs_port_stats p0, p1;
	struct hs_flow fl;
	uint64_t lost = count(HS_SERVER_ACK_LOST);

	case_begin("SYN-ACK again after the final ACK is an ACK-site drop");
	port_stats(SPORT, &p0);
	run_xdp(segment(V4, true, SYN, ISN, 0, 0));
	run_tc_egress(segment(V4, false, SYN | ACK, SISN, ISN + 1, 0));
	run_xdp(segment(V4, true, ACK, ISN + 1, SISN + 1, 0));
	run_tc_egress(segment(V4, false, SYN | ACK, SISN, ISN + 1, 0));
	CHECK(flow(V4, CPORT, SRV, &fl) && fl.state == HS_ST_SYNACK,
	      "back to SYN-ACK state");
	CHECK_EQ(count(HS_SERVER_ACK_LOST) - lost, 1, "acks lost");
	run_tc_egress(segment(V4, false, RST, SISN + 1, 0, 0));
	CHECK(!flow(V4, CPORT, SRV, &fl), "RST deletes the flow");
	port_stats(SPORT, &p1);
	CHECK_EQ(p1.ack_site_drops - p0.ack_site_drops, 1, "port ACK-site");
	CHECK_EQ(p1.synack_retx_tx - p0.synack_retx_tx, 1, "synack retx");
	case_end();
}

/* Scans: a SYN to a port that never answers takes no per-port slot. */
static void test_port_slot_on_synack(void)
{
	struct hs_port_stats p;
	uint32_t port = 4444;
	struct pkt_spec spec = { .l3 = PKT_IPV4,
				 .l4 = PKT_TCP,
				 .tcp_flags = SYN,
				 .sport = CPORT,
				 .dport = 4444,
				 .seq = ISN };

	case_begin("per-port slot only once the port answers");
	run_xdp(pkt_build(frame, &spec));
	CHECK(
	    bpf_map_lookup_elem(bpf_map__fd(skel->maps.hs_ports), &port, &p) &&
		errno == ENOENT,
	    "slot for a port that did not answer");
	spec.tcp_flags = SYN | ACK;
	spec.sport = 4444;
	spec.dport = CPORT;
	spec.seq = SISN;
	spec.ack = ISN + 1;
	spec.saddr4 = SERVER4;
	spec.daddr4 = CLIENT4;
	run_tc_egress(pkt_build(frame, &spec));
	port_stats(port, &p);
	CHECK_EQ(p.syn_rx, 1, "port syn_rx counted when it answers");
	CHECK_EQ(p.synack_tx, 1, "port synack_tx");
	case_end();
}

/* Data on an established flow (no state): nothing changes. */
static void test_established_data(void)
{
	struct hs_stats before, after;
	struct hs_flow fl;
	int ver;

	case_begin("data on an established flow changes nothing");
	stats(&before);
	for (ver = V4; ver <= V6; ver += 2) {
		run_xdp(segment(ver, true, ACK | PSH, 77, 88, 300));
		run_tc_egress(segment(ver, false, ACK, 88, 377, 0));
		CHECK(!flow(ver, CPORT, SRV, &fl) &&
			  !flow(ver, CPORT, CLI, &fl),
		      "flow entry created");
	}
	stats(&after);
	CHECK(!memcmp(&before, &after, sizeof(before)), "counters changed");
	case_end();
}

/* floor(log2) for each bit's lowest, middle and highest value; 0 for 0. */
static void test_log2_bucket(void)
{
	__u64 lo, v[3];
	__u32 p, i, want;

	case_begin("latency bucket is floor(log2 us), capped to the last");
	CHECK_EQ(hs_log2_bucket(0), 0, "bucket of 0 us");
	for (p = 0; p < 64; p++) {
		lo = 1ULL << p;
		v[0] = lo;
		v[1] = lo | (lo - 1) >> 1;
		v[2] = lo | (lo - 1);
		want = p < HS_NBUCKETS ? p : HS_NBUCKETS - 1;
		for (i = 0; i < 3; i++)
			CHECK(hs_log2_bucket(v[i]) == want,
			      "bucket of %llu us: %u, want %u",
			      (unsigned long long)v[i], hs_log2_bucket(v[i]),
			      want);
	}
	case_end();
}

/* Malformed TCP never reaches the collector. */
static void test_malformed(void)
{
	struct hs_stats before, after;
	struct hs_flow fl;
	unsigned int len;

	case_begin("malformed TCP: doff < 5, options past the end");
	stats(&before);
	len = segment(V4, true, SYN, ISN, 0, 0);
	frame[14 + 20 + 12] = 4 << 4; /* 16-byte header */
	run_xdp(len);
	len = segment(V4, true, SYN, ISN, 0, 0);
	frame[14 + 20 + 12] = 15 << 4; /* 60 bytes claimed, 20 present */
	run_xdp(len);
	len = segment(V6, true, SYN, ISN, 0, 0);
	frame[14 + 40 + 12] = 8 << 4; /* 32 bytes claimed, 20 present */
	run_xdp(len);
	CHECK(!flow(V4, CPORT, SRV, &fl) && !flow(V6, CPORT, SRV, &fl),
	      "flow created");
	stats(&after);
	CHECK(!memcmp(&before, &after, sizeof(before)), "counters changed");
	case_end();
}

/* A SYN-ACK we hold no SYN for is counted in health, not lost silently. */
static void test_no_flow(void)
{
	uint64_t before = health(WS_H_HS_NO_FLOW);

	case_begin("SYN-ACK without state counts hs_no_flow");
	run_tc_egress(segment(V4, false, SYN | ACK, SISN, 4242, 0));
	CHECK_EQ(health(WS_H_HS_NO_FLOW) - before, 1, "hs_no_flow");
	case_end();
}

/* A SYN from the client on @cport behind IPv6 extension headers @types. */
static unsigned int syn6_behind(uint16_t cport, const uint8_t *types, int n,
				uint16_t frag)
{
	unsigned int len = segment_port(V6, true, cport, SYN, ISN, 0, 0);

	return pkt_ipv6_exts(frame, len, types, n, frag);
}

/*
 * The walk takes hop-by-hop, routing, destination options, AH and a first
 * fragment, four deep; what it cannot walk is counted lost, not dropped
 * silently.  A non-first fragment and ESP hold no TCP header to lose.
 */
static void test_ipv6_ext_headers(void)
{
	static const uint8_t four[] = { 0, 60, 43, 44 };
	static const uint8_t five[] = { 0, 60, 43, 60, 44 };
	static const uint8_t ah[] = { 51 }, esp[] = { 50 }, frag[] = { 44 };
	uint64_t syn0 = count(HS_SYN_RX);
	uint64_t lost0 = health(WS_H_IPV6_EXT_UNWALKED);
	unsigned int len;
	uint16_t cport;

	case_begin("IPv6 SYN behind extension headers: walked or counted lost");
	run_xdp(syn6_behind(41001, four, 4, 0x0001)); /* first fragment, M */
	CHECK_EQ(count(HS_SYN_RX) - syn0, 1, "SYN behind four headers");
	run_xdp(syn6_behind(41002, ah, 1, 0));
	CHECK_EQ(count(HS_SYN_RX) - syn0, 2, "SYN behind AH");
	run_xdp(syn6_behind(41003, five, 5, 0));
	CHECK_EQ(count(HS_SYN_RX) - syn0, 2, "SYN behind five headers");
	CHECK_EQ(health(WS_H_IPV6_EXT_UNWALKED) - lost0, 1, "five: lost");
	len = syn6_behind(41004, four, 1, 0);
	frame[14 + 40 + 1] = 200; /* hop-by-hop claims 1608 bytes */
	run_xdp(len);
	run_xdp(14 + 40 + 4); /* the frame ends inside the header */
	CHECK_EQ(health(WS_H_IPV6_EXT_UNWALKED) - lost0, 3, "past the frame");
	run_xdp(syn6_behind(41005, frag, 1, 0x0100)); /* offset 32 */
	run_xdp(syn6_behind(41006, esp, 1, 0));
	CHECK_EQ(count(HS_SYN_RX) - syn0, 2, "SYN in a non-first fragment");
	CHECK_EQ(health(WS_H_IPV6_EXT_UNWALKED) - lost0, 3, "fragment, ESP");
	for (cport = 41001; cport <= 41002; cport++) /* close them */
		run_xdp(segment_port(V6, true, cport, RST, ISN + 1, 0, 0));
	case_end();
}

/* The last bucket holds everything from 2^26 us on: no upper end to claim. */
static void test_quantile_open_bucket(void)
{
	__u64 hist[HS_NBUCKETS] = {};

	case_begin("quantile: the last bucket answers its lower end");
	hist[HS_NBUCKETS - 1] = 1;
	CHECK(hs_quantile(hist, 0.99) ==
		  (double)(1ULL << (HS_NBUCKETS - 1)) / 1e6,
	      "p99 of one handshake of 67 s or more: %f",
	      hs_quantile(hist, 0.99));
	hist[0] = 1;
	CHECK(hs_quantile(hist, 0.5) <= 2e-6,
	      "p50 with one in the first bucket: %f", hs_quantile(hist, 0.5));
	case_end();
}

/*
 * The Prometheus hook: cumulative buckets, +Inf equal to _count, counters
 * equal to the map, no duplicate series.
 */
static void test_prom(struct ws_session *s)
{
	struct ws_buf b = {};
	char *line, *save, prev_name[256] = "";
	uint64_t prev = 0, v, inf = 0, cnt = 0, server = ~0ULL;
	struct hs_stats st;
	int lines = 0, dups = 0, nonmono = 0, i;
	char seen[64][160];

	case_begin("prom: no interface watched, no handshake series");
	ws_handshakes_collector.sample(s);
	ws_handshakes_collector.prom(s, &b);
	CHECK(!b.len, "served: %.*s", (int)b.len, b.data ? b.data : "");
	ws_buf_free(&b);
	memset(&b, 0, sizeof(b));
	case_end();

	case_begin("prom: cumulative buckets, +Inf == _count, no duplicates");
	CHECK(!ws_add_iface(s->o, "lo"), "watch lo");
	ws_handshakes_collector.prom(s, &b);
	s->o->n_ifaces = 0; /* as before, for the tests after */
	CHECK(b.data && !b.oom, "no output");
	if (!b.data) {
		case_end();
		return;
	}
	for (line = strtok_r(b.data, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *sp = strrchr(line, ' ');

		if (line[0] == '#' || !sp)
			continue;
		v = strtoull(sp + 1, NULL, 10);
		for (i = 0; i < lines && i < 64; i++)
			dups += !strncmp(seen[i], line, sp - line);
		if (lines < 64)
			snprintf(seen[lines], sizeof(seen[0]), "%.*s",
				 (int)(sp - line), line);
		lines++;
		if (strstr(line, "_bucket{leg=\"server_synack\"")) {
			nonmono += v < prev && !strcmp(prev_name, "b");
			prev = v;
			strcpy(prev_name, "b");
			if (strstr(line, "+Inf"))
				inf = v;
		}
		if (strstr(line, "_count{leg=\"server_synack\""))
			cnt = v;
		if (strstr(line, "handshakes_total{role=\"server\"}"))
			server = v;
	}
	stats(&st);
	CHECK_EQ(nonmono, 0, "non-cumulative buckets");
	CHECK_EQ(dups, 0, "duplicate series");
	CHECK_EQ(inf, cnt, "+Inf vs _count");
	CHECK(cnt >= 3, "server leg samples: %llu", (unsigned long long)cnt);
	CHECK_EQ(server,
		 st.count[HS_SERVER_ACKS] - st.count[HS_SERVER_ACK_LOST],
		 "server handshakes");
	ws_buf_free(&b);
	case_end();
}

/* IPv4 segments of the client on port @cport: in from it, out to it. */
static void from_client(uint16_t cport, uint8_t flags, uint32_t seq,
			uint32_t ack)
{
	run_xdp(segment_port(V4, true, cport, flags, seq, ack, 0));
}

static void to_client(uint16_t cport, uint8_t flags, uint32_t seq, uint32_t ack)
{
	run_tc_egress(segment_port(V4, false, cport, flags, seq, ack, 0));
}

static void handshake(uint16_t cport)
{
	from_client(cport, SYN, ISN, 0);
	to_client(cport, SYN | ACK, SISN, ISN + 1);
	from_client(cport, ACK, ISN + 1, SISN + 1);
}

/* The server asks again after the final ACK: that ACK was dropped. */
static void final_ack_lost(uint16_t cport)
{
	to_client(cport, SYN | ACK, SISN, ISN + 1);
}

/* Samples and prints one interval; the caller frees *@out. */
static void interval_output(struct ws_session *s, bool json, char **out)
{
	size_t len;

	s->out = open_memstream(out, &len);
	s->o->json = json;
	ws_handshakes_collector.sample(s);
	ws_handshakes_collector.interval(s, 1.0);
	fclose(s->out);
	s->out = NULL;
}

/*
 * An interval that proves more final ACKs lost than new ones arrive: the
 * handshakes completed in it are 0, not a wrapped unsigned difference.
 */
static void test_interval_more_lost_than_acked(struct ws_session *s)
{
	static const uint16_t ports[] = { 41001, 41002, 41003, 41004 };
	struct ws_diag_cols cols = {};
	char *out = NULL;
	unsigned int i;

	case_begin("interval: more final ACKs lost than acked reads 0 done");
	ws_handshakes_collector.start(s);
	handshake(ports[0]);
	handshake(ports[1]);
	interval_output(s, true, &out);
	free(out);
	ws_handshakes_collector.diag_cols(s, 1.0, &cols);
	/* A new SYN on port 80 puts the port in the breakdown. */
	final_ack_lost(ports[0]);
	from_client(ports[2], SYN, ISN, 0);
	interval_output(s, true, &out);
	CHECK(strstr(out, "\"server_handshakes\":0,") &&
		  strstr(out, "\"final_acks_dropped\":1,"),
	      "JSON: %s", out);
	CHECK(!strstr(out, "1844674407"), "wrapped JSON: %s", out);
	free(out);
	ws_handshakes_collector.sample(s);
	ws_handshakes_collector.diag_cols(s, 1.0, &cols);
	CHECK(cols.new_conns == 0, "diag new_conns: %g", cols.new_conns);
	final_ack_lost(ports[1]);
	from_client(ports[3], SYN, ISN, 0);
	interval_output(s, false, &out);
	CHECK(strstr(out, " done 0 "), "text port line: %s", out);
	CHECK(!strstr(out, "P "), "wrapped text: %s", out);
	free(out);
	for (i = 0; i < sizeof(ports) / sizeof(ports[0]); i++)
		from_client(ports[i], RST, ISN + 1, 0);
	case_end();
}

/*
 * Text latency columns give their sample count: a p99 of 2 handshakes
 * must not read like one of thousands.  No sample: "-/-".
 */
static void test_text_latency_samples(struct ws_session *s)
{
	char *out = NULL, srv[32], rtt[32], conn[32];
	const char *row;

	case_begin("text: latency columns show their sample count");
	ws_handshakes_collector.start(s);
	interval_output(s, false, &out); /* the header, and nothing new */
	free(out);
	handshake(41101);
	handshake(41102);
	interval_output(s, false, &out);
	row = strrchr(out, '|');
	CHECK(row &&
		  sscanf(row, "| %*s %31s %*s %31s %31s", srv, rtt, conn) == 3,
	      "row: %s", out);
	CHECK(!strcmp(srv, "n=2") && !strcmp(rtt, "n=2") &&
		  !strcmp(conn, "-/-"),
	      "srv %s rtt %s conn %s: %s", srv, rtt, conn, out);
	free(out);
	from_client(41101, RST, ISN + 1, 0);
	from_client(41102, RST, ISN + 1, 0);
	case_end();
}

/* The worst severity among @f's findings; an advice blaming a queue. */
static enum ws_severity worst(const struct ws_findings *f, bool *blames_queue)
{
	enum ws_severity sev = WS_SEV_INFO;
	int i;

	*blames_queue = false;
	for (i = 0; i < f->n; i++) {
		if (f->items[i].severity > sev)
			sev = f->items[i].severity;
		if (strstr(f->items[i].advice, "queue is full"))
			*blames_queue = true;
	}
	return sev;
}

/*
 * @n clients from ports @cport0.. send a SYN, @answered of them get a
 * SYN-ACK, and @resent of them send the same SYN again; then the findings
 * over just that.  The flows are reset afterwards.
 */
static void syn_findings(struct ws_session *s, uint16_t cport0, int n,
			 int answered, int resent, struct ws_findings *f)
{
	int i;

	memset(f, 0, sizeof(*f));
	ws_handshakes_collector.start(s);
	for (i = 0; i < n; i++) {
		from_client(cport0 + i, SYN, ISN, 0);
		if (i < answered)
			to_client(cport0 + i, SYN | ACK, SISN, ISN + 1);
		if (i < resent)
			from_client(cport0 + i, SYN, ISN, 0);
	}
	ws_handshakes_collector.sample(s);
	ws_handshakes_collector.findings(s, f);
	for (i = 0; i < n; i++)
		from_client(cport0 + i, RST, ISN + 1, 0);
}

/* @n SYNs out from ports @cport0.., each resent @resends times. */
static void connects_unanswered(uint16_t cport0, int n, int resends)
{
	int i, r;

	for (i = 0; i < n; i++)
		for (r = 0; r <= resends; r++)
			run_tc_egress(
			    segment_port(V4, true, cport0 + i, SYN, ISN, 0, 0));
}

/* The peer's SYN-ACK to each connect connects_unanswered() sent. */
static void connects_answered(uint16_t cport0, int n)
{
	int i;

	for (i = 0; i < n; i++)
		run_xdp(segment_port(V4, false, cport0 + i, SYN | ACK, SISN,
				     ISN + 1, 0));
}

/* The peer's RST ends each client entry connects_unanswered() left. */
static void connects_refused(uint16_t cport0, int n)
{
	int i;

	for (i = 0; i < n; i++)
		run_xdp(segment_port(V4, false, cport0 + i, RST | ACK, 0,
				     ISN + 1, 0));
}

/* Connects from ports @port0 on: @dead resent and never answered, then
 * @slow resent and answered, then @fast answered at once (after @wait_us). */
struct connects {
	uint16_t port0;
	int dead, slow, fast;
	unsigned int wait_us;
};

static void connect_findings(struct ws_session *s, const struct connects *c,
			     struct ws_findings *f)
{
	uint16_t slow = c->port0 + c->dead, fast = slow + c->slow;

	memset(f, 0, sizeof(*f));
	ws_handshakes_collector.start(s);
	connects_unanswered(c->port0, c->dead, 1);
	connects_unanswered(slow, c->slow, 1);
	connects_unanswered(fast, c->fast, 0);
	if (c->wait_us)
		usleep(c->wait_us);
	connects_answered(slow, c->slow + c->fast);
	ws_handshakes_collector.sample(s);
	ws_handshakes_collector.findings(s, f);
	connects_refused(c->port0, c->dead + c->slow + c->fast);
}

/*
 * Connects to a dead peer leave no connect latency sample: their resent
 * SYNs alone must raise a finding, not "healthy".  Resent and then
 * answered, they are slow, not unanswered.
 */
static void test_connect_unanswered(struct ws_session *s)
{
	static const uint8_t unwalked[] = { 0, 60, 43, 60, 44 };
	const struct ws_finding *x;
	struct ws_findings f;

	case_begin("connect_unanswered: 12 connects out, all resent, none "
		   "answered");
	connect_findings(s, &(struct connects){ .port0 = 47000, .dead = 12 },
			 &f);
	x = find(&f, "connect_unanswered");
	CHECK(x && x->severity == WS_SEV_CRITICAL, "critical: %s",
	      x ? x->title : "no connect_unanswered");
	CHECK_EQ(evidence(x, "syn_retransmits_sent"), 12, "resent");
	CHECK_EQ(evidence(x, "synack_received"), 0, "answered");
	CHECK_EQ(evidence(x, "connect_samples"), 0, "connect samples");
	CHECK(!find(&f, "handshake_latency"), "handshake_latency too");
	case_end();

	case_begin("connect_unanswered: less sure when segments went unread");
	ws_health_collector.start(s);
	run_xdp(syn6_behind(41007, unwalked, 5, 0)); /* ipv6_ext_unwalked */
	ws_health_collector.sample(s);
	connect_findings(s, &(struct connects){ .port0 = 47800, .dead = 12 },
			 &f);
	x = find(&f, "connect_unanswered");
	CHECK(x && x->confidence < 0.85, "confidence %.2f",
	      x ? x->confidence : 0);
	CHECK_EQ(evidence(x, "segments_unread"), 1, "segments_unread");
	ws_health_collector.start(s); /* the next cases count from 0 */
	case_end();

	case_begin("connect_unanswered: 12 connects resent once, all answered");
	connect_findings(s, &(struct connects){ .port0 = 47020, .slow = 12 },
			 &f);
	x = find(&f, "connect_unanswered");
	CHECK(!x, "raised though every connect was answered: %s",
	      x ? x->title : "");
	case_end();

	case_begin("connect_unanswered: 12 of 162 connects unanswered: a "
		   "warning");
	connect_findings(
	    s, &(struct connects){ .port0 = 47600, .dead = 12, .fast = 150 },
	    &f);
	x = find(&f, "connect_unanswered");
	CHECK(x && x->severity == WS_SEV_WARNING, "warning: %s",
	      x ? x->title : "no connect_unanswered");
	CHECK_EQ(evidence(x, "connects_unanswered"), 12, "unanswered");
	case_end();

	/* Its connect half said the same of the answered ones: not twice.
	 * The wait is a lower bound: each connect waits longer. */
	case_begin("connect_unanswered replaces handshake_latency's connect "
		   "half");
	connect_findings(
	    s,
	    &(struct connects){
		.port0 = 47800, .dead = 12, .fast = 12, .wait_us = 1100000 },
	    &f);
	CHECK(find(&f, "connect_unanswered"), "no connect_unanswered");
	x = find(&f, "handshake_latency");
	CHECK(!x, "handshake_latency too: %s", x ? x->title : "");
	case_end();

	case_begin("connect_unanswered: 9 resent SYNs are under the floor");
	connect_findings(s, &(struct connects){ .port0 = 47100, .dead = 9 },
			 &f);
	CHECK(!find(&f, "connect_unanswered"), "raised");
	case_end();
}

/*
 * connect_findings() with @fresh connects more, just started (no resend)
 * as the run ends: findings after a final sample, as diag takes them.
 */
static void connect_findings_end(struct ws_session *s, const struct connects *c,
				 int fresh, struct ws_findings *f)
{
	uint16_t port = c->port0 + c->dead + c->slow + c->fast;

	memset(f, 0, sizeof(*f));
	ws_handshakes_collector.start(s);
	connects_unanswered(c->port0, c->dead, 1);
	connects_unanswered(c->port0 + c->dead, c->slow, 1);
	connects_answered(c->port0 + c->dead, c->slow);
	connects_unanswered(port, fresh, 0);
	s->final_sample = true;
	ws_handshakes_collector.sample(s);
	s->final_sample = false;
	ws_handshakes_collector.findings(s, f);
	connects_refused(c->port0, c->dead + c->slow + fresh);
}

/*
 * Connects still in their first SYN timeout when the run ends may yet be
 * answered: not unanswered.
 */
static void test_connects_pending(struct ws_session *s)
{
	const struct ws_finding *x;
	struct ws_findings f;

	case_begin("connect_unanswered: 12 connects resent then answered, "
		   "12 more just sent: not unanswered");
	connect_findings_end(
	    s, &(struct connects){ .port0 = 47400, .slow = 12 }, 12, &f);
	x = find(&f, "connect_unanswered");
	CHECK(!x, "raised: %s", x ? x->title : "");
	case_end();

	case_begin("connect_unanswered: 12 dead connects, 12 just sent: "
		   "12 unanswered, 12 pending");
	connect_findings_end(
	    s, &(struct connects){ .port0 = 47440, .dead = 12 }, 12, &f);
	x = find(&f, "connect_unanswered");
	CHECK(x && x->severity == WS_SEV_CRITICAL, "critical: %s",
	      x ? x->title : "no connect_unanswered");
	CHECK_EQ(evidence(x, "connects_unanswered"), 12, "unanswered");
	CHECK_EQ(evidence(x, "connects_pending"), 12, "pending");
	CHECK_EQ(evidence(x, "syn_sent"), 24, "sent");
	case_end();
}

/*
 * Entries the LRU evicted, answered since: their SYN-ACKs find no entry
 * and go uncounted, and they never resent.  No more connects unanswered
 * than SYNs resent.  After test_evictions_are_an_evidence_gap(): entries
 * deleted by hand count as evicted.
 */
static void test_unanswered_at_most_resent(struct ws_session *s)
{
	const int fd = bpf_map__fd(skel->maps.hs_flows);
	const struct ws_finding *x;
	struct ws_findings f = {};
	struct hs_key k;
	int i;

	case_begin("connect_unanswered: no more unanswered than resent");
	ws_handshakes_collector.start(s);
	connects_unanswered(47480, 12, 1);
	connects_unanswered(47500, 20, 0);
	for (i = 0; i < 20; i++) {
		k = flow_key(V4, 47500 + i, CLI);
		CHECK(!bpf_map_delete_elem(fd, &k), "entry %d", i);
	}
	connects_answered(47500, 20);
	ws_handshakes_collector.sample(s);
	ws_handshakes_collector.findings(s, &f);
	x = find(&f, "connect_unanswered");
	CHECK_EQ(evidence(x, "connects_unanswered"), 12, "unanswered");
	CHECK_EQ(evidence(x, "synack_received_no_state"), 20, "no state");
	CHECK(x && strstr(x->title, "at least 12 of"), "title: %s",
	      x ? x->title : "none");
	connects_refused(47480, 12);
	case_end();

	/* The SYN-ACKs that found no entry answered 20 connects, and the 12
	 * resends were slow connects answered too: none unanswered. */
	memset(&f, 0, sizeof(f));
	case_begin("connect_unanswered: evicted, then answered, beside slow "
		   "connects: none unanswered");
	ws_handshakes_collector.start(s);
	connects_unanswered(47540, 12, 1);
	connects_answered(47540, 12);
	connects_unanswered(47560, 20, 0);
	for (i = 0; i < 20; i++) {
		k = flow_key(V4, 47560 + i, CLI);
		CHECK(!bpf_map_delete_elem(fd, &k), "entry %d", i);
	}
	connects_answered(47560, 20);
	ws_handshakes_collector.sample(s);
	ws_handshakes_collector.findings(s, &f);
	x = find(&f, "connect_unanswered");
	CHECK(!x, "raised though every connect was answered: %s",
	      x ? x->title : "");
	connects_refused(47540, 12);
	case_end();
}

/*
 * 30 SYNs resent with no SYN-ACK between (unanswered), then a SYN-ACK for
 * each that finds no entry: evicted, or its SYN came in by another
 * interface (asymmetric routing).  Those SYN-ACKs may answer the SYNs:
 * no critical finding, and the evidence says why.
 */
static void test_syn_unanswered_synack_no_state(struct ws_session *s)
{
	const int fd = bpf_map__fd(skel->maps.hs_flows);
	const struct ws_finding *x;
	struct ws_findings f = {};
	struct hs_key k;
	int i;

	case_begin("syn_unanswered: SYN-ACKs with no entry make it a guess");
	ws_handshakes_collector.start(s);
	for (i = 0; i < 30; i++) {
		from_client(45000 + i, SYN, ISN, 0);
		from_client(45000 + i, SYN, ISN, 0);
		k = flow_key(V4, 45000 + i, SRV);
		CHECK(!bpf_map_delete_elem(fd, &k), "entry %d", i);
		to_client(45000 + i, SYN | ACK, SISN, ISN + 1);
	}
	ws_handshakes_collector.sample(s);
	ws_handshakes_collector.findings(s, &f);
	x = find(&f, "syn_unanswered");
	CHECK(x && x->severity == WS_SEV_WARNING && x->confidence < 0.5,
	      "a warning, confidence < 0.5: %s (%d, %.2f)",
	      x ? x->title : "none", x ? (int)x->severity : -1,
	      x ? x->confidence : 0);
	CHECK_EQ(evidence(x, "syn_unanswered"), 30, "unanswered");
	CHECK_EQ(evidence(x, "synack_sent_no_state"), 30, "no state");
	CHECK(x && strstr(x->advice, "may all have been answered"),
	      "advice: %s", x ? x->advice : "");
	case_end();
}

/* @n handshakes whose SYN-ACK leaves at least 20 ms after the SYN. */
static void slow_synacks(struct ws_session *s, uint16_t cport0, int n,
			 struct ws_findings *f)
{
	int i;

	memset(f, 0, sizeof(*f));
	ws_handshakes_collector.start(s);
	for (i = 0; i < n; i++)
		from_client(cport0 + i, SYN, ISN, 0);
	usleep(20000);
	for (i = 0; i < n; i++)
		to_client(cport0 + i, SYN | ACK, SISN, ISN + 1);
	ws_handshakes_collector.sample(s);
	ws_handshakes_collector.findings(s, f);
	for (i = 0; i < n; i++)
		from_client(cport0 + i, RST, ISN + 1, 0);
}

/*
 * One SYN-ACK 20 ms late interpolates to a p99 near the top of its log2
 * bucket (up to twice what was measured): no warning from one handshake.
 */
static void test_server_latency_needs_samples(struct ws_session *s)
{
	const struct ws_finding *x;
	struct ws_findings f;

	case_begin("handshake_latency: one slow SYN-ACK is no p99");
	slow_synacks(s, 47200, 1, &f);
	x = find(&f, "handshake_latency");
	CHECK(!x, "raised: %s", x ? x->title : "");
	case_end();

	case_begin("handshake_latency: ten slow SYN-ACKs, the count shown");
	slow_synacks(s, 47300, 10, &f);
	x = find(&f, "handshake_latency");
	CHECK(x && strstr(x->title, "p99 of 10"), "title: %s",
	      x ? x->title : "none");
	CHECK_EQ(evidence(x, "server_synack_samples"), 10, "samples");
	case_end();
}

#define SYSCTL_DIR "/proc/sys/net"

/* An empty tmpfs over SYSCTL_DIR, in a mount namespace of our own. */
static int hide_sysctls(void)
{
	if (unshare(CLONE_NEWNS) ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL))
		return -1;
	return mount("none", SYSCTL_DIR, "tmpfs", 0, NULL);
}

static void test_syn_findings(struct ws_session *s)
{
	const char *name = "syn_unanswered: sysctls unread are unknown, not -1";
	const struct ws_finding *x;
	struct ws_findings f;
	bool queue;

	case_begin("syn_unanswered: 1 SYN resent once is no warning");
	syn_findings(s, 42000, 1, 0, 1, &f);
	CHECK(worst(&f, &queue) < WS_SEV_WARNING, "severity %d",
	      worst(&f, &queue));
	case_end();

	case_begin("syn_unanswered: 3 of 20 answered SYNs resent blame no "
		   "queue");
	syn_findings(s, 42100, 20, 20, 3, &f);
	CHECK(worst(&f, &queue) < WS_SEV_WARNING && !queue,
	      "severity %d, queue advice %d", worst(&f, &queue), queue);
	case_end();

	case_begin("syn_retransmits_answered: 20 answered SYNs all resent");
	syn_findings(s, 42200, 20, 20, 20, &f);
	x = find(&f, "syn_retransmits_answered");
	CHECK(!find(&f, "syn_unanswered"), "syn_unanswered: %s",
	      find(&f, "syn_unanswered")->title);
	CHECK(x && x->severity == WS_SEV_WARNING, "a warning");
	CHECK_EQ(evidence(x, "syn_retransmits_answered"), 20, "resent");
	CHECK_EQ(evidence(x, "port"), SPORT, "port");
	worst(&f, &queue);
	CHECK(x && strstr(x->advice, "mtr") && !queue, "path advice: %s",
	      x ? x->advice : "");
	case_end();

	case_begin("syn_unanswered: 30 unanswered SYNs are critical");
	syn_findings(s, 42300, 30, 0, 30, &f);
	x = find(&f, "syn_unanswered");
	CHECK(x && x->severity == WS_SEV_CRITICAL, "critical");
	CHECK_EQ(evidence(x, "syn_unanswered"), 30, "unanswered");
	CHECK_EQ(evidence(x, "port"), SPORT, "port");
	CHECK(x && strstr(x->advice, "queue is full"), "queue advice: %s",
	      x ? x->advice : "");
	case_end();

	if (hide_sysctls()) {
		case_skip(name, "no private mount namespace");
		return;
	}
	case_begin(name);
	syn_findings(s, 42400, 30, 0, 30, &f);
	umount(SYSCTL_DIR);
	x = find(&f, "syn_unanswered");
	CHECK(x && strstr(x->advice, "tcp_max_syn_backlog (now unknown)") &&
		  strstr(x->advice, "tcp_syncookies=1 (now unknown)"),
	      "advice: %s", x ? x->advice : "no syn_unanswered");
	CHECK(unknown_evidence(x, "tcp_syncookies"), "evidence %g",
	      evidence(x, "tcp_syncookies"));
	case_end();
}

/* Begins @name, or skips it when no entry can be aged past HS_STALE_NS. */
static bool case_begin_aged(const char *name)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	if (ts.tv_sec < (time_t)(HS_STALE_NS / 1000000000 + 1)) {
		case_skip(name, "booted too recently to age an entry");
		return false;
	}
	case_begin(name);
	return true;
}

/*
 * Entries no packet touched for minutes (a SYN from a client that
 * vanished, a connect to a blackhole) are no handshake in progress: when
 * the LRU later drops them, nothing is lost.  Twelve such entries, aged
 * by hand, then taken out of the table as the LRU would; then twenty live
 * handshakes: flows_evicted must stay 0.
 */
static void test_stale_entries_not_evictions(struct ws_session *s)
{
	const int fd = bpf_map__fd(skel->maps.hs_flows);
	const char *name = "stale flow entries are not counted as evictions";
	uint32_t max_flows = s->o->max_flows, pend0 = pending_total();
	struct hs_flow fl;
	struct hs_key k;
	int i;

	if (!case_begin_aged(name))
		return;
	ws_handshakes_collector.start(s);
	s->o->max_flows = 16; /* walk the table from 8 entries on */
	for (i = 0; i < 12; i++) {
		from_client(45000 + i, SYN, ISN, 0);
		k = flow_key(V4, 45000 + i, SRV);
		CHECK(!bpf_map_lookup_elem(fd, &k, &fl), "no entry %d", i);
		fl.first_syn_ns = fl.last_syn_ns = 1; /* at boot */
		bpf_map_update_elem(fd, &k, &fl, BPF_EXIST);
	}
	ws_handshakes_collector.sample(s);
	for (i = 0; i < 12; i++) { /* the LRU's doing */
		k = flow_key(V4, 45000 + i, SRV);
		bpf_map_delete_elem(fd, &k);
	}
	for (i = 0; i < 20; i++)
		from_client(45100 + i, SYN, ISN, 0);
	ws_handshakes_collector.sample(s);
	CHECK_EQ(hs_flows_evicted(), 0, "flows_evicted");
	for (i = 0; i < 20; i++)
		from_client(45100 + i, RST, ISN + 1, 0);
	CHECK_EQ(pending_total(), pend0, "pending filter after the sweep");
	s->o->max_flows = max_flows;
	case_end();
}

/*
 * Connects to a dead peer, given up minutes ago, in a table far from half
 * full: swept all the same, or they count as handshakes in progress and
 * keep their pending-filter slots (a lookup per packet) for ever.
 */
static void test_stale_entries_swept_under_half_full(struct ws_session *s)
{
	const int fd = bpf_map__fd(skel->maps.hs_flows);
	const char *name = "stale flow entries are swept in a table under half "
			   "full";
	uint32_t pend0 = pending_total();
	struct hs_flow fl;
	struct hs_key k;
	int i;

	if (!case_begin_aged(name))
		return;
	connects_unanswered(48000, 5, 0);
	for (i = 0; i < 5; i++) {
		k = flow_key(V4, 48000 + i, CLI);
		CHECK(!bpf_map_lookup_elem(fd, &k, &fl), "no entry %d", i);
		fl.first_syn_ns = fl.last_syn_ns = 1; /* at boot */
		bpf_map_update_elem(fd, &k, &fl, BPF_EXIST);
	}
	CHECK(s->o->max_flows > 10, "max_flows %u", s->o->max_flows);
	ws_handshakes_collector.start(s);
	for (i = 0; i < 5; i++)
		CHECK(!flow(V4, 48000 + i, CLI, &fl), "entry %d left", i);
	CHECK_EQ(pending_total(), pend0, "pending filter after the sweep");
	CHECK_EQ(hs_flows_evicted(), 0, "flows_evicted");
	connects_refused(48000, 5); /* if the sweep failed */
	case_end();
}

/*
 * Live handshakes the LRU evicted: their counts are lost, so the finding
 * that says so makes "healthy" less sure, as every other loss does.
 */
static void test_evictions_are_an_evidence_gap(struct ws_session *s)
{
	const int fd = bpf_map__fd(skel->maps.hs_flows);
	uint32_t max_flows = s->o->max_flows;
	struct ws_findings f = {}, alone = {};
	const struct ws_finding *x;
	struct hs_key k;
	int i;

	case_begin("handshake_table_full: healthy says evidence is missing");
	s->o->max_flows = 16; /* walk the table from 8 entries on */
	for (i = 0; i < 12; i++)
		from_client(46000 + i, SYN, ISN, 0);
	for (i = 0; i < 12; i++) { /* the LRU's doing */
		k = flow_key(V4, 46000 + i, SRV);
		CHECK(!bpf_map_delete_elem(fd, &k), "entry %d", i);
	}
	ws_handshakes_collector.sample(s);
	CHECK(hs_flows_evicted() >= 12, "flows_evicted %llu",
	      (unsigned long long)hs_flows_evicted());
	ws_handshakes_collector.findings(s, &f);
	x = find(&f, "handshake_table_full");
	CHECK(x && x->evidence_gap, "handshake_table_full is an evidence gap");
	/* Their resent SYNs would count as new ones: no "lower bound". */
	CHECK(x && strstr(x->advice, "SYN counts may be too high"),
	      "advice: %s", x ? x->advice : "");
	if (x) {
		alone.items[alone.n++] = *x;
		ws_findings_finish(&alone);
		x = find(&alone, "healthy");
		CHECK(x && x->confidence < 0.9 && strstr(x->title, "missing"),
		      "healthy: %s (%.1f)", x ? x->title : "none",
		      x ? x->confidence : 0);
	}
	s->o->max_flows = max_flows;
	case_end();
}

/*
 * The per-port table is full: port 9999 answers one SYN (no slot for it:
 * hs_ports_full) and leaves 30 unanswered, port 80 leaves one.  Port 80
 * is only the worst of the ports counted: the finding must say the table
 * was full, and not be as sure.
 */
static void test_syn_unanswered_ports_full(struct ws_session *s)
{
	const int fd = bpf_map__fd(skel->maps.hs_ports);
	const struct ws_finding *x;
	struct ws_findings f = {};
	uint32_t port;
	int i;

	case_begin("syn_unanswered: a full port table lowers confidence");
	for (port = 20000; port < 20000 + s->o->max_ports; port++)
		if (ws_percpu_insert_zero(fd, &port, ncpus,
					  sizeof(struct hs_port_stats)))
			break;
	ws_health_collector.start(s);
	ws_handshakes_collector.start(s);
	for (i = 0; i < 30; i++) {
		run_xdp(
		    segment_ports(V4, true, 44000 + i, 9999, SYN, ISN, 0, 0));
		if (!i)
			run_tc_egress(segment_ports(V4, false, 44000, 9999,
						    SYN | ACK, SISN, ISN + 1,
						    0));
		else
			run_xdp(segment_ports(V4, true, 44000 + i, 9999, SYN,
					      ISN, 0, 0));
	}
	from_client(44100, SYN, ISN, 0);
	from_client(44100, SYN, ISN, 0);
	ws_health_collector.sample(s);
	ws_handshakes_collector.sample(s);
	ws_handshakes_collector.findings(s, &f);
	x = find(&f, "syn_unanswered");
	CHECK(x, "no syn_unanswered finding");
	CHECK(evidence(x, "hs_ports_full") >= 1, "hs_ports_full evidence: %g",
	      evidence(x, "hs_ports_full"));
	CHECK(x && x->confidence < 0.9, "confidence %g", x ? x->confidence : 0);
	CHECK(x && strstr(x->advice, "--max-ports"), "advice: %s",
	      x ? x->advice : "");
	for (i = 0; i < 30; i++)
		run_xdp(segment_ports(V4, true, 44000 + i, 9999, RST, ISN + 1,
				      0, 0));
	from_client(44100, RST, ISN + 1, 0);
	case_end();
}

/* A listening TCP socket on @port, any address, or -1. */
static int listen_on(uint16_t port)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_port = htons(port) };
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd >= 0 &&
	    (bind(fd, (struct sockaddr *)&a, sizeof(a)) || listen(fd, 1))) {
		close(fd);
		fd = -1;
	}
	return fd;
}

/* accept's -j summary record of listener @port in @json, or "". */
static const char *listener_record(const char *json, uint16_t port)
{
	static char rec[2048];
	char want[32];
	const char *p = json, *e;

	snprintf(want, sizeof(want), "\"port\":%u,", port);
	rec[0] = '\0';
	while (p && (e = strchr(p, '\n'))) {
		if (strstr(p, "\"type\":\"summary\"") < e && strstr(p, want) &&
		    strstr(p, want) < e && (size_t)(e - p) < sizeof(rec)) {
			memcpy(rec, p, e - p);
			rec[e - p] = '\0';
		}
		p = e + 1;
	}
	return rec;
}

/*
 * Hand @fd to no process: in flight over a unix socket pair whose ends we
 * keep (*@pair), its only reference is the message.  0 or -1.
 */
static int orphan_fd(int fd, int *pair)
{
	char ctl[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov = { .iov_base = "x", .iov_len = 1 };
	struct msghdr m = { .msg_iov = &iov,
			    .msg_iovlen = 1,
			    .msg_control = ctl,
			    .msg_controllen = sizeof(ctl) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);

	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	if (socketpair(AF_UNIX, SOCK_DGRAM, 0, pair) ||
	    sendmsg(pair[0], &m, 0) != 1)
		return -1;
	return close(fd);
}

/* What @fn wrote, with -j (@json) or without. */
static char *run_out(struct ws_session *s, bool json,
		     void (*fn)(struct ws_session *s))
{
	FILE *out0 = s->out;
	char *out = NULL;
	size_t len = 0;

	s->out = open_memstream(&out, &len);
	s->o->json = json;
	fn(s);
	fclose(s->out);
	s->out = out0;
	s->o->json = false;
	return out;
}

/* accept's -j summary of its listeners, as the last sample left them. */
/*
 * Each a round of collector calls of its own, as in the session loop:
 * within one round accept reads that round's listener dump again.
 */
static int accept_start(struct ws_session *s)
{
	s->round++;
	return ws_accept_collector.start(s);
}

static void accept_sample(struct ws_session *s)
{
	s->round++;
	ws_accept_collector.sample(s);
}

static char *accept_summary_json(struct ws_session *s)
{
	accept_sample(s);
	return run_out(s, true, ws_accept_collector.summary);
}

/*
 * More listening ports than per-port slots: the slot accept makes for a
 * listener (port 9998) finds the table full.  Its queue is full from the
 * start, so it never answers: its SYNs go unanswered and no port counts
 * them.  That is no firewall: the finding must say the table was full and
 * be less sure, health must count the listener, and accept's wire columns
 * for it are unknown (null), not 0, while port 80's (a slot) are counted.
 * Without -i nobody watches the wire: port 80's are unknown too.  No
 * tcp_retransmit_synack program runs here: SYN-ACK repeats are unknown.
 * A listener no process holds (2049, as nfsd's) has no pid, not pid 0.
 */
static void test_listener_without_port_slot(struct ws_session *s)
{
	const char *name =
	    "accept: unknown, not 0 (no port slot, no -i, no owner)";
	const int fd = bpf_map__fd(skel->maps.hs_ports);
	const struct ws_finding *x;
	struct ws_findings f = {};
	int lfd, lfd80, lfd_kernel, pair[2] = { -1, -1 }, i;
	const char *rec;
	char *json;
	uint32_t port;

	if (unshare(CLONE_NEWNET)) {
		case_skip(name, "no private network namespace");
		return;
	}
	case_begin(name);
	for (port = 20000; port < 20000 + s->o->max_ports; port++)
		if (ws_percpu_insert_zero(fd, &port, ncpus,
					  sizeof(struct hs_port_stats)))
			break;
	lfd = listen_on(9998);
	lfd80 = listen_on(SPORT);
	/* A listener no process holds, as the kernel's own (nfsd): port 2049 */
	lfd_kernel = listen_on(2049);
	CHECK(lfd >= 0 && lfd80 >= 0 && lfd_kernel >= 0, "listen: %s",
	      strerror(errno));
	CHECK(!orphan_fd(lfd_kernel, pair), "orphan: %s", strerror(errno));
	s->o->n_ifaces = 1; /* as with -i: the wire is watched */
	ws_health_collector.start(s);
	CHECK(!accept_start(s), "accept start");
	ws_handshakes_collector.start(s);
	for (i = 0; i < 12; i++) { /* each SYN sent twice, never answered */
		run_xdp(
		    segment_ports(V4, true, 46000 + i, 9998, SYN, ISN, 0, 0));
		run_xdp(
		    segment_ports(V4, true, 46000 + i, 9998, SYN, ISN, 0, 0));
	}
	ws_health_collector.sample(s);
	ws_handshakes_collector.sample(s);
	s->elapsed = 1;
	json = accept_summary_json(s);
	ws_handshakes_collector.findings(s, &f);
	ws_health_collector.findings(s, &f);
	x = find(&f, "syn_unanswered");
	CHECK(x, "no syn_unanswered finding");
	CHECK(x && x->confidence < 0.9, "confidence %g", x ? x->confidence : 0);
	CHECK(x && strstr(x->advice, "--max-ports"), "advice: %s",
	      x ? x->advice : "");
	CHECK(isnan(evidence(x, "port")), "no port counted, yet port %g",
	      evidence(x, "port"));
	CHECK(isnan(evidence(x, "port_syn_site_drops")),
	      "port_syn_site_drops %g", evidence(x, "port_syn_site_drops"));
	/* 9998 and 2049 found the table full, 80 has its slot */
	CHECK_EQ(
	    evidence(find(&f, "wirescope_lost_counts"), "accept_ports_full"), 2,
	    "lost counts: accept_ports_full");
	rec = listener_record(json, 9998);
	CHECK(strstr(rec, "\"syn_site_drops\":null"), "wire: %s", rec);
	CHECK(strstr(rec, "\"cookie_drops\":null"), "wire: %s", rec);
	CHECK(strstr(rec, "\"synack_retransmits\":null"), "repeats: %s", rec);
	rec = listener_record(json, SPORT);
	CHECK(strstr(rec, "\"syn_site_drops\":0,"), "port 80 wire: %s", rec);
	rec = listener_record(json, 2049);
	CHECK(strstr(rec, "\"pid\":null,\"comm\":null,"), "no owner: %s", rec);
	free(json);
	s->o->n_ifaces = 0; /* no -i */
	json = accept_summary_json(s);
	rec = listener_record(json, SPORT);
	CHECK(strstr(rec, "\"syn_site_drops\":null"), "no -i: %s", rec);
	free(json);
	for (i = 0; i < 12; i++)
		run_xdp(segment_ports(V4, true, 46000 + i, 9998, RST, ISN + 1,
				      0, 0));
	ws_accept_collector.stop(s);
	close(lfd);
	close(lfd80);
	close(pair[0]);
	close(pair[1]);
	case_end();
}

static void hs_interval_now(struct ws_session *s)
{
	ws_handshakes_collector.interval(s, 1);
}

/*
 * The sysctls hidden (an empty tmpfs over /proc/sys/net, a private mount
 * namespace): accept's host summary says null (JSON) and unknown (text),
 * and a listener's limit is unknown (not "backlog" under a somaxconn of -1),
 * syn_unanswered's advice "now unknown", never -1.  An interval without a
 * handshake has no latency quantiles: p50_s and p99_s are null, not -1.
 */
static void test_unread_not_minus1(struct ws_session *s)
{
	const char *name = "accept, latency: unread is not -1";
	char *out;
	int lfd;

	if (hide_sysctls()) {
		case_skip(name, "no private mount namespace");
		return;
	}
	case_begin(name);
	lfd = listen_on(9997);
	CHECK(lfd >= 0, "listen: %s", strerror(errno));
	CHECK(!accept_start(s), "accept start");
	out = accept_summary_json(s);
	CHECK(out &&
		  strstr(listener_record(out, 9997), "\"limit\":\"unknown\""),
	      "somaxconn unread, the backlog not named as the limit: %s",
	      out ? listener_record(out, 9997) : "");
	CHECK(out && strstr(out, "\"somaxconn\":null,"
				 "\"tcp_max_syn_backlog\":null,"
				 "\"tcp_abort_on_overflow\":null,"
				 "\"tcp_syncookies\":null"),
	      "host_summary: %s", out ? out : "");
	free(out);
	out = run_out(s, false, ws_accept_collector.summary);
	CHECK(out && strstr(out, "(somaxconn unknown, tcp_max_syn_backlog "
				 "unknown, tcp_abort_on_overflow unknown, "
				 "tcp_syncookies unknown)"),
	      "text summary: %s", out ? out : "");
	free(out);
	ws_accept_collector.stop(s);
	close(lfd);
	free(run_out(s, true, hs_interval_now)); /* nothing new after this */
	out = run_out(s, true, hs_interval_now);
	CHECK(out && strstr(out, "\"count\":0,\"sum_s\":0,\"p50_s\":null,"
				 "\"p99_s\":null"),
	      "empty legs: %s", out ? out : "");
	CHECK(out && !strstr(out, ":-1"), "no -1: %s", out ? out : "");
	free(out);
	umount(SYSCTL_DIR);
	case_end();
}

/* Listener records in accept's -j summary @json on ports [@lo, @hi). */
static int summary_rows_in(const char *json, unsigned int lo, unsigned int hi)
{
	const char *p = json, *e, *port;
	unsigned int v;
	int n = 0;

	while (p && (e = strchr(p, '\n'))) {
		port = strstr(p, "\"port\":");
		if (port && port < e && strstr(p, "\"type\":\"summary\"") < e &&
		    sscanf(port, "\"port\":%u", &v) == 1 && v >= lo && v < hi)
			n++;
		p = e + 1;
	}
	return n;
}

/*
 * More listeners than accept's table holds: health counts those left out
 * (accept_listeners_full), as many as one dump left out, not once per
 * dump (three here) nor none.  In a network namespace of its own.
 */
static void test_listeners_table_full(struct ws_session *s)
{
	const char *name = "accept: listeners the full table left out are lost";
	const unsigned int n = HS_MAX_LISTENERS + 8, port0 = 30000;
	struct rlimit was, now;
	struct ws_findings f = {};
	int *fds = calloc(n, sizeof(*fds)), shown = -1;
	unsigned int i;
	char *json;

	if (!fds || unshare(CLONE_NEWNET) || getrlimit(RLIMIT_NOFILE, &was)) {
		case_skip(name, "no private network namespace");
		free(fds);
		return;
	}
	case_begin(name);
	now = was;
	if (now.rlim_cur < n + 256)
		now.rlim_cur = now.rlim_max = n + 256;
	CHECK(!setrlimit(RLIMIT_NOFILE, &now), "rlimit: %s", strerror(errno));
	/* the earlier tests' rows: gone (free) before the first count */
	accept_sample(s);
	for (i = 0; i < n; i++)
		fds[i] = listen_on(port0 + i);
	CHECK(fds[n - 1] >= 0, "listen: %s", strerror(errno));
	ws_health_collector.start(s);
	CHECK(!accept_start(s), "accept start");
	accept_sample(s);
	json = accept_summary_json(s); /* a third dump */
	if (json)
		shown = summary_rows_in(json, port0, port0 + n);
	free(json);
	ws_health_collector.sample(s);
	ws_health_collector.findings(s, &f);
	CHECK(shown > 0 && shown < (int)n, "%d of %u listeners shown", shown,
	      n);
	CHECK_EQ(evidence(find(&f, "wirescope_lost_counts"),
			  "accept_listeners_full"),
		 n - shown, "lost counts: accept_listeners_full");
	ws_accept_collector.stop(s);
	for (i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	free(fds);
	setrlimit(RLIMIT_NOFILE, &was);
	case_end();
}

int main(void)
{
	struct ws_opts o;
	struct ws_session s = { .o = &o };

	ws_opts_init(&o);
	ncpus = libbpf_num_possible_cpus();
	skel = wirescope_bpf__open();
	if (!skel) {
		printf("not ok - open skeleton: %s\n", strerror(errno));
		return 1;
	}
	s.skel = skel;
	s.ncpus = ncpus;
	if (ws_handshakes_collector.configure(&s)) {
		printf("not ok - configure\n");
		return 1;
	}
	/* accept's user side runs too (test_listener_without_port_slot) */
	skel->rodata->accept_enabled = true;
	if (wirescope_bpf__load(skel)) {
		printf("not ok - load skeleton: %s\n", strerror(errno));
		return 1;
	}
	ws_handshakes_collector.start(&s);
	/* Port 80 is a known listener, as accept makes it from sock_diag. */
	ws_percpu_insert_zero(bpf_map__fd(skel->maps.hs_ports),
			      &(uint32_t){ SPORT }, ncpus,
			      sizeof(struct hs_port_stats));
	test_server(V4);
	test_server(V6);
	test_client(V4);
	test_client(V6);
	test_loopback();
	test_client_synack_again();
	test_ack_site_drop();
	test_port_slot_on_synack();
	test_established_data();
	test_log2_bucket();
	test_malformed();
	test_no_flow();
	test_ipv6_ext_headers();
	test_prom(&s);
	test_interval_more_lost_than_acked(&s);
	test_text_latency_samples(&s);
	test_syn_findings(&s);
	test_connect_unanswered(&s);
	test_connects_pending(&s);
	test_server_latency_needs_samples(&s);
	test_quantile_open_bucket();
	test_stale_entries_not_evictions(&s);
	test_stale_entries_swept_under_half_full(&s);
	test_evictions_are_an_evidence_gap(&s);
	test_unanswered_at_most_resent(&s);
	test_syn_unanswered_synack_no_state(&s);
	test_syn_unanswered_ports_full(&s);  /* it fills hs_ports */
	test_listener_without_port_slot(&s); /* a new netns */
	test_unread_not_minus1(&s);	     /* a private mount namespace */
	test_listeners_table_full(&s);	     /* last: a new netns */
	ws_handshakes_collector.stop(&s);
	ws_session_listeners_free(&s);
	wirescope_bpf__destroy(skel);
	return unit_exit();
}
