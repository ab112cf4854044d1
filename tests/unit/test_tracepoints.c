// SPDX-License-Identifier: GPL-2.0
/*
 * The session core's optional-tracepoint machinery (user/session.c): which
 * kernel event a program's section names, the test-only switch that makes
 * a tracepoint look absent so a command must degrade without it, and how a
 * collector learns whether its program runs.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/libbpf.h>
#include "unit.h"
#include "core/core.h"
#include "wirescope.skel.h"

static void check_event(const char *sec, const char *want)
{
	const char *got = ws_tp_event(sec);

	CHECK(want ? got && !strcmp(got, want) : !got,
	      "'%s': got '%s', expected '%s'", sec, got ? got : "(none)",
	      want ? want : "(none)");
}

static void test_event_names(void)
{
	case_begin("tracepoint event named by each section kind");
	check_event("tp_btf/kfree_skb", "kfree_skb");
	check_event("raw_tp/tcp_retransmit_synack", "tcp_retransmit_synack");
	check_event("raw_tracepoint/sched_switch", "sched_switch");
	check_event("tp/sock/inet_sock_set_state", "inet_sock_set_state");
	check_event("tracepoint/skb/kfree_skb", "kfree_skb");
	check_event("xdp", NULL);
	check_event("tc", NULL);
	check_event("kprobe/tcp_v4_connect", NULL);
	check_event("tp_btf/", NULL);
	check_event("tp/sock/", NULL);
	case_end();
}

static void test_switch(void)
{
	case_begin("WIRESCOPE_TEST_NO_TP, --skip-tracepoint: names, lists, '*'");
	unsetenv("WIRESCOPE_TEST_NO_TP");
	CHECK(!ws_tp_test_missing("kfree_skb"), "unset");
	setenv("WIRESCOPE_TEST_NO_TP", "kfree_skb", 1);
	CHECK(ws_tp_test_missing("kfree_skb"), "single name");
	CHECK(!ws_tp_test_missing("kfree"), "prefix of a name");
	CHECK(!ws_tp_test_missing("skb"), "suffix of a name");
	setenv("WIRESCOPE_TEST_NO_TP", "tcp_retransmit_synack,kfree_skb", 1);
	CHECK(ws_tp_test_missing("kfree_skb"), "last in a list");
	CHECK(ws_tp_test_missing("tcp_retransmit_synack"), "first in a list");
	CHECK(!ws_tp_test_missing("inet_sock_set_state"), "not listed");
	setenv("WIRESCOPE_TEST_NO_TP", "*", 1);
	CHECK(ws_tp_test_missing("inet_sock_set_state"), "'*'");
	unsetenv("WIRESCOPE_TEST_NO_TP");
	CHECK(!ws_tp_listed(NULL, "kfree_skb"), "no --skip-tracepoint");
	CHECK(ws_tp_listed("kfree_skb,tcp_send_reset", "tcp_send_reset"),
	      "--skip-tracepoint list");
	CHECK(!ws_tp_listed("tcp_send_reset", "tcp_send"), "prefix");
	case_end();
}

/*
 * Links are what the session holds for attached programs; a program that
 * did not attach has none.  (XDP on lo of a private network namespace
 * stands in for a tracepoint link: the lookup is the same.)
 */
static void test_prog_active(void)
{
	struct ws_session s = { 0 };
	struct bpf_link *link;

	case_begin("ws_session_prog_active: true only for attached programs");
	if (unshare(CLONE_NEWNET)) {
		CHECK(0, "unshare: %s", strerror(errno));
		case_end();
		return;
	}
	s.skel = wirescope_bpf__open_and_load();
	CHECK(s.skel, "load: %s", strerror(errno));
	if (!s.skel) {
		case_end();
		return;
	}
	CHECK(!ws_session_prog_active(&s, s.skel->progs.ws_xdp_ingress),
	      "active before attach");
	link = bpf_program__attach_xdp(s.skel->progs.ws_xdp_ingress, 1);
	CHECK(link, "attach: %s", strerror(errno));
	if (link)
		s.links[s.n_links++] = link;
	CHECK(ws_session_prog_active(&s, s.skel->progs.ws_xdp_ingress),
	      "attached program not active");
	CHECK(!ws_session_prog_active(&s, s.skel->progs.ws_tc_egress),
	      "program without a link active");
	bpf_link__destroy(link);
	wirescope_bpf__destroy(s.skel);
	case_end();
}

int main(void)
{
	test_event_names();
	test_switch();
	test_prog_active();
	return unit_exit();
}
