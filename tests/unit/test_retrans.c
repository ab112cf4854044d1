// SPDX-License-Identifier: GPL-2.0
/*
 * The retrans collector through its session hooks, in a network namespace
 * of its own: what it reports covers the run, from its start, as the
 * kernel's Tcp counters it is set against do.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <sched.h>
#include <sys/mount.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "unit.h"
#include "findings_util.h"
#include "core/core.h"
#include "collectors/retrans_collector.h"
#include "retrans.h"
#include "wirescope.skel.h"

static struct wirescope_bpf *skel;
static int ncpus;

/* Every CPU's totals: @segs resends on CPU 0, none elsewhere. */
static int set_totals(uint64_t segs)
{
	struct retrans_total *v = calloc(ncpus, sizeof(*v));
	uint32_t zero = 0;
	int err;

	if (!v)
		return -ENOMEM;
	v[0] = (struct retrans_total){ .events = segs, .segs = segs };
	err = bpf_map_update_elem(bpf_map__fd(skel->maps.retrans_totals), &zero,
				  v, BPF_ANY);
	free(v);
	return err;
}

/* At least @n segments out on lo: one byte at a time, no Nagle. */
static int send_segments(int n)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int l, c, p, on = 1, i, err = -1;
	char b;

	l = socket(AF_INET, SOCK_STREAM, 0);
	c = socket(AF_INET, SOCK_STREAM, 0);
	if (l < 0 || c < 0 || bind(l, (struct sockaddr *)&a, sizeof(a)) ||
	    listen(l, 1) || getsockname(l, (struct sockaddr *)&a, &len) ||
	    connect(c, (struct sockaddr *)&a, sizeof(a)))
		goto out;
	p = accept(l, NULL, NULL);
	if (p < 0)
		goto out;
	setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
	for (i = 0; i < n; i++) /* each one read before the next goes */
		if (write(c, "x", 1) != 1 || read(p, &b, 1) != 1)
			break;
	err = i == n ? 0 : -1;
	close(p);
out:
	close(c);
	close(l);
	return err;
}

/*
 * 1000 resends counted after the tracepoint attached but before the
 * collector started: not this run's.  50 more during it, against the
 * run's OutSegs: retrans_segs is 50.
 */
static void test_counts_from_start(struct ws_session *s)
{
	struct ws_findings f = { 0 };
	const struct ws_finding *x;

	case_begin("retrans: the run's resends, from the collector's start");
	CHECK(!set_totals(1000), "totals before the start");
	CHECK(!ws_retrans_collector.start(s), "start");
	CHECK(!send_segments(600), "traffic on lo");
	CHECK(!set_totals(1050), "totals during the run");
	CHECK(!ws_retrans_collector.sample(s), "sample");
	ws_retrans_collector.findings(s, &f);
	x = find(&f, "tcp_retransmits");
	CHECK(x, "a tcp_retransmits finding");
	CHECK_EQ(evidence(x, "retrans_segs"), 50, "retrans_segs");
	CHECK_EQ(evidence(x, "retrans_events"), 50, "retrans_events");
	CHECK(evidence(x, "out_segs") >= 600, "out_segs %g",
	      evidence(x, "out_segs"));
	case_end();
}

/* An empty tmpfs over /proc/net (ours), in a mount namespace of our own. */
static int hide_proc_net(void)
{
	if (unshare(CLONE_NEWNS) ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL))
		return -1;
	return mount("none", "/proc/net", "tmpfs", 0, NULL);
}

/* The RETR/s column of a run without the tracepoint, from start to now. */
static double untraced_retrans_col(struct ws_session *traced_s)
{
	struct ws_session s = *traced_s;
	struct ws_diag_cols c = { 0 };

	s.n_links = 0; /* tcp:tcp_retransmit_skb off: TcpRetransSegs counts */
	if (ws_retrans_collector.start(&s) || ws_retrans_collector.sample(&s))
		return -1;
	ws_retrans_collector.diag_cols(&s, 1, &c);
	return c.retrans;
}

/*
 * Without the tracepoint, RETR/s is TcpRetransSegs' rate: with
 * /proc/net/snmp unreadable all along it is unknown (NAN, '-' in diag's
 * table), not 0 resends; readable, it is a number.
 */
static void test_retrans_col_unread(struct ws_session *s)
{
	const char *name =
	    "retrans: RETR/s unknown when TcpRetransSegs never read";
	double v;

	v = untraced_retrans_col(s);
	if (hide_proc_net()) {
		case_skip(name, "no private mount namespace");
		return;
	}
	case_begin(name);
	CHECK(!isnan(v) && v >= 0, "snmp readable: RETR/s %g", v);
	v = untraced_retrans_col(s);
	umount("/proc/net");
	CHECK(isnan(v), "snmp hidden: RETR/s %g, not unknown", v);
	case_end();
}

/* tracefs lists tcp:tcp_retransmit_skb (mounted at either place). */
static bool tracepoint_listed(void)
{
	return !access("/sys/kernel/tracing/events/tcp/tcp_retransmit_skb",
		       F_OK) ||
	       !access(
		   "/sys/kernel/debug/tracing/events/tcp/tcp_retransmit_skb",
		   F_OK);
}

int main(void)
{
	struct ws_opts o;
	struct ws_session s = { .o = &o };
	struct bpf_link *l;
	int err;

	if (geteuid() || unshare(CLONE_NEWNET) || system("ip link set lo up")) {
		case_skip("retrans", "needs root and a network namespace");
		return unit_exit();
	}
	ws_opts_init(&o);
	ncpus = libbpf_num_possible_cpus();
	skel = wirescope_bpf__open();
	s.skel = skel;
	s.ncpus = ncpus;
	if (!skel || ws_retrans_collector.configure(&s) ||
	    wirescope_bpf__load(skel)) {
		printf("not ok - open, configure, load: %s\n", strerror(errno));
		return 1;
	}
	l = bpf_program__attach(skel->progs.ws_tcp_retransmit);
	err = errno;
	if (!l) {
		/* Every kernel we support has it: only its absence skips. */
		if (tracepoint_listed())
			printf("not ok - attach tcp:tcp_retransmit_skb: %s\n",
			       strerror(err));
		else
			case_skip("retrans", "no tcp:tcp_retransmit_skb");
		wirescope_bpf__destroy(skel);
		return unit_exit();
	}
	s.links[s.n_links++] = l;
	test_counts_from_start(&s);
	test_retrans_col_unread(&s); /* last: a private mount namespace */
	bpf_link__destroy(l);
	wirescope_bpf__destroy(skel);
	return unit_exit();
}
