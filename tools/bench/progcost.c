// SPDX-License-Identifier: GPL-2.0
/*
 * Per-packet cost of wirescope's XDP and tc programs against an empty
 * program of the same type loaded in the same run, through
 * BPF_PROG_TEST_RUN (the kernel times `repeat` runs and reports ns/run).
 * Rounds interleave ours and the empty program; the caller is pinned to
 * one CPU.  Prints one JSON line per (hook, path) with median/min/max.
 *
 *   progcost [-r ROUNDS] [-n REPEAT] [-c CPU]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "core.h"
#include "sizes.h"
#include "../../tests/unit/pkt.h"
#include "wirescope.skel.h"
#include "bench_setup.h"

#define MAX_ROUNDS 31

struct path {
	const char *name;
	struct pkt_spec spec;
	unsigned int len_override; /* malformed: cut the frame */
};

static const struct path paths[] = {
	{ "udp4_64B", { .l3 = PKT_IPV4, .l4 = PKT_UDP, .len = 64 } },
	{ "tcp4_data_established",
	  { .l3 = PKT_IPV4,
	    .l4 = PKT_TCP,
	    .len = 200,
	    .sport = 40000,
	    .dport = 80,
	    .tcp_flags = 0x18,
	    .seq = 1000,
	    .ack = 2000 } },
	{ "tcp4_syn",
	  { .l3 = PKT_IPV4,
	    .l4 = PKT_TCP,
	    .len = 74,
	    .dport = 80,
	    .tcp_flags = 0x02,
	    .seq = 1 } },
	{ "tcp4_final_ack",
	  { .l3 = PKT_IPV4,
	    .l4 = PKT_TCP,
	    .len = 66,
	    .sport = 40001,
	    .dport = 80,
	    .tcp_flags = 0x10,
	    .seq = 2,
	    .ack = 2 } },
	{ "tcp4_rst",
	  { .l3 = PKT_IPV4,
	    .l4 = PKT_TCP,
	    .len = 54,
	    .sport = 40000,
	    .dport = 80,
	    .tcp_flags = 0x04,
	    .seq = 1000 } },
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
	    .tcp_flags = 0x10 } },
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

static void measure(const char *hook, int ours, int empty, const struct path *p,
		    int rounds, int repeat)
{
	double a[MAX_ROUNDS], e[MAX_ROUNDS], d[MAX_ROUNDS], r[MAX_ROUNDS];
	static uint8_t frame[2048];
	bool xdp = !strcmp(hook, "xdp");
	unsigned int len = pkt_build(frame, &p->spec);
	int i;

	if (p->len_override) {
		frame[14] = 0x4f; /* ihl 15: past the end of the cut frame */
		len = p->len_override;
	}
	for (i = 0; i < rounds; i++) {
		bench_before_run(p->name, frame, len);
		e[i] = run_ns(empty, frame, len, xdp, repeat);
		a[i] = run_ns(ours, frame, len, xdp, repeat);
		d[i] = a[i] - e[i];
		r[i] = e[i] > 0 ? a[i] / e[i] : 0;
	}
	qsort(a, rounds, sizeof(double), cmp_double);
	qsort(e, rounds, sizeof(double), cmp_double);
	qsort(d, rounds, sizeof(double), cmp_double);
	qsort(r, rounds, sizeof(double), cmp_double);
	printf("{\"hook\":\"%s\",\"path\":\"%s\",\"rounds\":%d,\"repeat\":%d,"
	       "\"ours_ns\":%.1f,\"empty_ns\":%.1f,"
	       "\"extra_ns\":{\"median\":%.1f,\"min\":%.1f,\"max\":%.1f},"
	       "\"ratio\":{\"median\":%.2f,\"min\":%.2f,\"max\":%.2f}}\n",
	       hook, p->name, rounds, repeat, a[rounds / 2], e[rounds / 2],
	       d[rounds / 2], d[0], d[rounds - 1], r[rounds / 2], r[0],
	       r[rounds - 1]);
	fflush(stdout);
}

int main(int argc, char **argv)
{
	int rounds = 5, repeat = 1000000, cpu = 1, c;
	struct wirescope_bpf *skel;
	cpu_set_t set;
	unsigned int i;

	while ((c = getopt(argc, argv, "r:n:c:")) != -1) {
		if (c == 'r')
			rounds = atoi(optarg);
		else if (c == 'n')
			repeat = atoi(optarg);
		else if (c == 'c')
			cpu = atoi(optarg);
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
	bench_enable_all(skel);
	if (wirescope_bpf__load(skel)) {
		fprintf(stderr, "progcost: load: %s\n", strerror(errno));
		return 6;
	}
	bench_prepare(skel);
	int xdp_empty = empty_prog(BPF_PROG_TYPE_XDP, XDP_PASS);
	int tc_empty = empty_prog(BPF_PROG_TYPE_SCHED_CLS, -1);

	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		measure("xdp", bpf_program__fd(skel->progs.ws_xdp_ingress),
			xdp_empty, &paths[i], rounds, repeat);
		measure("tc", bpf_program__fd(skel->progs.ws_tc_egress),
			tc_empty, &paths[i], rounds, repeat);
	}
	wirescope_bpf__destroy(skel);
	return 0;
}
