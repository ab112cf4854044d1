// SPDX-License-Identifier: GPL-2.0
/*
 * The seed's NAT seen from the server end of a masqueraded flow: the RST
 * comes from this link from the peer's own address (a NAT), while the
 * peer's packets come from 2 hops behind it.  The summary and diag name
 * that address as the device, not a device "before" it.  Its own binary:
 * the reset groups are per process, and test_verdict fills them.
 */
#define _GNU_SOURCE
#include <math.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include "unit.h"
#include "collectors/resets_collector.h"
#include "collectors/resets_int.h"
#include "core/findings.h"
#include "findings_util.h"

static const struct rst_event received = { .dir = WS_RX };

/*
 * A middlebox's RST from @peer's flow, @hops away and @before hops before
 * the peer (-1: unknown), after @idle s idle both ways (-1: unmeasured).
 */
static struct rst_row middlebox_row(const char *peer, int hops, int before,
				    double idle)
{
	struct rst_row r = { .e = &received,
			     .idle_s = idle,
			     .idle_rx_s = idle,
			     .idle_tx_s = idle };

	r.res =
	    (struct rst_result){ .verdict = RV_MIDDLEBOX,
				 .conf = RC_HIGH,
				 .hops = hops,
				 .peer_hops = before < 0 ? -1 : hops + before,
				 .hops_before_peer = before,
				 .hop = -1 };
	snprintf(r.peer, sizeof(r.peer), "%s", peer);
	return r;
}

static void record_middlebox(struct ws_session *s, const char *peer,
			     const char *hop_addr)
{
	struct rst_row r = middlebox_row(peer, 0, 2, 5);

	r.idle_tx_s = 0.01;
	r.triggered = true;
	snprintf(r.hop_addr, sizeof(r.hop_addr), "%s", hop_addr);
	rst_record(s, &r);
}

static void test_nat_origin(void)
{
	struct ws_opts o = { 0 };
	struct ws_session s = { .o = &o };
	struct ws_findings f = { 0 };
	char *out = NULL;
	size_t len = 0;

	case_begin("NAT on this link: the peer's address itself sent it");
	s.out = open_memstream(&out, &len);
	CHECK(s.out, "memstream");
	if (!s.out)
		return;
	record_middlebox(&s, "198.18.2.1", "198.18.2.1");
	record_middlebox(&s, "198.18.2.2", "198.18.1.2");
	rst_report_summary(&s);
	resets_findings(&s, &f);
	ws_findings_print_text(&f, s.out, false);
	fclose(s.out);
	CHECK(out && strstr(out, "1 reset from 198.18.2.1 itself, on this "
				 "link: a NAT or proxy 2 hops before the peer "
				 "behind it"),
	      "summary: %s", out ? out : "");
	CHECK(out && !strstr(out, "before 198.18.2.1"),
	      "not a device before the address that sent it");
	CHECK(out && strstr(out, "1 reset from a middlebox 2 hops before "
				 "198.18.2.2 (198.18.1.2)"),
	      "a routed middlebox keeps its words");
	CHECK(out && strstr(out, "idle timeout is at most 5 s"),
	      "the keepalive advice: %s", out ? out : "");
	free(out);
	case_end();
}

/* The middlebox_reset finding whose evidence names @peer, or NULL. */
static const struct ws_finding *middlebox_of(const struct ws_findings *f,
					     const char *peer)
{
	int i, k;

	for (i = 0; i < f->n; i++)
		for (k = 0; k < f->items[i].n_ev; k++)
			if (!strcmp(f->items[i].id, "middlebox_reset") &&
			    !strcmp(f->items[i].ev[k].key, "peer") &&
			    !strcmp(f->items[i].ev[k].str, peer))
				return &f->items[i];
	return NULL;
}

/*
 * The peer's TTL varied (hop unknown) and no idle time was measured: the
 * finding's hops_before_peer and idle times are unknown (JSON null), not
 * the -1 the group holds for "none".
 */
static void test_unmeasured_is_unknown(void)
{
	struct ws_opts o = { .json = true };
	struct ws_session s = { .o = &o,
				.collectors = { &ws_resets_collector },
				.n_collectors = 1 };
	struct ws_findings f = { 0 };
	struct rst_row r = middlebox_row("198.18.3.3", 1, -1, -1);
	const struct ws_finding *x;
	char *out = NULL;
	size_t len = 0;

	case_begin("middlebox_reset: hop and idle not measured are unknown");
	r.res.conf = RC_LOW;
	r.res.peer_hops = 3;
	s.out = open_memstream(&out, &len);
	CHECK(s.out, "memstream");
	if (!s.out)
		return;
	rst_record(&s, &r);
	fclose(s.out);
	/* The rst record: a hop address not found is null, not "". */
	CHECK(out && strstr(out, "\"hop_addr\":null") &&
		  !strstr(out, "\"hop_addr\":\"\""),
	      "rst record: %s", out ? out : "");
	CHECK(out && strstr(out, "\"hops_before_peer\":null") &&
		  strstr(out, "\"idle_s\":null") && !strstr(out, ":-1"),
	      "rst record, not measured: %s", out ? out : "");
	free(out);
	resets_findings(&s, &f);
	CHECK(find(&f, "middlebox_reset"), "no middlebox_reset");
	x = middlebox_of(&f, "198.18.3.3");
	CHECK(x, "no middlebox_reset for 198.18.3.3");
	CHECK(unknown_evidence(x, "hops_before_peer"),
	      "hops_before_peer %g, not unknown",
	      evidence(x, "hops_before_peer"));
	CHECK(unknown_evidence(x, "hop_addr"), "hop_addr not unknown");
	CHECK(unknown_evidence(x, "idle_min_s") &&
		  unknown_evidence(x, "idle_max_s"),
	      "idle %g-%g s, not unknown", evidence(x, "idle_min_s"),
	      evidence(x, "idle_max_s"));
	x = middlebox_of(&f, "198.18.2.2");
	CHECK(x && !unknown_evidence(x, "hop_addr"),
	      "a hop address found is no unknown");
	CHECK(x && evidence(x, "hops_before_peer") == 2 &&
		  evidence(x, "idle_min_s") == 5,
	      "a measured one keeps its numbers");
	/* Nothing lost: no floor, and no evidence of one. */
	CHECK(x && !strstr(x->title, "at least") &&
		  isnan(evidence(x, "rst_events_unexamined")),
	      "nothing lost, yet: %s", x ? x->title : "");
	case_end();
}

/* The summary as rst_report_summary() writes it, -j with @json; NULL if
 * there is no memory stream. */
static char *summary_out(bool json)
{
	struct ws_opts o = { .json = json };
	struct ws_session s = { .o = &o };
	char *out = NULL;
	size_t len = 0;

	s.out = open_memstream(&out, &len);
	if (!s.out)
		return NULL;
	rst_report_summary(&s);
	fclose(s.out);
	return out;
}

/*
 * The group of test_unmeasured_is_unknown (198.18.3.3, hop unknown) in
 * the -j summary: hops_before_peer is null, as in its rst record, not -1;
 * hop_addr, not located, is null, not "".
 */
static void test_summary_unmeasured_null(void)
{
	const char *want = "\"peer\":\"198.18.3.3\",\"hops_before_peer\":null,"
			   "\"hop_addr\":null,";
	char *out, *g;

	case_begin("resets -j summary: a hop or address not measured is null");
	out = summary_out(true);
	g = out ? strstr(out, "\"peer\":\"198.18.3.3\"") : NULL;
	CHECK(g && !strncmp(g, want, strlen(want)), "group: %s",
	      g ? g : (out ? out : ""));
	CHECK(out && !strstr(out, ":-1"), "no -1: %s", out ? out : "");
	free(out);
	case_end();
}

/*
 * tcp_keepalive_time hidden (an empty tmpfs over /proc/sys/net/ipv4, a
 * private mount namespace): the summary's advice says unknown, not -1.
 */
static void test_keepalive_unread(void)
{
	const char *name = "resets summary: keepalive unread is unknown";
	const char *dir = "/proc/sys/net/ipv4";
	char *out;

	if (unshare(CLONE_NEWNS) ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
	    mount("none", dir, "tmpfs", 0, NULL)) {
		case_skip(name, "no private mount namespace");
		return;
	}
	case_begin(name);
	out = summary_out(false);
	umount(dir);
	CHECK(out && strstr(out, "tcp_keepalive_time here is unknown") &&
		  !strstr(out, "is -1"),
	      "summary: %s", out ? out : "");
	free(out);
	case_end();
}

/*
 * Measured zeros are numbers, not unknown: an RST from this link (0 hops)
 * answering our segment sent right after the peer's (0 s idle).  Under a
 * second of idle is no idle timeout: no keepalive advice.  A local RST's
 * hops, not measured, are null.
 */
static void test_measured_zero(void)
{
	struct ws_opts o = { .json = true };
	struct ws_session s = { .o = &o,
				.collectors = { &ws_resets_collector },
				.n_collectors = 1 };
	struct ws_findings f = { 0 };
	struct rst_event tx = { .dir = WS_TX };
	struct rst_row r = middlebox_row("198.18.4.4", 0, 1, 0);
	const struct ws_finding *x;
	char *out = NULL;
	size_t len = 0;

	case_begin("resets: a hop count or idle time of 0 is 0, not unknown");
	s.out = open_memstream(&out, &len);
	CHECK(s.out, "memstream");
	if (!s.out)
		return;
	rst_record(&s, &r);
	fflush(s.out);
	CHECK(out && strstr(out, "\"hops\":0,") && strstr(out, "\"idle_s\":0,"),
	      "rst record: %s", out ? out : "");
	r = (struct rst_row){
		.e = &tx, .idle_s = -1, .idle_rx_s = -1, .idle_tx_s = -1
	};
	r.res = rst_unmeasured(RV_LOCAL, RC_HIGH);
	snprintf(r.peer, sizeof(r.peer), "198.18.4.5");
	rst_record(&s, &r);
	fclose(s.out);
	CHECK(out && strstr(out, "\"hops\":null,\"peer_hops\":null,"),
	      "local rst record: %s", out ? out : "");
	free(out);
	resets_findings(&s, &f);
	x = middlebox_of(&f, "198.18.4.4");
	CHECK(x && !unknown_evidence(x, "idle_min_s") &&
		  !unknown_evidence(x, "idle_max_s") &&
		  evidence(x, "idle_min_s") == 0 &&
		  evidence(x, "idle_max_s") == 0,
	      "idle %g-%g s, or unknown", evidence(x, "idle_min_s"),
	      evidence(x, "idle_max_s"));
	CHECK(x && strstr(x->advice, "mid-stream") &&
		  !strstr(x->advice, "idle timeout"),
	      "advice: %s", x ? x->advice : "");
	case_end();
}

/*
 * A refused connect's gateway (hop 1) whose address is the one we
 * connected to (no --locate to tell): a device at hop 1, not "itself, a
 * NAT -1 hops before the peer".
 */
static void test_refused_by_own_gateway_address(void)
{
	struct rst_event e = { .dir = WS_RX, .key.rport = 5001 };
	struct rst_row r = { .e = &e,
			     .idle_s = -1,
			     .idle_rx_s = -1,
			     .idle_tx_s = -1,
			     .refused = true };
	struct ws_opts o = { 0 };
	struct ws_session s = { .o = &o };
	char *out;

	case_begin("refused by a gateway of the peer's address: hop 1");
	r.res = (struct rst_result){ .verdict = RV_MIDDLEBOX,
				     .conf = RC_MEDIUM,
				     .hops = 0,
				     .peer_hops = -1,
				     .hops_before_peer = -1,
				     .hop = 1 };
	snprintf(r.peer, sizeof(r.peer), "198.18.5.1");
	snprintf(r.hop_addr, sizeof(r.hop_addr), "198.18.5.1");
	rst_record(&s, &r);
	out = summary_out(false);
	CHECK(out && strstr(out, "refused connect to 198.18.5.1 port 5001, "
				 "by a device at hop 1 (198.18.5.1)"),
	      "summary: %s", out ? out : "");
	CHECK(out && !strstr(out, "from 198.18.5.1 itself"), "summary: %s",
	      out ? out : "");
	free(out);
	case_end();
}

/*
 * Two middleboxes reset after 90 s idle with no segment of ours just
 * before: one on a flow whose segments of ours were seen (unsolicited: its
 * idle timeout is about 90 s), one on a flow where none was (whether it
 * answered one is unknown: at most 90 s, and unsolicited null).
 */
static void test_unsolicited_needs_our_side(void)
{
	struct ws_opts o = { .json = true };
	struct ws_session s = { .o = &o,
				.collectors = { &ws_resets_collector },
				.n_collectors = 1 };
	struct ws_findings f = { 0 };
	struct rst_row r;
	const struct ws_finding *x;
	char *out = NULL, *sum;
	size_t len = 0;

	case_begin("unsolicited only when our side of the flow was seen");
	s.out = open_memstream(&out, &len);
	CHECK(s.out, "memstream");
	if (!s.out)
		return;
	r = middlebox_row("198.18.6.6", 1, 1, 90);
	r.tx_seen = true;
	rst_record(&s, &r);
	r = middlebox_row("198.18.6.7", 1, 1, 90);
	rst_record(&s, &r);
	fclose(s.out);
	CHECK(out && strstr(out, "\"unsolicited\":true") &&
		  strstr(out, "\"unsolicited\":null"),
	      "rst records: %s", out ? out : "");
	free(out);
	resets_findings(&s, &f);
	x = middlebox_of(&f, "198.18.6.6");
	CHECK(x && evidence(x, "unsolicited") == 1, "seen: unsolicited");
	x = middlebox_of(&f, "198.18.6.7");
	CHECK(x && unknown_evidence(x, "unsolicited"), "unseen: unknown");
	sum = summary_out(false);
	CHECK(sum && strstr(sum, "198.18.6.6 after 90.0-90.0 s idle, "
				 "unsolicited: its idle timeout is about 90 s"),
	      "summary: %s", sum ? sum : "");
	CHECK(sum && strstr(sum, "198.18.6.7 after 90.0-90.0 s idle: its "
				 "idle timeout is at most 90 s"),
	      "summary: %s", sum ? sum : "");
	free(sum);
	case_end();
}

int main(void)
{
	test_nat_origin();
	test_unmeasured_is_unknown();
	test_summary_unmeasured_null();
	test_measured_zero();
	test_refused_by_own_gateway_address();
	test_unsolicited_needs_our_side();
	test_keepalive_unread(); /* last: a private mount namespace */
	return unit_exit();
}
