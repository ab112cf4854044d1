// SPDX-License-Identifier: GPL-2.0
/*
 * Senders held back by their send buffer (diag's sysctl_wmem_max): the
 * kernel times it per socket (tcp_info.tcpi_sndbuf_limited, ss -ti
 * "sndbuf_limited"); sock_diag reads it before and after the run.
 */
#include <stdlib.h>
#include <string.h>
#include "core/core.h"
#include "collectors/sndbuf_collector.h"
#include "core/netlink.h"
#include "core/procfs.h"

bool sndbuf_limited(const struct ws_sndbuf_delta *d)
{
	return d->limited_us >= 100000 && d->limited_us * 5 >= d->busy_us;
}

/*
 * Autotuning stops at exactly tcp_wmem[2]; SO_SNDBUF gives exactly twice
 * min(request, wmem_max).  Anything else is below its cap.
 */
bool sndbuf_at_cap(uint32_t sndbuf, int64_t tcp_wmem_max, int64_t wmem_max)
{
	return (tcp_wmem_max > 0 && sndbuf == tcp_wmem_max) ||
	       (wmem_max > 0 && sndbuf == 2 * wmem_max);
}

/*
 * A sender moves at most one buffer per round trip.  When the kernel timed
 * senders waiting for buffer space with the buffer already at its sysctl
 * cap, and that cap is below 4 MiB (one BDP at 1 Gbit/s and 30 ms), the
 * cap is the limit to raise.
 */
void find_sndbuf(const struct ws_sndbuf_report *r, struct ws_findings *f)
{
	const int64_t enough = 4 << 20;
	const struct ws_sndbuf_delta *w = &r->worst;
	bool by_tcp_wmem = r->tcp_wmem_max > 0 && w->sndbuf == r->tcp_wmem_max;
	int64_t cap = by_tcp_wmem ? r->tcp_wmem_max : 2 * r->wmem_max;
	double rtt_ms = w->rtt_us / 1e3;
	struct ws_finding *x;

	if (r->unread) /* sockets not judged: no sender limited is unknown */
		ws_evidence_unread(f, "sock_diag_senders");
	if (!r->senders_limited || cap >= enough)
		return;
	x = ws_finding_add(
	    f, "sysctl_wmem_max", WS_SEV_WARNING, 0.8,
	    "%d TCP sender%s waited for send buffer at the %s cap: %s spent "
	    "%.0f%% of its busy time waiting with %u B",
	    r->senders_limited, r->senders_limited > 1 ? "s" : "",
	    by_tcp_wmem ? "net.ipv4.tcp_wmem" : "net.core.wmem_max", w->peer,
	    w->busy_us ? 100.0 * w->limited_us / w->busy_us : 0, w->sndbuf);
	ws_evidence_num(x, "senders_limited", r->senders_limited);
	ws_evidence_str(x, "peer", w->peer);
	ws_evidence_num(x, "sndbuf_bytes", w->sndbuf);
	ws_evidence_num(x, "sndbuf_limited_ms", w->limited_us / 1000);
	ws_evidence_num(x, "busy_ms", w->busy_us / 1000);
	ws_evidence_num(x, "rtt_ms", rtt_ms);
	if (w->rtt_us)
		ws_evidence_num(x, "ceiling_mbps", 8.0 * w->sndbuf / w->rtt_us);
	ws_evidence_str(x, "limit", by_tcp_wmem ? "tcp_wmem" : "wmem_max");
	ws_evidence_sysctl(x, "tcp_wmem_max", r->tcp_wmem_max);
	ws_evidence_sysctl(x, "net.core.wmem_max", r->wmem_max);
	if (r->untracked)
		ws_evidence_str(x, "note",
				"some sockets were not read at the start");
	ws_advice(x,
		  "a sender moves at most one buffer per round trip (%u B "
		  "per %.1f ms); raise the cap: `sysctl -w "
		  "net.core.wmem_max=16777216 net.ipv4.tcp_wmem='4096 16384 "
		  "16777216'` (and in /etc/sysctl.d/)%s",
		  w->sndbuf, rtt_ms,
		  by_tcp_wmem ? ""
			      : "; the application sets SO_SNDBUF, which "
				"wmem_max caps: raise both, or let "
				"autotuning work by not setting it");
}

#define MAX_TRACKED (1 << 20)

struct sender_base {
	uint64_t cookie;
	uint64_t busy_us;
	uint64_t limited_us;
};

static struct sender_base *bases;
static size_t n_bases, cap_bases;
static bool untracked; /* the start did not read every socket */
static bool unread;    /* its sock_diag dump failed */

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
	unread = nl_tcp_senders(keep_base, NULL) != 0;
	untracked |= unread;
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
	int err;

	ws_sysctl_field("net.ipv4.tcp_wmem", 2, &r.tcp_wmem_max);
	ws_sysctl("net.core.wmem_max", &r.wmem_max);
	r.untracked = untracked;
	err = nl_tcp_senders(judge_sender, &r);
	r.unread = unread || err;
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
