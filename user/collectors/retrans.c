// SPDX-License-Identifier: GPL-2.0
/*
 * TCP retransmissions per remote peer (tcp:tcp_retransmit_skb), against
 * the segments this network namespace sent (Tcp OutSegs): the share is an
 * estimate of the path loss.  Finding: tcp_retransmits.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "collectors/retrans_collector.h"
#include "core/findings.h"
#include "core/procfs.h"
#include "health.h"
#include "retrans.h"
#include "wirescope.skel.h"

#define NWORDS (int)(sizeof(struct retrans_total) / sizeof(uint64_t))

/* base: at the start; the map counts from the attach, a little earlier */
static struct retrans_total cur, prev, base;
static struct ws_tcp_counters tcp;
static bool traced; /* tcp:tcp_retransmit_skb: per peer, local failures */

static int retrans_configure(struct ws_session *s)
{
	struct stat st;

	if (stat("/proc/self/ns/net", &st))
		return ws_error(WS_EXIT_KERNEL,
				"cannot read our network "
				"namespace: %s",
				strerror(errno));
	s->skel->rodata->retrans_enabled = true;
	s->skel->rodata->retrans_netns = (uint32_t)st.st_ino;
	ws_session_use_prog(s, s->skel->progs.ws_tcp_retransmit,
			    "retrans: no retransmits per peer");
	return 0;
}

/*
 * Without the tracepoint the kernel's own count stands in: every resend,
 * but no peers, and resends our egress refused can't be told apart (the
 * loss is then an upper bound).
 */
static int retrans_sample(struct ws_session *s)
{
	uint32_t zero = 0;

	if (!traced) {
		ws_tcp_counters_read(&tcp);
		cur = (struct retrans_total){ .segs = ws_tcp_delta(
						  &tcp, WS_TCP_RETRANS_SEGS) };
		return 0;
	}
	return ws_percpu_sum_u64(bpf_map__fd(s->skel->maps.retrans_totals),
				 &zero, s->ncpus, (uint64_t *)&cur, NWORDS);
}

static int retrans_start(struct ws_session *s)
{
	int err;

	traced = ws_session_prog_active(s, s->skel->progs.ws_tcp_retransmit);
	memset(&tcp, 0, sizeof(tcp));
	ws_tcp_counters_read(&tcp);
	err = retrans_sample(s);
	prev = base = cur;
	return err;
}

static void retrans_cols(struct ws_session *s, double secs,
			 struct ws_diag_cols *c)
{
	c->retrans = secs > 0 ? (cur.segs - prev.segs) / secs : 0;
	if (!traced && !(tcp.known & 1U << WS_TCP_RETRANS_SEGS))
		c->retrans = NAN; /* TcpRetransSegs never read: not 0 */
	prev = cur;
}

struct peer {
	struct retrans_key key;
	struct retrans_val val;
};

static int by_segs(const void *a, const void *b)
{
	const struct peer *x = a, *y = b;

	return x->val.segs < y->val.segs   ? 1
	       : x->val.segs > y->val.segs ? -1
					   : 0;
}

struct top_walk {
	struct peer *top;
	int n;
};

/* Keeps the WS_RETRANS_TOP_PEERS peers with the most resends, most first. */
static void rank_peer(const void *key, const void *value, void *arg)
{
	struct top_walk *w = arg;
	struct peer p;

	memcpy(&p.key, key, sizeof(p.key));
	memcpy(&p.val, value, sizeof(p.val));
	if (w->n < WS_RETRANS_TOP_PEERS)
		w->top[w->n++] = p;
	else if (p.val.segs > w->top[w->n - 1].val.segs)
		w->top[w->n - 1] = p;
	else
		return;
	qsort(w->top, w->n, sizeof(*w->top), by_segs);
}

/*
 * The peers with the most retransmitted segments, most first; their count.
 * @unread: the walk failed, so the list may lack any of them.
 */
static int top_peers(struct ws_session *s, struct peer *top, bool *unread)
{
	struct top_walk w = { top, 0 };

	*unread = ws_map_walk(s->skel->maps.retrans_peers, rank_peer, &w) < 0;
	return w.n;
}

/* The named peers' share of every resend counted, slotless peers too. */
static double peers_share(const struct ws_retrans_report *r)
{
	uint64_t named = 0;
	int i;

	for (i = 0; i < r->n_peers; i++)
		named += r->peers[i].segs;
	/* The map is read after the totals: it can be a few ahead. */
	return named >= r->resent ? 1 : (double)named / r->resent;
}

static void peer_list(const struct ws_retrans_report *r, char *buf, size_t len)
{
	size_t used = 0;
	int i;

	buf[0] = '\0';
	for (i = 0; i < r->n_peers && used < len; i++)
		used += snprintf(buf + used, len - used, "%s%s", i ? ", " : "",
				 r->peers[i].addr);
}

/*
 * Where the resends went, for the title: "mostly toward" only when the
 * peers named hold more than half of them.
 */
static void where_resent(const struct ws_retrans_report *r, const char *peers,
			 char *buf, size_t len)
{
	const char *partial =
	    r->no_slot || r->peers_unread ? " (peer list partial)" : "";

	if (!r->traced)
		snprintf(buf, len,
			 ", toward unknown peers (tcp:tcp_retransmit_skb is "
			 "off)");
	else if (!r->n_peers)
		snprintf(buf, len, ", toward unknown peers%s", partial);
	else if (peers_share(r) > 0.5)
		snprintf(buf, len, ", mostly toward %s%s", peers, partial);
	else
		snprintf(buf, len, "; %.0f%% toward %s%s", 100 * peers_share(r),
			 peers, partial);
}

static void peer_evidence(struct ws_finding *x,
			  const struct ws_retrans_report *r)
{
	char key[32];
	int i;

	for (i = 0; i < r->n_peers; i++) {
		snprintf(key, sizeof(key), "peer%d", i + 1);
		ws_evidence_str(x, key, r->peers[i].addr);
		snprintf(key, sizeof(key), "peer%d_retrans_segs", i + 1);
		ws_evidence_num(x, key, r->peers[i].segs);
	}
	if (r->n_peers)
		ws_evidence_num(x, "peers_pct", 100 * peers_share(r));
	if (r->traced)
		ws_evidence_num(x, "retrans_no_slot", r->no_slot);
}

static void advise_retrans(struct ws_finding *x,
			   const struct ws_retrans_report *r, const char *peers)
{
	const char *first = r->n_peers ? r->peers[0].addr : "PEER";

	if (r->failed * 10 >= r->resent + r->failed)
		ws_advice(x,
			  "%llu more resends failed on this host and never "
			  "left it (a queue or device drop, no route, no "
			  "memory): the loss starts here; see "
			  "egress_saturated and iface_drops, and `tc -s qdisc`",
			  (unsigned long long)r->failed);
	else if (r->n_peers && peers_share(r) <= 0.5)
		ws_advice(x,
			  "the loss is spread: no peer got most of the resends "
			  "(%s: %.0f%%); look for a hop they share, this "
			  "host's uplink or gateway first: `mtr -T -P PORT %s` "
			  "finds it; check its interfaces and queues for drops "
			  "(on Linux: wirescope diag there, `tc -s qdisc`)",
			  peers, 100 * peers_share(r), first);
	else
		ws_advice(x,
			  "segments are lost between here and %s: `mtr -T -P "
			  "PORT %s` finds the hop; check its interfaces and "
			  "queues for drops (on Linux: wirescope diag there, "
			  "`tc -s qdisc`); a link saturated at peak time loses "
			  "a steady share (the seed's tunnel: 1.11%%)",
			  r->n_peers ? peers : "the peers", first);
}

/*
 * TCP throughput falls with the square root of loss (Mathis): 0.5% of
 * segments retransmitted is a warning, 5% critical.  Below 500 segments
 * sent or 10 retransmitted the sample says nothing.
 *
 * Path loss: resends that left the host, less those the peer reported as
 * duplicates (D-SACK), over every segment that left it (OutSegs does not
 * count resends).  Resends that failed here (6.17+ tells) are local loss:
 * egress_saturated and iface_drops tell that story.  A duplicate whose
 * D-SACK never reached our count (a receiver holds one block until its
 * next ACK) reads as loss: an upper bound.
 */
void find_tcp_retransmits(const struct ws_retrans_report *r,
			  struct ws_findings *f)
{
	uint64_t sent = r->out_segs, wire = r->resent, lost;
	char peers[160], where[224];
	struct ws_finding *x;
	double loss;

	lost = wire > r->spurious ? wire - r->spurious : 0;
	loss = sent + wire ? (double)lost / (sent + wire) : 0;
	if (sent < 500 || lost < 10 || loss < 0.005)
		return;
	peer_list(r, peers, sizeof(peers));
	where_resent(r, peers, where, sizeof(where));
	x = ws_finding_add(f, "tcp_retransmits",
			   loss >= 0.05 ? WS_SEV_CRITICAL : WS_SEV_WARNING,
			   (sent >= 5000 ? 0.9 : 0.7) - (r->traced ? 0 : 0.2) -
			       (r->no_slot || r->peers_unread ? 0.1 : 0),
			   "up to %.2f%% of TCP segments were lost on the path "
			   "and sent again (%llu of %llu)%s",
			   100 * loss, (unsigned long long)lost,
			   (unsigned long long)(sent + wire), where);
	ws_evidence_str(x, "source",
			r->traced ? "tcp:tcp_retransmit_skb"
				  : "TcpRetransSegs");
	ws_evidence_num(x, "retrans_segs", r->resent);
	ws_evidence_num(x, "spurious_segs", r->spurious);
	if (r->traced)
		ws_evidence_num(x, "retrans_events", r->events);
	/* Before 6.17 (no err) the event fires for resends that left only. */
	if (r->traced_err)
		ws_evidence_num(x, "local_failed_segs", r->failed);
	ws_evidence_num(x, "out_segs", sent);
	ws_evidence_num(x, "wire_segs", sent + wire);
	ws_evidence_num(x, "path_lost_segs", lost);
	ws_evidence_num(x, "kernel_retrans_segs", r->kernel_resent);
	ws_evidence_num(x, "loss_pct", 100 * loss);
	peer_evidence(x, r);
	if (r->peers_unread)
		ws_evidence_unread(f, "retrans_peers");
	advise_retrans(x, r, peers);
}

static void retrans_report(struct ws_session *s, struct ws_retrans_report *r)
{
	struct peer top[WS_RETRANS_TOP_PEERS];
	int i;

	memset(r, 0, sizeof(*r));
	ws_tcp_counters_read(&tcp);
	r->out_segs = ws_tcp_delta(&tcp, WS_TCP_OUT_SEGS);
	r->kernel_resent = ws_tcp_delta(&tcp, WS_TCP_RETRANS_SEGS);
	r->spurious = ws_tcp_delta(&tcp, WS_TCP_DSACK_SEGS);
	r->resent = cur.segs - base.segs;
	r->failed = cur.failed_segs - base.failed_segs;
	r->events = cur.events - base.events;
	r->traced = traced;
	r->traced_err = traced && s->skel->rodata->ws_tp_retransmit_nargs >= 3;
	r->no_slot = ws_health_lost(WS_H_RETRANS_NO_SLOT);
	r->n_peers = traced ? top_peers(s, top, &r->peers_unread) : 0;
	for (i = 0; i < r->n_peers; i++) {
		/* IPv4 peers are keyed IPv4-mapped */
		ws_fmt_addr(AF_INET6, top[i].key.addr, r->peers[i].addr,
			    sizeof(r->peers[i].addr));
		r->peers[i].segs = top[i].val.segs;
	}
}

static void retrans_findings(struct ws_session *s, struct ws_findings *f)
{
	struct ws_retrans_report r;

	retrans_report(s, &r);
	find_tcp_retransmits(&r, f);
	ws_tcp_counters_unread(&tcp,
			       1U << WS_TCP_OUT_SEGS | 1U << WS_TCP_DSACK_SEGS |
				   1U << WS_TCP_RETRANS_SEGS,
			       f);
}

const struct ws_collector ws_retrans_collector = {
	.name = "retrans",
	.map_prefix = "retrans_",
	.configure = retrans_configure,
	.start = retrans_start,
	.sample = retrans_sample,
	.findings = retrans_findings,
	.diag_cols = retrans_cols,
};
