// SPDX-License-Identifier: GPL-2.0
/*
 * Senders held back by their send buffer (diag's sysctl_wmem_max): the
 * kernel times it per socket (tcp_info.tcpi_sndbuf_limited, ss -ti
 * "sndbuf_limited"); sock_diag reads it before and after the run.
 */
#include <stdlib.h>
#include <string.h>
#include "core.h"
#include "hoststat.h"
#include "netlink.h"

#define MAX_TRACKED (1 << 20)

struct sender_base {
	uint64_t cookie;
	uint64_t busy_us;
	uint64_t limited_us;
};

static struct sender_base *bases;
static size_t n_bases, cap_bases;
static bool untracked; /* the start did not read every socket */

static int cmp_cookie(const void *a, const void *b)
{
	const struct sender_base *x = a, *y = b;

	return x->cookie < y->cookie ? -1 : x->cookie > y->cookie;
}

static void keep_base(const struct nl_tcp_sender *t, void *arg)
{
	struct sender_base *grown;

	if (n_bases == cap_bases) {
		if (cap_bases >= MAX_TRACKED) {
			untracked = true;
			return;
		}
		cap_bases = cap_bases ? cap_bases * 2 : 1024;
		grown = realloc(bases, cap_bases * sizeof(*bases));
		if (!grown) {
			untracked = true;
			return;
		}
		bases = grown;
	}
	bases[n_bases++] =
	    (struct sender_base){ t->cookie, t->busy_us, t->sndbuf_limited_us };
}

static int sndbuf_start(struct ws_session *s)
{
	n_bases = 0;
	untracked = false;
	if (nl_tcp_senders(keep_base, NULL))
		untracked = true;
	if (n_bases) /* bases is NULL until the first socket */
		qsort(bases, n_bases, sizeof(*bases), cmp_cookie);
	return 0;
}

/* One socket's run against its base (a socket born during the run: 0). */
static void judge_sender(const struct nl_tcp_sender *t, void *arg)
{
	struct ws_sndbuf_report *r = arg;
	struct sender_base key = { .cookie = t->cookie }, *b;
	struct ws_sndbuf_delta d = { .sndbuf = t->sndbuf, .rtt_us = t->rtt_us };

	b = n_bases ? bsearch(&key, bases, n_bases, sizeof(*bases), cmp_cookie)
		    : NULL;
	if (!b && r->untracked)
		return; /* maybe an old socket: its totals are not this run's */
	if (b &&
	    (t->busy_us < b->busy_us || t->sndbuf_limited_us < b->limited_us))
		return; /* the kernel's u32 jiffies wrapped */
	d.busy_us = t->busy_us - (b ? b->busy_us : 0);
	d.limited_us = t->sndbuf_limited_us - (b ? b->limited_us : 0);
	if (!sndbuf_limited(&d) ||
	    !sndbuf_at_cap(t->sndbuf, r->tcp_wmem_max, r->wmem_max))
		return;
	r->senders_limited++;
	if (d.limited_us <= r->worst.limited_us)
		return;
	ws_fmt_endpoint(t->family, t->daddr, t->dport, d.peer, sizeof(d.peer));
	r->worst = d;
}

static void sndbuf_findings(struct ws_session *s, struct ws_findings *f)
{
	struct ws_sndbuf_report r = { .tcp_wmem_max = -1, .wmem_max = -1 };

	ws_sysctl_field("net.ipv4.tcp_wmem", 2, &r.tcp_wmem_max);
	ws_sysctl("net.core.wmem_max", &r.wmem_max);
	r.untracked = untracked;
	nl_tcp_senders(judge_sender, &r);
	find_sndbuf(&r, f);
}

static void sndbuf_stop(struct ws_session *s)
{
	free(bases);
	bases = NULL;
	n_bases = cap_bases = 0;
}

const struct ws_collector ws_sndbuf_collector = {
	.name = "sndbuf",
	.start = sndbuf_start,
	.findings = sndbuf_findings,
	.stop = sndbuf_stop,
};
