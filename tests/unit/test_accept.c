// SPDX-License-Identifier: GPL-2.0
/* The accept collector's rules (collectors/accept.c) on recorded counts. */
#include "unit.h"
#include "collectors/accept_int.h"

static void check_judge(const char *name, const struct accept_span *sp,
			bool defer, enum accept_verdict want)
{
	enum accept_verdict v = accept_judge(sp, defer);

	case_begin(name);
	CHECK(v == want, "verdict %s, want %s", accept_verdict_names[v],
	      accept_verdict_names[want]);
	case_end();
}

static void test_judge_kernel_evidence(void)
{
	struct accept_span sp = { .sk_drops = 5, .syn_queue_drops = 5 };

	check_judge("judge: SYN-queue drops alone are syn-queue-full", &sp,
		    false, ACCEPT_SYNQ_FULL);
	sp = (struct accept_span){ .sk_drops = 5, .overflows = 5 };
	check_judge("judge: overflows are overflowing", &sp, false,
		    ACCEPT_OVERFLOWING);
	sp = (struct accept_span){ .sk_drops = 4, .kfree = 2 };
	check_judge("judge: ACK-site drops are overflowing", &sp, true,
		    ACCEPT_OVERFLOWING);
	sp = (struct accept_span){};
	check_judge("judge: nothing is ok", &sp, false, ACCEPT_OK);
	check_judge("judge: nothing on a deferred listener is deferred", &sp,
		    true, ACCEPT_DEFERRED);
}

static void test_judge_wire_with_drops(void)
{
	struct accept_span sp = { .sk_drops = 4 };

	sp.wire.syn_site_drops = 2;
	check_judge("judge: SYN-site drops and the socket's drops are "
		    "overflowing",
		    &sp, false, ACCEPT_OVERFLOWING);
	sp = (struct accept_span){ .sk_drops = 6 };
	sp.wire.ack_site_drops = 6;
	check_judge("judge: repeated SYN-ACKs of a deferred listener are not "
		    "an overflow",
		    &sp, true, ACCEPT_DEFERRED);
	check_judge("judge: repeated SYN-ACKs of a plain listener are", &sp,
		    false, ACCEPT_OVERFLOWING);
}

static void test_share_one_socket(void)
{
	struct accept_part p = { .live = true };

	case_begin("share: one socket gets its key's count, exactly");
	accept_share_key(3, &p, 1);
	CHECK_EQ(p.kfree, 3, "with no drops of its own yet");
	p.weight = 4;
	accept_share_key(5, &p, 1);
	CHECK_EQ(p.kfree, 5, "with drops");
	CHECK(!p.apportioned, "exact");
	case_end();
}

int main(void)
{
	test_judge_kernel_evidence();
	test_judge_wire_with_drops();
	test_share_one_socket();
	return unit_exit();
}
