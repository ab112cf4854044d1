// SPDX-License-Identifier: GPL-2.0
/*
 * Per-packet cost of wirescope's XDP and tc programs (tc_in: the default
 * ingress hook; tc: egress) against an empty
 * program of the same type loaded in the same run, through
 * BPF_PROG_TEST_RUN (the kernel times `repeat` runs and reports ns/run).
 * Rounds interleave ours and the empty program; the caller is pinned to
 * one CPU.  Prints one JSON line per (hook, path) with median/min/max.
 *
 *   progcost [-r ROUNDS] [-n REPEAT] [-c CPU] [-o all|COLLECTOR,...] [-p PATH]
 *
 * -p runs only the paths whose name contains PATH (tcp4_syn: both SYN rows).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stddef.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "core/core.h"
#include "sizes.h"
#include "../../tests/unit/pkt.h"
#include "wirescope.skel.h"
#include "bench_setup.h"

#define MAX_ROUNDS	31
#define DISTINCT_FRAMES 16384 /* per round of a stateful path; < table size */

static const char *collectors = "all";

#define ESTABLISHED                                                            \
	{                                                                      \
		.l3 = PKT_IPV4, .l4 = PKT_TCP, .len = 200, .sport = 40000,     \
		.dport = 80, .tcp_flags = 0x18, .seq = 1000, .ack = 2000       \
	}

struct path {
	const char *name;
	struct pkt_spec spec;
	unsigned int len_override; /* malformed: cut the frame */
	enum bench_state state;	   /* != NONE: repeat 1 on distinct frames */
	const struct pkt_spec
	    *warm; /* run once before each round: a baseline */
};

static const struct pkt_spec established = ESTABLISHED;

/* A SYN to port 80; each distinct-frame run gives it its own 4-tuple. */
#define SYN                                                                    \
	{                                                                      \
		.l3 = PKT_IPV4, .l4 = PKT_TCP, .len = 74, .dport = 80,         \
		.tcp_flags = 0x02, .seq = 1                                    \
	}

/* The RST storm's bare ACK to port 80 (54 B: no padding counted as payload). */
#define BARE_ACK                                                               \
	{                                                                      \
		.l3 = PKT_IPV4, .l4 = PKT_TCP, .len = 54, .dport = 80,         \
		.tcp_flags = 0x10, .seq = 2, .ack = 2                          \
	}

static const struct path paths[] = {
	{ "udp4_64B", { .l3 = PKT_IPV4, .l4 = PKT_UDP, .len = 64 } },
	{ "tcp4_data_established", ESTABLISHED },
	{ "tcp4_data_established_16k_flows", ESTABLISHED, 0, BENCH_ST_FLOWS },
	{ "tcp4_data_established_per_call", ESTABLISHED, 0, BENCH_ST_CALIBRATE,
	  &established },
	{ "tcp4_syn_empty_table", SYN, 0, BENCH_ST_EMPTY },
	{ "tcp4_syn_full_table", SYN, 0, BENCH_ST_FULL },
	{ "tcp4_ack_new_flow", BARE_ACK, 0, BENCH_ST_EMPTY },
	{ "tcp4_ack_new_flow_full_table", BARE_ACK, 0, BENCH_ST_FULL },
	{ "tcp4_final_ack",
	  { .l3 = PKT_IPV4,
	    .l4 = PKT_TCP,
	    .len = 66,
	    .dport = 80,
	    .tcp_flags = 0x10,
	    .seq = 2,
	    .ack = BENCH_SYNACK_ISN + 1 },
	  0,
	  BENCH_ST_HANDSHAKE },
	{ "tcp4_rst",
	  { .l3 = PKT_IPV4,
	    .l4 = PKT_TCP,
	    .len = 54,
	    .sport = 40000,
	    .dport = 80,
	    .tcp_flags = 0x04,
	    .seq = 1000 },
	  0,
	  BENCH_ST_NONE,
	  &established },
	{ "tcp6_data",
	  { .l3 = PKT_IPV6,
	    .l4 = PKT_TCP,
	    .len = 200,
	    .sport = 40000,
	    .dport = 80,
	    .tcp_flags = 0x18 } },
	{ "tcp4_1500B",
	  { .l3 = PKT_IPV4,
	    .l4 = PKT_TCP,
	    .len = 1514,
	    .sport = 40000,
	    .dport = 80,
	    .tcp_flags = 0x10 },
	  0,
	  BENCH_ST_NONE,
	  &established },
	{ "malformed_ihl", { .l3 = PKT_IPV4, .l4 = PKT_TCP, .len = 60 }, 40 },
};

static int empty_prog(enum bpf_prog_type type, int ret)
{
	struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K,
		  .dst_reg = BPF_REG_0,
		  .imm = ret },
		{ .code = BPF_JMP | BPF_EXIT },
	};

	return bpf_prog_load(type, "ws_empty", "GPL", insns, 2, NULL);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double run_ns(int fd, uint8_t *frame, unsigned int len, bool xdp,
		     int repeat)
{
	struct xdp_md xctx = { .data_end = len, .ingress_ifindex = 1 };
	struct __sk_buff sctx = {};
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = frame, .data_size_in = len,
		    .repeat = repeat);

	if (xdp) {
		o.ctx_in = &xctx;
		o.ctx_size_in = sizeof(xctx);
	} else {
		o.ctx_in = &sctx;
		o.ctx_size_in = sizeof(sctx);
	}
	if (bpf_prog_test_run_opts(fd, &o))
		return -1;
	return o.duration;
}

struct sample {
	double ours, empty, extra, ratio;
};

static void sort_col(struct sample *s, int n, size_t off, double *out)
{
	int i;

	for (i = 0; i < n; i++)
		out[i] = *(const double *)((const char *)&s[i] + off);
	qsort(out, n, sizeof(double), cmp_double);
}

/* Same frame @repeat times: the kernel's own per-run average. */
static struct sample steady_round(const struct path *p, int ours, int empty,
				  uint8_t *frame, unsigned int len, bool xdp,
				  int repeat)
{
	static uint8_t warm[2048];
	struct sample s;

	if (p->warm)
		run_ns(ours, warm, pkt_build(warm, p->warm), xdp, 1);
	run_ns(ours, frame, len, xdp, 1);
	s.empty = run_ns(empty, frame, len, xdp, repeat);
	s.ours = run_ns(ours, frame, len, xdp, repeat);
	s.extra = s.ours - s.empty;
	s.ratio = s.empty > 0 ? s.ours / s.empty : 0;
	return s;
}

/*
 * One call per frame, key i in frame i.  A single run's duration includes
 * the test-run timer (two clock reads), the same for both programs: extra is
 * the difference of the means, and ours is extra over the empty program's
 * per-run cost at full repeat, so the ratio compares like with like.
 */
static struct sample distinct_round(struct wirescope_bpf *skel,
				    const struct path *p, int ours, int empty,
				    uint8_t *frame, unsigned int len, bool xdp,
				    bool rx, int repeat, uint16_t base)
{
	double sum_ours = 0, sum_empty = 0;
	struct sample s;
	unsigned int i;

	bench_stage(skel, p->state, frame, len, rx, DISTINCT_FRAMES, base);
	if (p->warm)
		run_ns(ours, frame, len, xdp, 1);
	for (i = 0; i < DISTINCT_FRAMES; i++) {
		if (p->state != BENCH_ST_CALIBRATE)
			bench_key(frame, i, base);
		sum_empty += run_ns(empty, frame, len, xdp, 1);
		sum_ours += run_ns(ours, frame, len, xdp, 1);
	}
	bench_unstage(skel);
	s.empty = run_ns(empty, frame, len, xdp, repeat);
	s.extra = (sum_ours - sum_empty) / DISTINCT_FRAMES;
	s.ours = s.empty + s.extra;
	s.ratio = s.empty > 0 ? s.ours / s.empty : 0;
	return s;
}

/* The counter that proves a stateful path did what it claims, or -1. */
static int check_counter(const struct path *p, bool rx)
{
	if (!bench_on(collectors, "handshakes"))
		return -1;
	if (p->spec.tcp_flags == 0x02)
		return HS_FLOW_INSERTS;
	if (p->state == BENCH_ST_HANDSHAKE)
		return rx ? HS_SERVER_ACKS : HS_CLIENT_DONE;
	return -1;
}

static void measure(struct wirescope_bpf *skel, const char *hook, int ours,
		    int empty, const struct path *p, int rounds, int repeat)
{
	double a[MAX_ROUNDS], e[MAX_ROUNDS], d[MAX_ROUNDS], r[MAX_ROUNDS];
	struct sample smp[MAX_ROUNDS];
	static uint8_t frame[2048];
	bool xdp = !strcmp(hook, "xdp");
	bool rx = strcmp(hook, "tc") != 0; /* tc: egress; xdp, tc_in: ingress */
	unsigned int len = pkt_build(frame, &p->spec);
	int i, counter = check_counter(p, rx);
	uint64_t before = counter >= 0 ? bench_hs_count(skel, counter) : 0;
	static int full_rounds; /* every full-table round needs new keys */

	if (p->len_override) {
		frame[14] = 0x4f; /* ihl 15: past the end of the cut frame */
		len = p->len_override;
	}
	for (i = 0; i < rounds; i++) {
		if (p->state == BENCH_ST_NONE)
			smp[i] = steady_round(p, ours, empty, frame, len, xdp,
					      repeat);
		else
			smp[i] = distinct_round(
			    skel, p, ours, empty, frame, len, xdp, rx, repeat,
			    p->state == BENCH_ST_FULL ? 41000 + full_rounds++
						      : 30000);
	}
	sort_col(smp, rounds, offsetof(struct sample, ours), a);
	sort_col(smp, rounds, offsetof(struct sample, empty), e);
	sort_col(smp, rounds, offsetof(struct sample, extra), d);
	sort_col(smp, rounds, offsetof(struct sample, ratio), r);
	printf("{\"collectors\":\"%s\",\"hook\":\"%s\",\"path\":\"%s\","
	       "\"rounds\":%d,\"repeat\":%d,"
	       "\"method\":\"%s\",\"frames\":%d,"
	       "\"ours_ns\":%.1f,\"empty_ns\":%.1f,"
	       "\"extra_ns\":{\"median\":%.1f,\"min\":%.1f,\"max\":%.1f},"
	       "\"ratio\":{\"median\":%.2f,\"min\":%.2f,\"max\":%.2f}",
	       collectors, hook, p->name, rounds, p->state ? 1 : repeat,
	       p->state ? "distinct" : "repeat", p->state ? DISTINCT_FRAMES : 1,
	       a[rounds / 2], e[rounds / 2], d[rounds / 2], d[0], d[rounds - 1],
	       r[rounds / 2], r[0], r[rounds - 1]);
	if (counter >= 0)
		printf(",\"check\":{\"counter\":\"%s\",\"expected\":%d,"
		       "\"counted\":%llu}",
		       counter == HS_FLOW_INSERTS  ? "flow_inserts"
		       : counter == HS_SERVER_ACKS ? "server_acks"
						   : "client_done",
		       rounds * DISTINCT_FRAMES,
		       (unsigned long long)(bench_hs_count(skel, counter) -
					    before));
	printf("}\n");
	fflush(stdout);
}

int main(int argc, char **argv)
{
	int rounds = 5, repeat = 1000000, cpu = 1, c;
	const char *only = NULL;
	struct wirescope_bpf *skel;
	static uint8_t proto[2048];
	cpu_set_t set;
	unsigned int i;

	while ((c = getopt(argc, argv, "r:n:c:o:p:")) != -1) {
		if (c == 'r')
			rounds = atoi(optarg);
		else if (c == 'n')
			repeat = atoi(optarg);
		else if (c == 'c')
			cpu = atoi(optarg);
		else if (c == 'o')
			collectors = optarg;
		else if (c == 'p')
			only = optarg;
	}
	if (rounds < 1 || rounds > MAX_ROUNDS || repeat < 1) {
		fprintf(stderr, "progcost: bad -r or -n\n");
		return 3;
	}
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
	skel = wirescope_bpf__open();
	if (!skel)
		return 6;
	bench_enable(skel, collectors);
	if (wirescope_bpf__load(skel)) {
		fprintf(stderr, "progcost: load: %s\n", strerror(errno));
		return 6;
	}
	bench_prepare(skel);
	int xdp_empty = empty_prog(BPF_PROG_TYPE_XDP, XDP_PASS);
	int tc_empty = empty_prog(BPF_PROG_TYPE_SCHED_CLS, -1);

	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		if (only && !strstr(paths[i].name, only))
			continue;
		if (paths[i].state == BENCH_ST_FULL)
			bench_fill(skel, proto,
				   pkt_build(proto, &paths[i].spec));
		measure(skel, "xdp",
			bpf_program__fd(skel->progs.ws_xdp_ingress), xdp_empty,
			&paths[i], rounds, repeat);
		measure(skel, "tc_in",
			bpf_program__fd(skel->progs.ws_tc_ingress), tc_empty,
			&paths[i], rounds, repeat);
		measure(skel, "tc", bpf_program__fd(skel->progs.ws_tc_egress),
			tc_empty, &paths[i], rounds, repeat);
	}
	wirescope_bpf__destroy(skel);
	return 0;
}
