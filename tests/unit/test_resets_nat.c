// SPDX-License-Identifier: GPL-2.0
/*
 * The seed's NAT seen from the server end of a masqueraded flow: the RST
 * comes from this link from the peer's own address (a NAT), while the
 * peer's packets come from 2 hops behind it.  The summary and diag name
 * that address as the device, not a device "before" it.  Its own binary:
 * the reset groups are per process, and test_verdict fills them.
 */
#include <stdlib.h>
#include <string.h>
#include "unit.h"
#include "collectors/resets_collector.h"
#include "collectors/resets_int.h"
#include "core/findings.h"

static void record_middlebox(struct ws_session *s, const char *peer,
			     const char *hop_addr)
{
	struct rst_event e = { .dir = WS_RX };
	struct rst_row r = { .e = &e,
			     .idle_s = 5,
			     .idle_rx_s = 5,
			     .idle_tx_s = 0.01,
			     .triggered = true };

	r.res = (struct rst_result){ .verdict = RV_MIDDLEBOX,
				     .conf = RC_HIGH,
				     .hops = 0,
				     .peer_hops = 2,
				     .hops_before_peer = 2,
				     .hop = -1 };
	snprintf(r.peer, sizeof(r.peer), "%s", peer);
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

int main(void)
{
	test_nat_origin();
	return unit_exit();
}
