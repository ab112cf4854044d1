// SPDX-License-Identifier: GPL-2.0
/*
 * Hostile frames through the real data-plane programs (BPF_PROG_TEST_RUN):
 * valid IPv4/IPv6 TCP/UDP, VLAN, IPv6 extension headers and ARP frames,
 * mutated with flipped bits, cuts at every length, bogus ihl/doff/IPv6
 * next-headers and odd TCP options, plus pure noise.  With every collector
 * switched on, each program must return PASS (XDP_PASS, TC_ACT_UNSPEC),
 * hand the frame back byte for byte, and count every frame in exactly one
 * size bucket (or, without a counter slot, in the health counter).
 *
 *   WS_FUZZ_SEED=N   replay a run (the seed is printed first)
 *   WS_FUZZ_FRAMES=N frames per program (default 200000)
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "unit.h"
#include "pkt.h"
#include "core/core.h"
#include "core/procfs.h"
#include "collectors/sizes_collector.h"
#include "collectors/handshakes_collector.h"
#include "collectors/resets_collector.h"
#include "collectors/retrans_collector.h"
#include "collectors/sndbuf_collector.h"
#include "collectors/hoststat_collector.h"
#include "sizes.h"
#include "handshakes.h"
#include "resets.h"
#include "parse.h"
#include "health.h"
#include "wirescope.skel.h"
#include "sizes_maps.h"

#define MAX_FRAME    3000 /* test runs refuse frames much over a page */
#define TC_UNSPEC    ((uint32_t)-1)
#define MAX_REPORTED 5

#define RST_TEST_RATE 100000 /* events a second per CPU: few rate-limited */

static struct ring_buffer *rb;
static unsigned long rst_events;

/*
 * Every collector flag (bpf/<collector>.bpf.h) switched on, as `diag` would,
 * with the maps at their default sizes.  The counter checks below are the
 * sizes collector's; the others must simply never change a verdict.  resets
 * treats lo (where test runs happen) as any device, as test_resets does, so
 * its flow table and options parsing see every frame, not only RSTs.
 */
static void enable_all_collectors(struct wirescope_bpf *skel)
{
	skel->rodata->sizes_enabled = true;
	skel->rodata->handshakes_enabled = true;
	skel->rodata->accept_enabled = true;
	skel->rodata->retrans_enabled = true;
	skel->rodata->resets_enabled = true;
	skel->rodata->resets_lo_ifindex = 0;
	skel->rodata->resets_rate = RST_TEST_RATE;
	skel->rodata->resets_burst = RST_TEST_RATE / 2;
	skel->rodata->resets_tick_ns = ws_kernel_tick_ns();
	skel->rodata->resets_gate_segs = RST_GATE_SEGS_DEFAULT;
	skel->rodata->resets_reap_after = RST_FLOWS_DEFAULT / 2 / ncpus;
}

static int count_event(void *ctx, void *data, size_t len)
{
	rst_events++;
	return 0;
}

static uint64_t rng_state;

static uint64_t rnd(void)
{
	/* xorshift64*: fast, and the same sequence for the same seed. */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545F4914F6CDD1DULL;
}

static unsigned int rnd_below(unsigned int n)
{
	return n ? (unsigned int)(rnd() % n) : 0;
}

/* What one program should have counted: a histogram of frame lengths. */
struct expect {
	uint64_t packets, bytes, small;
	uint64_t bucket[WS_SIZE_NBUCKETS];
};

static void expect_frame(struct expect *e, unsigned int len)
{
	e->packets++;
	e->bytes += len;
	e->small += len < 128;
	e->bucket[expected_bucket(len)]++;
}

/* Frame templates ------------------------------------------------------- */

enum tmpl {
	T_IPV4_TCP,
	T_IPV4_TCP_OPTS,
	T_IPV4_UDP,
	T_IPV4_FRAG,
	T_IPV6_TCP,
	T_IPV6_UDP,
	T_IPV6_EXT_TCP,
	T_IPV6_FRAG_UDP,
	T_VLAN_IPV4_TCP,
	T_QINQ_IPV6_UDP,
	T_ARP,
	T_RAW,
	T_NTEMPLATES,
};

/* Insert @n bytes at @off of a frame of @len (buffer >= MAX_FRAME). */
static unsigned int insert(uint8_t *f, unsigned int len, unsigned int off,
			   const uint8_t *bytes, unsigned int n)
{
	if (len + n > MAX_FRAME)
		return len;
	memmove(f + off + n, f + off, len - off);
	memcpy(f + off, bytes, n);
	return len + n;
}

static unsigned int add_vlans(uint8_t *f, unsigned int len, int n)
{
	uint8_t tag[4] = { 0, 7, f[12], f[13] };

	len = insert(f, len, 14, tag, 4);
	put16(f + 12, 0x8100);
	if (n == 2) {
		tag[2] = 0x81;
		tag[3] = 0x00;
		len = insert(f, len, 14, tag, 4);
		put16(f + 12, 0x88a8);
	}
	return len;
}

/* Hop-by-hop, routing and destination options before the L4 header. */
static unsigned int add_ipv6_exts(uint8_t *f, unsigned int len, bool frag)
{
	uint8_t ext[8 * 4] = { 0 };
	uint8_t l4 = f[14 + 6];
	unsigned int n;

	if (frag) {
		ext[0] = l4;
		put16(ext + 2, rnd_below(2) ? 0 : 0x0101); /* first or not */
		f[14 + 6] = 44;
		n = 8;
	} else {
		ext[0] = 43; /* hop-by-hop -> routing (16 B) -> dest opts */
		ext[8] = 60;
		ext[9] = 1;
		ext[24] = l4;
		f[14 + 6] = 0;
		n = 32;
	}
	return insert(f, len, 14 + 40, ext, n);
}

/* A valid frame of template @t, padded to a random length. */
static unsigned int build_template(uint8_t *f, enum tmpl t)
{
	static const uint16_t sizes[] = {
		0,   60,  64,  65,   127,  128,	 255,
		256, 511, 512, 1023, 1024, 1518, 1519
	};
	struct pkt_spec s = {
		.sport = (uint16_t)rnd(),
		.dport = (uint16_t)rnd(),
		.seq = (uint32_t)rnd(),
		.tcp_flags = (uint8_t)rnd(),
		.ip_id = (uint16_t)rnd(),
	};
	unsigned int len;

	s.len = rnd_below(2) ? sizes[rnd_below(sizeof(sizes) / 2)]
			     : 60 + rnd_below(MAX_FRAME - 200);
	switch (t) {
	case T_IPV4_TCP:
	case T_VLAN_IPV4_TCP:
		s.l3 = PKT_IPV4, s.l4 = PKT_TCP;
		break;
	case T_IPV4_TCP_OPTS:
		s.l3 = PKT_IPV4, s.l4 = PKT_TCP;
		s.tcp_opts_len = 4 * rnd_below(11);
		break;
	case T_IPV4_UDP:
	case T_IPV4_FRAG:
		s.l3 = PKT_IPV4, s.l4 = PKT_UDP;
		break;
	case T_IPV6_TCP:
	case T_IPV6_EXT_TCP:
		s.l3 = PKT_IPV6, s.l4 = PKT_TCP;
		break;
	case T_IPV6_UDP:
	case T_IPV6_FRAG_UDP:
	case T_QINQ_IPV6_UDP:
		s.l3 = PKT_IPV6, s.l4 = PKT_UDP;
		break;
	case T_ARP:
		s.l3 = PKT_ARP;
		break;
	default:
		s.l3 = PKT_RAW;
		break;
	}
	len = pkt_build(f, &s);
	if (t == T_IPV4_TCP_OPTS && s.tcp_opts_len) {
		/* Real option kinds: MSS, WS, SACK-permitted, timestamps. */
		static const uint8_t opts[] = {
			2,  4, 5, 180, 3, 3, 7, 4, 2, 8,
			10, 1, 2, 3,   4, 5, 6, 7, 8, 0
		};
		memcpy(f + 54, opts,
		       s.tcp_opts_len < sizeof(opts) ? s.tcp_opts_len
						     : sizeof(opts));
	}
	if (t == T_IPV4_FRAG)
		put16(f + 14 + 6, rnd_below(2) ? 0x2000 : 0x00b9);
	if (t == T_IPV6_EXT_TCP || t == T_IPV6_FRAG_UDP)
		len = add_ipv6_exts(f, len, t == T_IPV6_FRAG_UDP);
	if (t == T_VLAN_IPV4_TCP || t == T_QINQ_IPV6_UDP)
		len = add_vlans(f, len, t == T_QINQ_IPV6_UDP ? 2 : 1);
	return len;
}

/* Mutations ------------------------------------------------------------- */

static unsigned int l3_off(const uint8_t *f, unsigned int len)
{
	unsigned int off = 14;
	uint16_t proto = len >= 14 ? ws_get16(f + 12) : 0;

	while ((proto == 0x8100 || proto == 0x88a8) && off + 4 <= len) {
		proto = ws_get16(f + off + 2);
		off += 4;
	}
	return off;
}

static void flip_bits(uint8_t *f, unsigned int len)
{
	int n = 1 + rnd_below(8);

	while (n--) {
		unsigned int bit = rnd_below(len * 8);

		f[bit / 8] ^= 1u << (bit % 8);
	}
}

/* A bogus ihl, IPv6 next header or extension-header length. */
static void bogus_l3(uint8_t *f, unsigned int len)
{
	static const uint8_t nexthdrs[] = { 0, 43, 44, 60, 6, 17, 59, 255 };
	unsigned int off = l3_off(f, len);

	if (off + 40 > len)
		return;
	if ((f[off] >> 4) == 4) {
		f[off] = 0x40 | rnd_below(16);
	} else {
		f[off + 6] = nexthdrs[rnd_below(sizeof(nexthdrs))];
		f[off + 40] = nexthdrs[rnd_below(sizeof(nexthdrs))];
		f[off + 41] = (uint8_t)rnd(); /* extension length */
	}
}

/* A bogus TCP data offset, or options with odd kinds and lengths. */
static void bogus_tcp(uint8_t *f, unsigned int len)
{
	unsigned int off = l3_off(f, len), l4, i;

	if (off + 20 > len)
		return;
	l4 = off + ((f[off] >> 4) == 6 ? 40 : (f[off] & 0x0f) * 4);
	if (l4 + 20 > len)
		return;
	if (rnd_below(2)) {
		f[l4 + 12] = (uint8_t)(rnd_below(16) << 4);
		return;
	}
	f[l4 + 12] = (uint8_t)((5 + rnd_below(11)) << 4);
	for (i = l4 + 20; i < l4 + 60 && i < len; i++) {
		static const uint8_t odd[] = { 0, 1, 2, 255, 3, 8, 30, 254 };

		f[i] =
		    rnd_below(2) ? odd[rnd_below(sizeof(odd))] : (uint8_t)rnd();
	}
}

static void noise(uint8_t *f, unsigned int from, unsigned int len)
{
	unsigned int i;

	for (i = from; i < len; i++)
		f[i] = (uint8_t)rnd();
}

/* A frame of at least 14 bytes (the kernel refuses shorter test input). */
static unsigned int next_frame(uint8_t *f)
{
	unsigned int len = build_template(f, rnd_below(T_NTEMPLATES));
	int rounds = 1 + (rnd_below(4) == 0);

	while (rounds--) {
		switch (rnd_below(8)) {
		case 0:
			break; /* valid */
		case 1:
			flip_bits(f, len);
			break;
		case 2:
			len = 14 + rnd_below(len - 13);
			break;
		case 3:
			bogus_l3(f, len);
			break;
		case 4:
			bogus_tcp(f, len);
			break;
		case 5:
			noise(f, l3_off(f, len), len);
			break;
		case 6:
			len = 14 + rnd_below(MAX_FRAME - 13);
			noise(f, 0, len);
			break;
		default:
			bogus_l3(f, len);
			bogus_tcp(f, len);
			break;
		}
	}
	return len;
}

/* Running the programs -------------------------------------------------- */

struct tally {
	const char *prog;
	unsigned long run, refused, bad_verdict, changed;
};

static uint8_t frame[MAX_FRAME + 64], out[MAX_FRAME + 512];

/*
 * Test runs of tc programs refuse an IPv4/IPv6 EtherType without room for
 * that header; anything else refused is a failure.
 */
static bool refusal_expected(bool tc, unsigned int len)
{
	uint16_t proto = ws_get16(frame + 12);

	return tc && ((proto == 0x0800 && len < 14 + 20) ||
		      (proto == 0x86dd && len < 14 + 40));
}

static void report(struct tally *t, const char *what, unsigned long n,
		   unsigned int len)
{
	if (n <= MAX_REPORTED)
		fprintf(stderr, "  %s: %s (frame %lu, %u bytes)\n", t->prog,
			what, t->run + t->refused, len);
}

/* Run one frame; true if the program ran (and so must have counted it). */
static bool run_one(struct bpf_program *prog, struct tally *t, bool tc,
		    unsigned int len, uint32_t segs, uint32_t mss)
{
	struct xdp_md xctx = { .data_end = len, .ingress_ifindex = LO_IFINDEX };
	struct __sk_buff sctx = { .gso_segs = segs, .gso_size = mss };
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame,
		    .data_size_in = len, .data_out = out,
		    .data_size_out = sizeof(out), .repeat = 1);
	uint32_t pass = tc ? TC_UNSPEC : XDP_PASS;

	opts.ctx_in = tc ? (void *)&sctx : (void *)&xctx;
	opts.ctx_size_in = tc ? sizeof(sctx) : sizeof(xctx);
	if (bpf_prog_test_run_opts(bpf_program__fd(prog), &opts)) {
		t->refused++;
		if (errno != EINVAL || !refusal_expected(tc, len))
			report(t, strerror(errno), ++t->bad_verdict, len);
		return false;
	}
	t->run++;
	/* Keep the RST ring from filling, so every RST reaches the options. */
	ring_buffer__consume(rb);
	if (opts.retval != pass)
		report(t, "verdict is not PASS", ++t->bad_verdict, len);
	if (opts.data_size_out != len || memcmp(out, frame, len))
		report(t, "frame changed", ++t->changed, len);
	return true;
}

/* Watch lo in slot 0 (@watch), or not at all: slot value 0. */
static int watch_lo(bool watch)
{
	uint32_t ifindex = LO_IFINDEX, none = 0;

	if (watch)
		return sizes_set_slot(skel, LO_IFINDEX, 0);
	return bpf_map_update_elem(bpf_map__fd(skel->maps.sizes_slot_of),
				   &ifindex, &none, BPF_ANY)
		   ? -errno
		   : 0;
}

static uint64_t hs_flow_inserts(void)
{
	struct hs_stats st;
	uint32_t zero = 0;

	ws_percpu_sum_u64(bpf_map__fd(skel->maps.hs_stats), &zero, ncpus,
			  (uint64_t *)&st, sizeof(st) / 8);
	return st.count[HS_FLOW_INSERTS];
}

static void check_tally(const struct tally *t)
{
	CHECK(t->bad_verdict == 0, "%s: %lu frames without a PASS verdict",
	      t->prog, t->bad_verdict);
	CHECK(t->changed == 0, "%s: %lu frames changed", t->prog, t->changed);
}

/* The counters moved by exactly what the frames run say, bucket by bucket. */
static void check_counts(const char *dir, const struct sizes_counters *a,
			 const struct sizes_counters *b, const struct expect *e)
{
	uint64_t sum = 0;
	int k;

	CHECK(b->packets - a->packets == e->packets,
	      "%s packets: %llu counted, %llu run", dir,
	      (unsigned long long)(b->packets - a->packets),
	      (unsigned long long)e->packets);
	CHECK_EQ(b->bytes - a->bytes, e->bytes, "bytes");
	CHECK_EQ(b->small - a->small, e->small, "small");
	for (k = 0; k < WS_SIZE_NBUCKETS; k++) {
		sum += b->bucket[k] - a->bucket[k];
		CHECK_EQ(b->bucket[k] - a->bucket[k], e->bucket[k], "bucket");
	}
	CHECK_EQ(sum, e->packets, "sum of buckets");
}

/* Random and mutated frames, through XDP and both tc programs. */
static void test_random_frames(unsigned long n)
{
	struct tally xdp = { "ws_xdp_ingress" }, egress = { "ws_tc_egress" },
		     ingress = { "ws_tc_ingress" };
	struct sizes_counters rx0, tx0, rx1, tx1;
	struct expect rx = { 0 }, tx = { 0 };
	unsigned long i;
	unsigned int len;
	char name[96];

	snprintf(name, sizeof(name),
		 "%lu random and mutated frames: PASS, unchanged, counted "
		 "once",
		 n);
	case_begin(name);
	read_counters(WS_RX, &rx0);
	read_counters(WS_TX, &tx0);
	for (i = 0; i < n; i++) {
		len = next_frame(frame);
		if (run_one(skel->progs.ws_xdp_ingress, &xdp, false, len, 0, 0))
			expect_frame(&rx, len);
		if (run_one(skel->progs.ws_tc_egress, &egress, true, len, 0, 0))
			expect_frame(&tx, len);
		if (run_one(skel->progs.ws_tc_ingress, &ingress, true, len, 0,
			    0))
			expect_frame(&rx, len);
	}
	read_counters(WS_RX, &rx1);
	read_counters(WS_TX, &tx1);
	check_tally(&xdp);
	check_tally(&egress);
	check_tally(&ingress);
	check_counts("rx", &rx0, &rx1, &rx);
	check_counts("tx", &tx0, &tx1, &tx);
	CHECK(xdp.run >= n * 9 / 10, "only %lu of %lu XDP runs", xdp.run, n);
	/* The TCP collectors really ran: the verifier kept their code. */
	CHECK(n < 1000 || rst_events, "resets reported no RST");
	CHECK(n < 1000 || hs_flow_inserts(), "handshakes inserted no flow");
	fprintf(stderr,
		"# %lu frames: xdp %lu run, tc egress %lu run + %lu "
		"refused, tc ingress %lu run + %lu refused; %lu RST events, "
		"%llu handshake flows\n",
		n, xdp.run, egress.run, egress.refused, ingress.run,
		ingress.refused, rst_events,
		(unsigned long long)hs_flow_inserts());
	case_end();
}

/* Every valid template cut at every length up to 200 bytes. */
static void test_every_cut(void)
{
	struct tally xdp = { "ws_xdp_ingress" }, egress = { "ws_tc_egress" };
	struct sizes_counters rx0, tx0, rx1, tx1;
	struct expect rx = { 0 }, tx = { 0 };
	uint8_t whole[MAX_FRAME + 64];
	unsigned int t, full, len;

	case_begin("every template cut at every length 14..200");
	read_counters(WS_RX, &rx0);
	read_counters(WS_TX, &tx0);
	for (t = 0; t < T_NTEMPLATES; t++) {
		full = build_template(whole, t);
		for (len = 14; len <= full && len <= 200; len++) {
			memcpy(frame, whole, len);
			if (run_one(skel->progs.ws_xdp_ingress, &xdp, false,
				    len, 0, 0))
				expect_frame(&rx, len);
			if (run_one(skel->progs.ws_tc_egress, &egress, true,
				    len, 0, 0))
				expect_frame(&tx, len);
		}
	}
	read_counters(WS_RX, &rx1);
	read_counters(WS_TX, &tx1);
	check_tally(&xdp);
	check_tally(&egress);
	check_counts("rx", &rx0, &rx1, &rx);
	check_counts("tx", &tx0, &tx1, &tx);
	case_end();
}

/*
 * GSO super-packets with random segment counts and sizes over hostile
 * headers: the packet count is gso_segs, every segment in one bucket.
 */
static void test_random_gso(unsigned long n)
{
	struct tally egress = { "ws_tc_egress" };
	struct sizes_counters tx0, tx1;
	uint64_t want = 0, sum = 0;
	unsigned long i;
	uint32_t segs;
	unsigned int len;
	int k;

	case_begin("random GSO super-packets: packets = gso_segs");
	read_counters(WS_TX, &tx0);
	for (i = 0; i < n; i++) {
		len = next_frame(frame);
		segs = 2 + rnd_below(63);
		if (run_one(skel->progs.ws_tc_egress, &egress, true, len, segs,
			    1 + rnd_below(9000)))
			want += segs;
	}
	read_counters(WS_TX, &tx1);
	check_tally(&egress);
	for (k = 0; k < WS_SIZE_NBUCKETS; k++)
		sum += tx1.bucket[k] - tx0.bucket[k];
	CHECK_EQ(tx1.packets - tx0.packets, want, "packets");
	CHECK_EQ(sum, want, "sum of buckets");
	case_end();
}

/*
 * Without a counter slot nothing is counted silently: every frame shows
 * in sizes_no_slot, and no counter moves.
 */
static void test_no_slot(unsigned long n)
{
	struct tally xdp = { "ws_xdp_ingress" }, ingress = { "ws_tc_ingress" };
	struct sizes_counters rx0, rx1;
	uint64_t before, ran = 0;
	unsigned long i;
	unsigned int len;

	case_begin("frames without a counter slot: all in sizes_no_slot");
	CHECK(!watch_lo(false), "unwatch lo: %s", strerror(errno));
	read_counters(WS_RX, &rx0);
	before = health(WS_H_SIZES_NO_SLOT);
	for (i = 0; i < n; i++) {
		len = next_frame(frame);
		ran +=
		    run_one(skel->progs.ws_xdp_ingress, &xdp, false, len, 0, 0);
		ran += run_one(skel->progs.ws_tc_ingress, &ingress, true, len,
			       0, 0);
	}
	read_counters(WS_RX, &rx1);
	check_tally(&xdp);
	check_tally(&ingress);
	CHECK_EQ(health(WS_H_SIZES_NO_SLOT) - before, ran, "sizes_no_slot");
	CHECK_EQ(rx1.packets - rx0.packets, 0, "counted without a slot");
	CHECK(!watch_lo(true), "watch lo: %s", strerror(errno));
	case_end();
}

static unsigned long env_ulong(const char *name, unsigned long def)
{
	const char *v = getenv(name);

	return v && *v ? strtoul(v, NULL, 0) : def;
}

int main(void)
{
	unsigned long frames = env_ulong("WS_FUZZ_FRAMES", 200000);
	uint64_t seed = env_ulong("WS_FUZZ_SEED", (unsigned long)time(NULL));

	printf("# seed %llu (replay: WS_FUZZ_SEED=%llu)\n",
	       (unsigned long long)seed, (unsigned long long)seed);
	rng_state = seed ? seed : 1;
	ncpus = libbpf_num_possible_cpus();
	skel = wirescope_bpf__open();
	if (!skel) {
		printf("not ok - open skeleton: %s\n", strerror(errno));
		return 1;
	}
	enable_all_collectors(skel);
	if (wirescope_bpf__load(skel)) {
		printf("not ok - load skeleton: %s\n", strerror(errno));
		return 1;
	}
	if (watch_lo(true)) {
		printf("not ok - watch lo: %s\n", strerror(errno));
		return 1;
	}
	rb = ring_buffer__new(bpf_map__fd(skel->maps.rst_events), count_event,
			      NULL, NULL);
	if (!rb) {
		printf("not ok - RST ring buffer: %s\n", strerror(errno));
		return 1;
	}
	test_random_frames(frames);
	test_every_cut();
	test_random_gso(frames / 5);
	test_no_slot(frames / 20);
	ring_buffer__free(rb);
	wirescope_bpf__destroy(skel);
	return unit_exit();
}
