// SPDX-License-Identifier: GPL-2.0
/*
 * The reset collector: who sent every RST.  Events from the ring buffer
 * wait RST_SETTLE_S so the kernel's view of each (tcp_send_reset,
 * tcp_receive_reset, kfree_skb) and any burst around it have arrived; then
 * the evidence goes through rst_decide() (verdict.c) and one line is
 * printed (resets_out.c).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>
#include <netinet/tcp.h> /* TCP_SYN_SENT */
#include <sys/stat.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <bpf/bpf.h>
#include "collectors/resets_int.h"
#include "collectors/locate.h"
#include "core/netlink.h"
#include "core/procfs.h"
#include "health.h" /* headers/ */
#include "parse.h"
#include "wirescope.skel.h"

#define RST_SETTLE_S	   1.0 /* wait for the kernel's view and bursts */
#define RST_MATCH_S	   1.0 /* wire and tracepoint events this close match */
#define RST_KEEP_S	   2.5 /* decided events kept for bursts */
#define RST_MAX_EVENTS	   2048
#define RST_LOCATE_CACHE   32
#define RST_CLOCK_SLACK_NS 50000000ULL /* rst_now_coarse()'s ticks and more */

static struct rst_options opts = { .flows = RST_FLOWS_DEFAULT,
				   .rate = RST_RATE_DEFAULT };
static struct rst_stored evs[RST_MAX_EVENTS];
static int nevs;
static uint64_t user_dropped;
static struct ring_buffer *rb;
static struct btf *vmlinux_btf;
static int lo_ifindex;
static struct rst_present present;
static double mono_to_real;
/* Which kernel events this run has: an absent one proves nothing. */
static bool traced_send, traced_recv, traced_drop;
/*
 * tcp_send_reset fires without a full socket (no socket, TIME_WAIT) from
 * 6.10, the release that gave it its reason argument.
 */
static bool send_covers_all;
/* skb:kfree_skb has its drop reason (5.17+) and the program reads it. */
static bool drop_has_reason;
/*
 * --locate's probe runs, one per peer and distance (and port, for a
 * refused connect); each takes up to a second, so a run gets at most
 * RST_LOCATE_ROUNDS of them, one per pass over the events (an RST that
 * needs another waits for the next pass) and a few more while stopping.
 */
#define RST_LOCATE_ROUNDS 16
static struct {
	uint32_t peer[4];
	uint16_t port;
	int max_ttl;
	bool syn;
	int err;
	struct rst_locate_res res;
} locate_cache[RST_LOCATE_CACHE];
static int nlocate_cache, nlocate_rounds;
#define RST_LOCATE_STOP_ROUNDS 3 /* the stop waits 3 s at most */
static bool locate_ran_this_pass, stopped_again;
static const struct ws_session *stopping; /* the session, while it stops */
static int stop_runs;
static const char locate_later[] = "a probe run this pass already";
static const char stopped_why[] =
    "not probed: stopped by a second signal (Ctrl-C)";
static const char cut_short_why[] =
    "probes cut short: stopped by a second signal (Ctrl-C)";
static uint64_t probe_rsts;
static uint64_t flows_evicted; /* at least: see rst_evicted_at_least() */

/*
 * When events were lost (rate limit, full ring buffer, a segment not read,
 * full table): spans of time between two checks, newest last.  A wire RST
 * near one of them may have lost its tcp_send_reset twin, a kernel event
 * its wire twin.
 */
#define RST_LOSS_SPANS 32
#define RST_LOSS_KINDS 5

/* The losses that can hide an event, by what is missing: lost_near(). */
#define LOST_ANY                                                               \
	(1U << RST_LOST_RATE_LIMITED | 1U << RST_LOST_RINGBUF_FULL |           \
	 1U << RST_LOST_TABLE_FULL)
/* An unread segment loses only a tcp_send_reset event. */
#define LOST_SEND_EVENT (LOST_ANY | 1U << RST_LOST_EVENT_UNREAD)
/* A segment whose headers no program read (health) leaves no wire event. */
#define LOST_WIRE_EVENT (LOST_ANY | 1U << RST_LOST_HEADERS_UNREAD)
static struct {
	double lo, hi;
	enum rst_lost kind;
} loss[RST_LOSS_SPANS];
static int nloss;
static uint64_t loss_prev[RST_LOSS_KINDS];
static double loss_checked;

/* Health counter @idx, summed over the CPUs, into @v: false if unread. */
static bool health_add(struct ws_session *s, uint32_t idx, uint64_t *v)
{
	uint64_t n;

	if (ws_percpu_sum_u64(bpf_map__fd(s->skel->maps.ws_health), &idx,
			      s->ncpus, &n, 1))
		return false;
	*v += n;
	return true;
}

static void check_losses(struct ws_session *s, double now)
{
	static const enum rst_lost kinds[RST_LOSS_KINDS] = {
		RST_LOST_RATE_LIMITED, RST_LOST_RINGBUF_FULL,
		RST_LOST_EVENT_UNREAD, RST_LOST_HEADERS_UNREAD,
		RST_LOST_TABLE_FULL
	};
	/* The health counters summed into each kind; table-full is ours. */
	static const uint32_t counters[RST_LOSS_KINDS - 1][2] = {
		{ WS_H_RESETS_RATE_LIMITED, WS_H_NCOUNTERS },
		{ WS_H_RESETS_RINGBUF_FULL, WS_H_NCOUNTERS },
		{ WS_H_RESETS_EVENT_UNREAD, WS_H_NCOUNTERS },
		{ WS_H_HEADERS_UNREAD, WS_H_IPV6_EXT_UNWALKED },
	};
	uint64_t v[RST_LOSS_KINDS] = { [RST_LOSS_KINDS - 1] = user_dropped };
	int i, k;

	for (i = 0; i < RST_LOSS_KINDS - 1; i++)
		for (k = 0; k < 2 && counters[i][k] != WS_H_NCOUNTERS; k++)
			if (!health_add(s, counters[i][k], &v[i])) {
				v[i] = loss_prev[i];
				break;
			}
	for (i = 0; i < RST_LOSS_KINDS; i++) {
		if (v[i] == loss_prev[i])
			continue;
		if (nloss == RST_LOSS_SPANS) {
			memmove(loss, loss + 1, sizeof(loss) - sizeof(loss[0]));
			nloss--;
		}
		loss[nloss].lo = loss_checked;
		loss[nloss].hi = now;
		loss[nloss++].kind = kinds[i];
		loss_prev[i] = v[i];
	}
	loss_checked = now;
}

/* Losses of the @kinds (LOST_*) near @t, or RST_LOST_NONE. */
static enum rst_lost lost_near(double t, unsigned int kinds)
{
	int i;

	for (i = nloss - 1; i >= 0; i--)
		if (loss[i].lo <= t + RST_MATCH_S &&
		    loss[i].hi >= t - RST_MATCH_S &&
		    (kinds & 1U << loss[i].kind))
			return loss[i].kind;
	/* Older than every span kept: the spans were recycled. */
	return nloss == RST_LOSS_SPANS && t - RST_MATCH_S < loss[0].lo &&
		       (kinds & 1U << loss[0].kind)
		   ? loss[0].kind
		   : RST_LOST_NONE;
}

uint64_t rst_events_lost(void)
{
	return user_dropped;
}

bool rst_local_traced(void)
{
	return traced_send;
}

bool rst_local_netfilter_decidable(void)
{
	return traced_send && send_covers_all;
}

void resets_set_options(const struct rst_options *o)
{
	opts = *o;
}

static double dabs(double a)
{
	return a < 0 ? -a : a;
}

static double now_real(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* An enum value's name from the running kernel's BTF, prefix stripped. */
static const char *btf_enum_name(const char *type, const char *prefix,
				 uint32_t val, char *buf, size_t len)
{
	const struct btf_type *t;
	const struct btf_enum *en;
	const char *name;
	int id, i;

	snprintf(buf, len, "%u", val);
	if (!vmlinux_btf)
		return buf;
	id = btf__find_by_name_kind(vmlinux_btf, type, BTF_KIND_ENUM);
	t = id > 0 ? btf__type_by_id(vmlinux_btf, id) : NULL;
	if (!t)
		return buf;
	en = btf_enum(t);
	for (i = 0; i < btf_vlen(t); i++) {
		if ((uint32_t)en[i].val != val)
			continue;
		name = btf__name_by_offset(vmlinux_btf, en[i].name_off);
		if (!strncmp(name, prefix, strlen(prefix)))
			name += strlen(prefix);
		snprintf(buf, len, "%s", name);
		break;
	}
	return buf;
}

static const char *rst_reason_name(uint32_t v, char *buf, size_t len)
{
	static int nargs = -3; /* tcp_send_reset has a reason from 6.10 */

	if (nargs == -3)
		nargs = ws_tp_nargs("tcp_send_reset");
	if (nargs >= 0 && nargs < 3)
		return NULL; /* no reason: none shown */
	return btf_enum_name("sk_rst_reason", "SK_RST_REASON_", v, buf, len);
}

static const char *drop_reason_name(uint32_t v, char *buf, size_t len)
{
	if (!drop_has_reason)
		return NULL; /* 0 from the program: none, not reason 0 */
	return btf_enum_name("skb_drop_reason", "SKB_DROP_REASON_", v, buf,
			     len);
}

/* A link-local address is scoped by the interface the RST was seen on. */
static void addr_str(const uint32_t *a, const struct rst_event *e, char *buf,
		     size_t len)
{
	ws_fmt_addr_scoped(e->key.family == 6 ? AF_INET6 : AF_INET, a,
			   e->ifindex, buf, len);
}

static bool same_key(const struct rst_flow_key *a, const struct rst_flow_key *b)
{
	return !memcmp(a, b, sizeof(*a));
}

/* The same flow seen from the other end (lo carries both). */
static bool reverse_key(const struct rst_flow_key *a,
			const struct rst_flow_key *b)
{
	return a->family == b->family && a->lport == b->rport &&
	       a->rport == b->lport && !memcmp(a->laddr, b->raddr, 16) &&
	       !memcmp(a->raddr, b->laddr, 16);
}

static int configure(struct ws_session *s)
{
	struct wirescope_bpf *skel = s->skel;
	struct stat st;
	int err;

	err = opts.locate ? rst_locate_check() : 0;
	if (err)
		return ws_error(err == -EPERM || err == -EACCES
				    ? WS_EXIT_PERM
				    : WS_EXIT_KERNEL,
				"--locate needs raw sockets for its probes "
				"(CAP_NET_RAW): %s",
				strerror(-err));
	skel->rodata->resets_enabled = true;
	skel->rodata->resets_rate = opts.rate;
	skel->rodata->resets_burst = opts.rate / 2 ? opts.rate / 2 : 1;
	lo_ifindex = (int)if_nametoindex("lo");
	skel->rodata->resets_lo_ifindex = lo_ifindex;
	skel->rodata->resets_tick_ns = ws_kernel_tick_ns();
	/* The gate's budget counts within a tick: without one, no gate. */
	if (skel->rodata->resets_tick_ns)
		skel->rodata->resets_gate_segs = RST_GATE_SEGS_DEFAULT;
	if (!stat("/proc/self/ns/net", &st))
		skel->rodata->resets_netns_ino = (uint32_t)st.st_ino;
	ws_session_use_prog(s, skel->progs.ws_rst_send,
			    "resets: no kernel record of the RSTs this host "
			    "sends");
	ws_session_use_prog(s, skel->progs.ws_rst_recv,
			    "resets: no kernel record of the RSTs a socket "
			    "accepted");
	ws_session_use_prog(s, skel->progs.ws_kfree_skb,
			    "resets: no kernel record of the RSTs it dropped");
	/* Each CPU's share of half the table: rst_forget_closed(). */
	skel->rodata->resets_reap_after = opts.flows / 2 / s->ncpus;
	if (bpf_map__set_max_entries(skel->maps.rst_flows, opts.flows))
		return ws_error(WS_EXIT_KERNEL, "resets: cannot size flows");
	vmlinux_btf = btf__load_vmlinux_btf();
	if (!vmlinux_btf)
		ws_warn("resets: no kernel BTF: reasons shown as numbers");
	return 0;
}

static int on_event(void *ctx, void *data, size_t len)
{
	struct rst_stored *st;

	if (len < sizeof(struct rst_event))
		return 0;
	if (nevs == RST_MAX_EVENTS) {
		user_dropped++;
		return 0;
	}
	st = &evs[nevs++];
	memcpy(&st->e, data, sizeof(st->e));
	st->t = st->e.ts_ns / 1e9;
	st->done = false;
	return 0;
}

static int poll_events(void *ctx)
{
	int n = ring_buffer__consume(rb);

	return n < 0 ? n : 0;
}

static int start(struct ws_session *s)
{
	int fd = bpf_map__fd(s->skel->maps.rst_events), err;

	mono_to_real = now_real() - ws_mono_ns() / 1e9;
	traced_send = ws_session_prog_active(s, s->skel->progs.ws_rst_send);
	traced_recv = ws_session_prog_active(s, s->skel->progs.ws_rst_recv);
	traced_drop = ws_session_prog_active(s, s->skel->progs.ws_kfree_skb);
	send_covers_all = ws_tp_nargs("tcp_send_reset") >= 3;
	drop_has_reason = s->skel->rodata->ws_tp_kfree_skb_nargs >= 3;
	nloss = 0;
	loss_checked = ws_mono_ns() / 1e9;
	check_losses(s, loss_checked);
	nloss = 0; /* counts from before our start are not ours */
	err = resets_present_open(&present, s->skel);
	if (err)
		ws_warn("resets: cannot map the flow filter (%s): stale marks "
			"will cost lookups",
			strerror(-err));
	rb = ring_buffer__new(fd, on_event, NULL, NULL);
	if (!rb)
		return -errno;
	return ws_session_add_poller(s, ring_buffer__epoll_fd(rb), poll_events,
				     NULL);
}

/*
 * Kernel event @c could be wire RST @w's: on its flow, within the window.
 * A received RST's events follow it (XDP and tc see it before TCP); a sent
 * one's may come just after it (before 6.10, the event follows the send).
 */
static bool may_match(const struct rst_stored *c, const struct rst_stored *w,
		      bool either_way, bool by_seq)
{
	if (dabs(c->t - w->t) > RST_MATCH_S ||
	    (c->e.kind != RST_TP_SEND && c->t < w->t))
		return false;
	if (!same_key(&c->e.key, &w->e.key) &&
	    !(either_way && reverse_key(&c->e.key, &w->e.key)))
		return false;
	return !by_seq || c->e.seq == w->e.seq;
}

/* Another wire RST of @w's direction that @c could match, nearer to it. */
static bool nearer_wire(const struct rst_stored *tab, int n,
			const struct rst_stored *c, const struct rst_stored *w,
			bool either_way, bool by_seq)
{
	int i;

	for (i = 0; i < n; i++) {
		const struct rst_stored *o = &tab[i];

		if (o != w && o->e.kind == RST_WIRE && o->e.dir == w->e.dir &&
		    dabs(c->t - o->t) < dabs(c->t - w->t) &&
		    may_match(c, o, either_way, by_seq))
			return true;
	}
	return false;
}

/*
 * The nearest in time, unless another wire RST on the flow is nearer to
 * it (then @w's own was lost, or it has none): two RSTs within the window
 * (RFC 5961's challenge ACK, then the exact RST) must not swap their
 * events.  One pass and one check: an RST storm on one flow stays O(n).
 */
struct rst_stored *rst_match(struct rst_stored *tab, int n,
			     const struct rst_stored *w, int kind,
			     bool either_way, bool by_seq)
{
	struct rst_stored *best = NULL;
	int i;

	for (i = 0; i < n; i++) {
		struct rst_stored *c = &tab[i];

		if (!c->done && c->e.kind == kind &&
		    may_match(c, w, either_way, by_seq) &&
		    (!best || dabs(c->t - w->t) < dabs(best->t - w->t)))
			best = c;
	}
	return best && !nearer_wire(tab, n, best, w, either_way, by_seq) ? best
									 : NULL;
}

static struct rst_stored *find_match(const struct rst_stored *w, int kind,
				     bool either_way, bool by_seq)
{
	return rst_match(evs, nevs, w, kind, either_way, by_seq);
}

/* Same family, local address and port: one socket, NAT on the far end. */
static bool same_local_end(const struct rst_flow_key *a,
			   const struct rst_flow_key *b)
{
	return a->family == b->family && a->lport == b->lport &&
	       !memcmp(a->laddr, b->laddr, 16);
}

/* A wire RST on kernel event @c's own flow near it: @c is that one's. */
static bool has_wire_twin(const struct rst_stored *c)
{
	int i;

	for (i = 0; i < nevs; i++)
		if (evs[i].e.kind == RST_WIRE &&
		    dabs(evs[i].t - c->t) <= RST_MATCH_S &&
		    same_key(&evs[i].e.key, &c->e.key))
			return true;
	return false;
}

/* Unknown (no sock_diag answer) counts as listening. */
static bool local_port_listens(struct ws_session *s, uint16_t port)
{
	const struct nl_listener *v;
	int i, n = ws_session_listeners(s, &v);

	for (i = 0; i < n; i++)
		if (v[i].port == port)
			return true;
	return n < 0;
}

/*
 * The kernel event (@kind) of wire RST @w on a socket whose remote end
 * this host's NAT rewrote (a ClusterIP, a DNAT'd address), so no key
 * matched: the nearest on the same local end, not on @w's own flow (that
 * is find_match()'s) nor on one with a wire RST of its own.  A receive
 * event follows its RST.  Callers ask only when no event was lost near
 * @w: else @w's own may be the lost one, and another flow's on a shared
 * port (a storm's) would stand in for it.  Nor on a listening port: every
 * client of it shares that local end, and a NAT that rewrites the remote
 * end serves a connect of ours, from a port of its own.
 */
static struct rst_stored *
find_by_local_end(struct ws_session *s, const struct rst_stored *w, int kind)
{
	struct rst_stored *best = NULL;
	int i;

	if (local_port_listens(s, w->e.key.lport))
		return NULL;
	for (i = 0; i < nevs; i++) {
		struct rst_stored *c = &evs[i];

		if (c->done || c->e.kind != kind ||
		    dabs(c->t - w->t) > RST_MATCH_S ||
		    (kind == RST_TP_RECV && c->t < w->t) ||
		    !same_local_end(&c->e.key, &w->e.key) ||
		    same_key(&c->e.key, &w->e.key) ||
		    reverse_key(&c->e.key, &w->e.key) || has_wire_twin(c))
			continue;
		if (!best || dabs(c->t - w->t) < dabs(best->t - w->t))
			best = c;
	}
	return best;
}

/*
 * RST @x of ours: a receive event on its flow near it is no RST that came
 * in, but its own socket's (an abort on data calls tcp_reset, then sends
 * it) or, over lo, its peer's here.
 */
static void claim_recvs_of_sent(const struct rst_stored *x)
{
	int i;

	for (i = 0; i < nevs; i++) {
		struct rst_stored *c = &evs[i];

		if (!c->done && c->e.kind == RST_TP_RECV &&
		    dabs(c->t - x->t) <= RST_MATCH_S &&
		    (same_key(&c->e.key, &x->e.key) ||
		     reverse_key(&c->e.key, &x->e.key)))
			c->done = true;
	}
}

/* A received wire RST on @c's socket still waits for --locate. */
static bool wire_pending(const struct rst_stored *c)
{
	int i;

	for (i = 0; i < nevs; i++) {
		const struct rst_stored *w = &evs[i];

		if (!w->done && w->e.kind == RST_WIRE && w->e.dir == WS_RX &&
		    c->t >= w->t && c->t - w->t <= RST_MATCH_S &&
		    same_local_end(&c->e.key, &w->e.key))
			return true;
	}
	return false;
}

/*
 * Our side of the baseline is whole: our ACK and send sequence are those of
 * our last segment, not of one the gate let by (rst_gate, resets.h).
 */
static bool rst_seq_known(const struct rst_event *e)
{
	return e->has_flow && (e->flow.flags & RST_F_TX_SEEN) &&
	       !(e->behind & RST_BEHIND_TX);
}

/* An RST whose seq is our rcv_nxt: what RFC 5961 asks a sender for. */
static bool rst_exact(const struct rst_event *e)
{
	return rst_seq_known(e) && e->seq == e->flow.our_ack;
}

void rst_burst(const struct rst_stored *tab, int n, const struct rst_stored *w,
	       int *burst, int *seqs)
{
	uint32_t seen[16];
	int i, j, ns = 0;

	*burst = 0;
	for (i = 0; i < n; i++) {
		const struct rst_stored *c = &tab[i];

		if (c->e.kind != RST_WIRE || c->e.dir != WS_RX ||
		    dabs(c->t - w->t) > 1.0 || !same_key(&c->e.key, &w->e.key))
			continue;
		(*burst)++;
		/* Only an RST that may be off our rcv_nxt counts its seq. */
		if (rst_exact(&c->e) ||
		    (c->e.has_flow && (c->e.behind & RST_BEHIND_TX)))
			continue;
		for (j = 0; j < ns && seen[j] != c->e.seq; j++)
			;
		if (j == ns && ns < 16)
			seen[ns++] = c->e.seq;
	}
	*seqs = ns;
}

static uint32_t data_after_rst(struct ws_session *s,
			       const struct rst_flow_key *k)
{
	struct rst_flow f;

	if (bpf_map_lookup_elem(bpf_map__fd(s->skel->maps.rst_flows), k, &f))
		return 0;
	return f.rx_data_after_rst;
}

static void kernel_view(struct ws_session *s, struct rst_stored *w,
			struct rst_row *r)
{
	enum rst_lost lost;
	char name[48];
	struct rst_stored *c;

	if (w->e.dir == WS_TX) {
		snprintf(r->kernel, sizeof(r->kernel), "sent");
		return;
	}
	c = find_match(w, RST_TP_RECV, r->via_lo, false);
	if (!c && !lost_near(w->t, LOST_ANY))
		c = find_by_local_end(s, w, RST_TP_RECV);
	if (c) {
		c->done = true;
		snprintf(r->kernel, sizeof(r->kernel), "accepted");
		return;
	}
	c = find_match(w, RST_TP_DROP, r->via_lo, true);
	if (!c) {
		/* No event proves nothing if events were lost meanwhile. */
		lost = lost_near(w->t, LOST_ANY);
		if (lost)
			snprintf(r->kernel, sizeof(r->kernel), "unknown (%s)",
				 rst_lost_name(lost));
		else
			snprintf(r->kernel, sizeof(r->kernel), "%s",
				 traced_recv && traced_drop
				     ? "no socket event"
				     : "unknown (tracepoint off)");
		return;
	}
	c->done = true;
	rst_drop_view(drop_reason_name(c->e.reason, name, sizeof(name)),
		      r->kernel, sizeof(r->kernel));
}

/*
 * Seconds from a baseline's time to an event's, -1 if unknown.  The
 * baselines' clock is tick-precise and kept behind the events' clock; a
 * baseline ahead by less than RST_CLOCK_SLACK_NS is the same instant.
 */
static double ns_ago(uint64_t now, uint64_t then)
{
	if (!then)
		return -1;
	if (now >= then)
		return (now - then) / 1e9;
	return then - now <= RST_CLOCK_SLACK_NS ? 0 : -1;
}

/* The flow's timing: idle each way, and whether our segment triggered. */
static void timing(const struct rst_event *e, struct rst_row *r)
{
	const struct rst_flow *f = &e->flow;

	r->idle_rx_s = ns_ago(e->ts_ns, f->last_rx_ns);
	r->idle_tx_s = ns_ago(e->ts_ns, f->last_tx_ns);
	r->trigger_ago_s = r->idle_tx_s;
	r->tx_seen = e->has_flow && (f->flags & RST_F_TX_SEEN);
	/* A pure ACK (ours, or a challenge ACK) provokes nothing. */
	r->triggered = e->dir == WS_RX && f->last_tx_ns &&
		       f->last_tx_kind != RST_TX_ACK &&
		       f->last_tx_ns >= f->last_rx_ns && r->idle_tx_s >= 0 &&
		       r->idle_tx_s <= RST_TRIGGER_WINDOW_S;
	if (r->triggered)
		r->idle_s = f->tx_gap_ns / 1e9;
	else if (r->idle_rx_s >= 0 && r->idle_tx_s >= 0)
		r->idle_s = dmin(r->idle_rx_s, r->idle_tx_s);
	else
		r->idle_s = r->idle_rx_s >= 0 ? r->idle_rx_s : r->idle_tx_s;
}

/* The peer's TS clock, from its first TSval after its SYN and its last. */
static enum rst_ts_clock peer_ts_clock(const struct rst_flow *f)
{
	double secs;

	if (!(f->flags & RST_F_TS_FIRST) || f->last_rx_ns < f->first_ns ||
	    f->peer_ts_first_ms == RST_TS_FIRST_MS_MAX)
		return RST_TS_CLOCK_UNKNOWN;
	secs = (f->last_rx_ns - f->first_ns) / 1e9 - f->peer_ts_first_ms / 1e3;
	return rst_ts_clock(f->peer_tsval - f->peer_tsval_first, secs);
}

static void gather(struct ws_session *s, struct rst_stored *w,
		   struct rst_evidence *ev, struct rst_row *r)
{
	const struct rst_event *e = &w->e;
	const struct rst_flow *f = &e->flow;
	bool have = e->has_flow;

	memset(ev, 0, sizeof(*ev));
	ev->sent = e->dir == WS_TX && !r->via_lo;
	ev->via_lo = r->via_lo;
	ev->forwarded = ev->sent && e->forwarded;
	ev->has_peer = have && (f->flags & RST_F_RX_SEEN);
	/* A SYN, not a SYN-ACK: a connect of ours. */
	ev->syn_sent = have && (f->last_tx_flags & WS_TCP_SYN) &&
		       !(f->last_tx_flags & WS_TCP_ACK);
	ev->ttl = e->ttl;
	ev->peer_ttl_min = f->ttl_min;
	ev->peer_ttl_max = f->ttl_max;
	ev->peer_ttl_last = f->ttl_last;
	ev->has_ts = e->opts & WS_OPT_TS;
	ev->tsval = e->tsval;
	ev->peer_ts = have && (f->flags & RST_F_PEER_TS);
	ev->peer_tsval = f->peer_tsval;
	ev->peer_ts_clock = have ? peer_ts_clock(f) : RST_TS_CLOCK_UNKNOWN;
	ev->ipv4 = e->key.family == 4;
	ev->ip_id = e->ip_id;
	ev->peer_ip_id = f->peer_ip_id;
	/* Not counted: anything the gate's budget allows, two CPUs adding. */
	ev->peer_ip_id_lag = e->rx_lag == RST_LAG_UNKNOWN ? 0 : e->rx_lag;
	ev->peer_ip_id_lag_max = e->rx_lag == RST_LAG_UNKNOWN
				     ? 2 * RST_GATE_SEGS_DEFAULT
				     : e->rx_lag;
	ev->idle_rx_s = r->idle_rx_s;
	ev->triggered = r->triggered;
	ev->peer_fin = have && (f->flags & RST_F_FIN_RX);
	ev->tx_seen = r->tx_seen;
	if (e->dir == WS_RX && !r->via_lo) {
		rst_burst(evs, nevs, w, &ev->burst, &ev->burst_seqs);
		ev->data_after = data_after_rst(s, &e->key);
	}
}

static void seq_view(const struct rst_event *e, struct rst_row *r)
{
	const struct rst_flow *f = &e->flow;

	r->seq_lags = e->has_flow && (e->behind & RST_BEHIND_TX);
	if (!rst_seq_known(e))
		return;
	r->seq_known = true;
	/* Received: against our rcv_nxt; sent: against our snd_nxt. */
	r->seq_delta =
	    (int32_t)(e->seq - (e->dir == WS_RX ? f->our_ack : f->our_snd_nxt));
}

static const char *ts_state(const struct rst_evidence *ev,
			    const struct rst_result *res)
{
	if (ev->sent)
		return "ours";
	if (!ev->has_ts)
		return ev->peer_ts ? "absent" : "none";
	if (!ev->peer_ts)
		return "no_baseline";
	if (res->ts_unsure)
		return "unsure";
	return res->ts_continues ? "continues" : "jumps";
}

/*
 * While stopping, each probe run holds the summary up to a second: say so
 * once, and run none once a stop signal comes (again).  NULL: probe.
 */
static const char *stop_probe_refused(void)
{
	if (stop_runs == RST_LOCATE_STOP_ROUNDS)
		return "not probed: wirescope was stopping";
	stopped_again = stopped_again || ws_session_stopped_again(stopping);
	if (stopped_again)
		return stopped_why;
	if (!stop_runs)
		ws_warn("--locate: probing for up to %d s before the summary; "
			"Ctrl-C skips it",
			RST_LOCATE_STOP_ROUNDS);
	return NULL;
}

/* One probe run (or its cached result); NULL with @why set if none. */
static const struct rst_locate_res *locate(const struct rst_locate_req *q,
					   const char **why)
{
	int i;

	for (i = 0; i < nlocate_cache; i++)
		if (!memcmp(locate_cache[i].peer, q->raddr, 16) &&
		    locate_cache[i].max_ttl == q->max_ttl &&
		    locate_cache[i].syn == q->syn &&
		    (!q->syn || locate_cache[i].port == q->rport))
			goto found;
	if (q->max_ttl < 1 || q->max_ttl > RST_LOCATE_MAX_TTL) {
		*why = "too far to probe";
		return NULL;
	}
	if (nlocate_rounds == RST_LOCATE_ROUNDS) {
		*why = "--locate's probe budget for this run is spent";
		return NULL;
	}
	if (stopping && (*why = stop_probe_refused()))
		return NULL;
	if (!stopping && locate_ran_this_pass) {
		*why = locate_later;
		return NULL;
	}
	locate_ran_this_pass = true;
	stop_runs += stopping != NULL;
	nlocate_rounds++;
	i = nlocate_cache < RST_LOCATE_CACHE ? nlocate_cache++ : 0;
	memcpy(locate_cache[i].peer, q->raddr, 16);
	locate_cache[i].port = q->rport;
	locate_cache[i].max_ttl = q->max_ttl;
	locate_cache[i].syn = q->syn;
	locate_cache[i].err = rst_locate(q, &locate_cache[i].res);
found:
	if (locate_cache[i].err) {
		*why = "probes failed";
		return NULL;
	}
	/* Cut short, a missing answer proves nothing. */
	if (locate_cache[i].res.stopped) {
		stopped_again = true;
		*why = cut_short_why;
		return NULL;
	}
	return &locate_cache[i].res;
}

static void locate_req(const struct rst_event *e, struct rst_locate_req *q)
{
	memset(q, 0, sizeof(*q));
	q->family = e->key.family;
	memcpy(q->laddr, e->key.laddr, 16);
	memcpy(q->raddr, e->key.raddr, 16);
	q->lport = e->key.lport;
	q->rport = e->key.rport;
	q->ifindex = e->ifindex;
	/* While stopping, a stop signal (again) ends the wait. */
	q->stop_fd = stopping ? stopping->sig_fd : -1;
}

/* The address of the router at TTL @hop from a probe run, or a note. */
static void hop_from(const struct rst_locate_res *res, const char *why, int hop,
		     struct rst_row *r)
{
	if (!res)
		snprintf(r->locate_note, sizeof(r->locate_note), "%s", why);
	else if (hop > RST_LOCATE_MAX_TTL || !res->hop[hop][0])
		snprintf(r->locate_note, sizeof(r->locate_note),
			 "no ICMP from hop %d", hop);
	else
		snprintf(r->hop_addr, sizeof(r->hop_addr), "%s", res->hop[hop]);
}

/* The route to the flow's peer, as the kernel picks it: true if known. */
static bool peer_route(const struct rst_event *e, struct nl_route *rt)
{
	int family = e->key.family == 4 ? AF_INET : AF_INET6;

	return !nl_route_get(family, e->key.laddr, e->key.raddr, e->ifindex,
			     rt);
}

static bool peer_onlink(bool known, const struct nl_route *rt)
{
	return known && !rt->gateway && !rt->p2p;
}

/*
 * A mid-flow middlebox: ACK probes up to its distance, never the peer.
 * None when the RST came from this link from the peer's on-link address:
 * that address's device sent it.  False: wait for the next pass.
 */
static bool locate_hop(const struct rst_event *e, struct rst_row *r)
{
	const struct rst_locate_res *res;
	struct rst_locate_req q;
	struct nl_route rt = { 0 };
	const char *why = NULL;
	int ttl = r->res.hops + 1;

	locate_req(e, &q);
	q.seq = e->flow.our_snd_nxt - 1; /* a keepalive's seq: harmless */
	q.ack = e->flow.our_ack;
	q.max_ttl = rst_mid_probe_ttl(r->res.hops, r->res.peer_hops,
				      peer_onlink(peer_route(e, &rt), &rt));
	if (!q.max_ttl) {
		snprintf(r->hop_addr, sizeof(r->hop_addr), "%s", r->peer);
		return true;
	}
	res = locate(&q, &why);
	if (why == locate_later)
		return false;
	hop_from(res, why, ttl, r);
	return true;
}

/*
 * An RST answering a SYN probe (ours, or another wirescope's on this host),
 * not the flow's own: its ack is in the probes' range, which a real ISN + 1
 * hits with a chance of about 1 in 10^8.
 */
static bool probe_answer(const struct rst_event *e)
{
	return e->dir == WS_RX && (e->tcp_flags & WS_TCP_ACK) &&
	       rst_locate_probe_answer(e->ack);
}

uint64_t rst_probe_resets(void)
{
	return probe_rsts;
}

/*
 * Our SYN met an RST: where the route says the peer is, and with --locate
 * what SYN probes on the same tuple and an echo request measure.
 */
static int refused_evidence(const struct rst_event *e, struct rst_refused *p,
			    struct nl_route *rt,
			    const struct rst_locate_res **res, const char **why)
{
	int hops = rst_hops(e->ttl);
	struct rst_locate_req q;

	p->route_known = peer_route(e, rt);
	p->peer_onlink = peer_onlink(p->route_known, rt);
	if (!opts.locate || (p->peer_onlink && hops == 0))
		return 0;
	locate_req(e, &q);
	q.syn = true;
	q.max_ttl = hops + 2;
	*res = locate(&q, why);
	if (*why == locate_later)
		return -EAGAIN;
	p->no_probe = *res ? NULL : *why;
	if (!*res)
		return 0;
	p->probed = true;
	p->probe_rst_ttl = (*res)->rst_ttl;
	p->hop_exceeded = (*res)->hop[hops + 1][0] != '\0';
	p->exceeded_ttl = rst_locate_farthest(*res);
	p->exceeded_from = (*res)->hop[p->exceeded_ttl];
	p->echo = (*res)->echo;
	p->echo_hops = (*res)->echo_hops;
	return 0;
}

/* The RST answers our SYN itself (ack = ISN + 1), with no peer packet. */
static bool answers_our_syn(const struct rst_event *e,
			    const struct rst_evidence *ev)
{
	return ev->syn_sent && !ev->has_peer && !ev->sent && !ev->via_lo &&
	       (e->tcp_flags & WS_TCP_ACK) && e->ack == e->flow.our_snd_nxt;
}

/*
 * A refused connect's middlebox: the gateway on this link (an IPv6 one is
 * often link-local: with its interface), or a probe's.
 */
static void refused_hop(const struct nl_route *rt,
			const struct rst_locate_res *res, const char *why,
			struct rst_row *r)
{
	if (r->res.hop == 1 && rt->gw_family)
		ws_fmt_addr_scoped(rt->gw_family, rt->gw, rt->oif, r->hop_addr,
				   sizeof(r->hop_addr));
	else if (res || why)
		hop_from(res, why, r->res.hop, r);
}

static void row_addrs(const struct rst_event *e, struct rst_row *r)
{
	bool rx = e->dir == WS_RX;

	addr_str(rx ? e->key.raddr : e->key.laddr, e, r->saddr,
		 sizeof(r->saddr));
	addr_str(rx ? e->key.laddr : e->key.raddr, e, r->daddr,
		 sizeof(r->daddr));
	addr_str(e->key.raddr, e, r->peer, sizeof(r->peer));
	r->sport = rx ? e->key.rport : e->key.lport;
	r->dport = rx ? e->key.lport : e->key.rport;
}

/*
 * Decide one wire RST.  Returns false, leaving it for the next pass, when
 * it needs a --locate probe run and this pass has had one.
 */
static bool finalize_wire(struct ws_session *s, struct rst_stored *w)
{
	static char reason[48];
	struct rst_evidence ev;
	struct rst_row r = { .e = &w->e, .wall = w->t + mono_to_real };
	const struct rst_locate_res *probes = NULL;
	struct nl_route rt = { 0 };
	const char *why = NULL;
	struct rst_stored *send;
	bool events_lost;

	if (probe_answer(&w->e)) {
		w->done = true;
		probe_rsts++;
		return true;
	}
	r.via_lo = lo_ifindex && (int)w->e.ifindex == lo_ifindex;
	row_addrs(&w->e, &r);
	timing(&w->e, &r);
	seq_view(&w->e, &r);
	gather(s, w, &ev, &r);
	ev.lost = lost_near(
	    w->t, w->e.dir == WS_TX || r.via_lo ? LOST_SEND_EVENT : LOST_ANY);
	events_lost = ev.lost != RST_LOST_NONE;
	if (!ev.lost && !traced_send)
		ev.lost = RST_LOST_TRACEPOINT_OFF;
	else if (!ev.lost && !send_covers_all)
		ev.lost = RST_LOST_TRACEPOINT_PARTIAL;
	r.refused = answers_our_syn(&w->e, &ev);
	ev.syn_sent = r.refused;
	if (r.refused &&
	    refused_evidence(&w->e, &ev.refused, &rt, &probes, &why))
		return false;
	r.probed = ev.refused.probed;
	r.no_probe = ev.refused.no_probe;
	w->done = true;
	if (ev.sent || ev.via_lo) {
		send = find_match(w, RST_TP_SEND, r.via_lo, false);
		if (!send && !r.via_lo && !events_lost)
			send = find_by_local_end(s, w, RST_TP_SEND);
		if (send) {
			send->done = true;
			ev.kernel_sent = true;
			r.reason = rst_reason_name(send->e.reason, reason,
						   sizeof(reason));
		}
	}
	/* Without its event, an RST of ours or one we forward? */
	ev.foreign_src = ev.sent && !ev.kernel_sent &&
			 !ws_addr_is_local(w->e.key.family, w->e.key.laddr);
	r.ours = ev.via_lo || (ev.sent && !ev.forwarded && !ev.foreign_src);
	rst_decide(&ev, &r.res);
	r.ts_state = ts_state(&ev, &r.res);
	r.peer_ts_clock = ev.peer_ts_clock;
	if (r.res.verdict == RV_MIDDLEBOX && r.res.hop >= 1) {
		refused_hop(&rt, probes, why, &r);
	} else if (opts.locate && r.res.verdict == RV_MIDDLEBOX &&
		   r.res.hops_before_peer > 0 && !locate_hop(&w->e, &r)) {
		w->done = false;
		return false;
	}
	kernel_view(s, w, &r);
	/* After kernel_view: over lo the receiving socket's event is its. */
	if (w->e.dir == WS_TX || r.via_lo)
		claim_recvs_of_sent(w);
	rst_record(s, &r);
	return true;
}

/*
 * The row of kernel event @c (tracepoint @tp) that no watched interface
 * carried, its verdict and kernel view in @r: why says @unseen, or that
 * its wire event may be what was lost.
 */
static void record_unwired(struct ws_session *s, struct rst_stored *c,
			   struct rst_row *r, const char *tp,
			   const char *unseen)
{
	enum rst_lost lost = lost_near(c->t, LOST_WIRE_EVENT);

	c->done = true;
	r->e = &c->e;
	r->wall = c->t + mono_to_real;
	row_addrs(&c->e, r);
	timing(&c->e, r);
	if (lost) /* its wire event may be what was lost */
		snprintf(r->res.why, sizeof(r->res.why),
			 "%s: %s fired; no wire record of it, but events "
			 "were lost then",
			 rst_lost_name(lost), tp);
	else
		snprintf(r->res.why, sizeof(r->res.why), "%s", unseen);
	r->ts_state = "-";
	rst_record(s, r);
}

/* A reset the kernel decided that no watched interface carried. */
static void finalize_send(struct ws_session *s, struct rst_stored *c)
{
	static char reason[48];
	struct rst_row r = { .res = rst_unmeasured(RV_LOCAL, RC_HIGH),
			     .kernel = "sent" };

	r.reason = rst_reason_name(c->e.reason, reason, sizeof(reason));
	claim_recvs_of_sent(c);
	record_unwired(s, c, &r, "tcp_send_reset",
		       "tcp_send_reset fired; not seen on a watched "
		       "interface");
}

/*
 * A reset a socket here took that no watched interface carried: it came
 * in on another one, or on lo unwatched (diag, export, -m native), where
 * this host's firewall's rejects come back.  Its origin is unknown, but
 * the connection it ended is counted, not dropped unseen.
 */
static void finalize_recv(struct ws_session *s, struct rst_stored *c)
{
	struct rst_row r = { .res = rst_unmeasured(RV_UNKNOWN, RC_LOW),
			     .kernel = "accepted",
			     .refused = c->e.state == TCP_SYN_SENT };
	char why[160];

	/*
	 * Its peer is on this host, and an RST sent here without a full
	 * socket fires no tcp_send_reset before 6.10 (none with it off):
	 * that gap, not an interface unwatched, is why nothing claimed it.
	 */
	if (!rst_local_netfilter_decidable() &&
	    ws_addr_is_local(c->e.key.family, c->e.key.raddr)) {
		r.ours = true;
		snprintf(why, sizeof(why),
			 "%s: a socket here took an RST from this host, whose "
			 "send event this kernel %s",
			 rst_lost_name(traced_send ? RST_LOST_TRACEPOINT_PARTIAL
						   : RST_LOST_TRACEPOINT_OFF),
			 traced_send ? "gives only with a full socket"
				     : "does not give (tcp_send_reset off)");
		record_unwired(s, c, &r, "tcp_receive_reset", why);
		return;
	}
	record_unwired(s, c, &r, "tcp_receive_reset",
		       "not seen on a watched interface: a socket here took "
		       "it (tcp_receive_reset), from another interface or "
		       "lo, where this host's firewall's rejects come back");
}

static void compact(double now)
{
	int i, n = 0;

	for (i = 0; i < nevs; i++)
		if (!evs[i].done || now - evs[i].t < RST_KEEP_S)
			evs[n++] = evs[i];
	nevs = n;
}

/* Decide every event older than the settle time (all when @flush). */
static void process(struct ws_session *s, bool flush)
{
	double now = ws_mono_ns() / 1e9;
	int i;

	ring_buffer__consume(rb);
	check_losses(s, now);
	locate_ran_this_pass = false;
	stopping = flush ? s : NULL;
	for (i = 0; i < nevs; i++)
		if (!evs[i].done && evs[i].e.kind == RST_WIRE &&
		    (flush || now - evs[i].t >= RST_SETTLE_S))
			finalize_wire(s, &evs[i]);
	for (i = 0; i < nevs; i++)
		if (!evs[i].done && evs[i].e.kind == RST_TP_SEND &&
		    (flush || now - evs[i].t >= RST_SETTLE_S + RST_MATCH_S))
			finalize_send(s, &evs[i]);
	for (i = 0; i < nevs; i++)
		if (!evs[i].done && evs[i].e.kind == RST_TP_RECV &&
		    (flush || now - evs[i].t >= RST_KEEP_S) &&
		    !wire_pending(&evs[i]))
			finalize_recv(s, &evs[i]);
	/*
	 * Unmatched drop events only add to wire events; a receive event
	 * waits for the wire RST on its socket that --locate holds.
	 */
	for (i = 0; i < nevs; i++)
		if (!evs[i].done && evs[i].e.kind != RST_WIRE &&
		    evs[i].e.kind != RST_TP_SEND &&
		    (flush || now - evs[i].t >= RST_KEEP_S) &&
		    (evs[i].e.kind != RST_TP_RECV || flush ||
		     !wire_pending(&evs[i])))
			evs[i].done = true;
	compact(now);
}

/* Baselines BPF inserted or deleted (@idx: RST_STAT_*), over all CPUs. */
static bool flow_stat(struct ws_session *s, uint32_t idx, uint64_t *v)
{
	return !ws_percpu_sum_u64(bpf_map__fd(s->skel->maps.rst_stats), &idx,
				  s->ncpus, v, 1);
}

/*
 * The LRU evicts without telling us: what was inserted, not deleted and not
 * among @present entries was evicted.  @present is the table's size (it
 * holds no more) or a walk's count, so the count is a lower bound.
 */
void rst_evicted_at_least(uint64_t ins, uint64_t del, uint64_t present)
{
	if (ins > del + present && ins - del - present > flows_evicted)
		flows_evicted = ins - del - present;
}

uint64_t rst_flows_evicted(void)
{
	return flows_evicted;
}

/*
 * Evictions at least: beyond the table's size, or beyond the @walked flows
 * a walk of it found (-1: no walk).  @ins was read before the walk, the
 * deletes are read after it.
 */
static void count_evictions(struct ws_session *s, uint64_t ins, int walked)
{
	uint64_t del;

	if (flow_stat(s, RST_STAT_DELETES, &del))
		rst_evicted_at_least(
		    ins, del, walked >= 0 ? (uint64_t)walked : opts.flows);
}

/* Decide what settled; everything on the last sample (diag and export
 * read the verdicts without the interval and summary hooks). */
static int sample(struct ws_session *s)
{
	uint64_t ins;

	if (flow_stat(s, RST_STAT_INSERTS, &ins))
		count_evictions(s, ins, -1);
	process(s, s->final_sample);
	return 0;
}

/*
 * Every tick, the events that settled, the filter's upkeep, whose rebuild
 * walks the table, and the evictions.  Once all CPUs' inserts reach half
 * the table, closed flows leave it (rst_forget_closed()).  Export samples
 * only when scraped, so its events are decided here: the table of
 * undecided events (RST_MAX_EVENTS) would fill between two scrapes.
 */
static void housekeep(struct ws_session *s)
{
	bool counted;
	int walked = -1;
	uint64_t ins;

	if (s->no_reports) /* no sample() this tick */
		process(s, false);
	counted = flow_stat(s, RST_STAT_INSERTS, &ins);
	if (present.slots)
		walked = resets_present_refresh(&present);
	if (!counted)
		return;
	count_evictions(s, ins, walked);
	if (ins >= opts.flows / 2)
		s->skel->bss->rst_reap_all = 1;
}

static void stop(struct ws_session *s)
{
	resets_present_close(&present);
	ring_buffer__free(rb);
	rb = NULL;
	btf__free(vmlinux_btf);
	vmlinux_btf = NULL;
}

const struct ws_collector ws_resets_collector = {
	.name = "resets",
	.map_prefix = "rst_",
	.needs_hooks = true,
	.configure = configure,
	.start = start,
	.sample = sample,
	.housekeep = housekeep,
	.summary = rst_report_summary,
	.prom = resets_prom,
	.findings = resets_findings,
	.diag_cols = resets_diag_cols,
	.stop = stop,
};
