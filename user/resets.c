// SPDX-License-Identifier: GPL-2.0
/*
 * The reset collector: who sent every RST.  Events from the ring buffer
 * wait RST_SETTLE_S so the kernel's view of each (tcp_send_reset,
 * tcp_receive_reset, kfree_skb) and any burst around it have arrived; then
 * the evidence goes through rst_decide() (verdict.c) and one line is
 * printed.  The summary groups the verdicts by origin and gives advice.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>
#include <sys/stat.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <bpf/bpf.h>
#include "collectors.h"
#include "locate.h"
#include "parse.h"
#include "wirescope.skel.h"

#define RST_SETTLE_S	 1.0 /* wait for the kernel's view and bursts */
#define RST_MATCH_S	 1.0 /* wire and tracepoint events this close match */
#define RST_KEEP_S	 2.5 /* decided events kept for bursts */
#define RST_MAX_EVENTS	 2048
#define RST_MAX_GROUPS	 64
#define RST_MAX_REASONS	 64
#define RST_LOCATE_CACHE 32

struct stored {
	struct rst_event e;
	double t;  /* seconds, CLOCK_MONOTONIC (bpf_ktime_get_ns) */
	bool done; /* printed, or claimed by a wire event */
};

/* One printed RST. */
struct rst_row {
	const struct rst_event *e;
	bool via_lo;
	char saddr[INET6_ADDRSTRLEN], daddr[INET6_ADDRSTRLEN];
	uint16_t sport, dport;
	char peer[INET6_ADDRSTRLEN];
	struct rst_result res;
	const char *reason; /* local: the kernel's sk_rst_reason name */
	char kernel[96];    /* what the kernel did with it */
	const char *ts_state;
	bool seq_known;
	int64_t seq_delta;
	double idle_s, idle_rx_s, idle_tx_s; /* < 0: unknown */
	bool triggered;
	double trigger_ago_s;
	char hop_addr[INET6_ADDRSTRLEN];
	char locate_note[64];
};

/* The summary: RSTs grouped by origin. */
struct group {
	enum rst_verdict v;
	char reason[48];
	char peer[INET6_ADDRSTRLEN];
	char hop_addr[INET6_ADDRSTRLEN];
	int hops_before_peer;
	bool unsolicited;
	uint64_t n;
	double idle_min, idle_max;
};

static struct rst_options opts = { .flows = RST_FLOWS_DEFAULT,
				   .rate = RST_RATE_DEFAULT };
static struct stored evs[RST_MAX_EVENTS];
static int nevs;
static uint64_t user_dropped;
static struct ring_buffer *rb;
static struct btf *vmlinux_btf;
static int lo_ifindex;
static double mono_to_real;
static struct group groups[RST_MAX_GROUPS];
static int ngroups;
static uint64_t group_overflow;
static uint64_t by_dir_verdict[WS_NDIRS][RV_N];
static struct {
	char name[48];
	uint64_t n;
} local_reasons[RST_MAX_REASONS];
static int nlocal_reasons;
static struct {
	uint32_t peer[4];
	int ttl;
	char hop[INET6_ADDRSTRLEN]; /* "": no answer */
} locate_cache[RST_LOCATE_CACHE];
static int nlocate_cache;

void resets_set_options(const struct rst_options *o)
{
	opts = *o;
}

/* No libm in the static build. */
static double dmin(double a, double b)
{
	return a < b ? a : b;
}

static double dmax(double a, double b)
{
	return a > b ? a : b;
}

static double dabs(double a)
{
	return a < 0 ? -a : a;
}

static double now_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
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
	return btf_enum_name("sk_rst_reason", "SK_RST_REASON_", v, buf, len);
}

static const char *drop_reason_name(uint32_t v, char *buf, size_t len)
{
	return btf_enum_name("skb_drop_reason", "SKB_DROP_REASON_", v, buf,
			     len);
}

static void addr_str(const uint32_t *a, uint32_t family, char *buf, size_t len)
{
	inet_ntop(family == 6 ? AF_INET6 : AF_INET, a, buf, len);
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

	skel->rodata->resets_enabled = true;
	skel->rodata->resets_rate = opts.rate;
	skel->rodata->resets_burst = opts.rate / 2 ? opts.rate / 2 : 1;
	lo_ifindex = (int)if_nametoindex("lo");
	skel->rodata->resets_lo_ifindex = lo_ifindex;
	if (!stat("/proc/self/ns/net", &st))
		skel->rodata->resets_netns_ino = (uint32_t)st.st_ino;
	bpf_program__set_autoload(skel->progs.ws_rst_send, true);
	bpf_program__set_autoload(skel->progs.ws_rst_recv, true);
	bpf_program__set_autoload(skel->progs.ws_rst_drop, true);
	if (bpf_map__set_max_entries(skel->maps.rst_flows, opts.flows))
		return ws_error(WS_EXIT_KERNEL, "resets: cannot size flows");
	vmlinux_btf = btf__load_vmlinux_btf();
	if (!vmlinux_btf)
		ws_warn("resets: no kernel BTF: reasons shown as numbers");
	return 0;
}

static int on_event(void *ctx, void *data, size_t len)
{
	struct stored *st;

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
	int fd = bpf_map__fd(s->skel->maps.rst_events);

	mono_to_real = now_real() - now_mono();
	rb = ring_buffer__new(fd, on_event, NULL, NULL);
	if (!rb)
		return -errno;
	return ws_session_add_poller(s, ring_buffer__epoll_fd(rb), poll_events,
				     NULL);
}

/* The first unclaimed event of @kind on @e's flow within the window. */
static struct stored *find_match(const struct stored *w, int kind,
				 bool either_way, bool by_seq)
{
	int i;

	for (i = 0; i < nevs; i++) {
		struct stored *c = &evs[i];

		if (c->done || c->e.kind != kind ||
		    dabs(c->t - w->t) > RST_MATCH_S)
			continue;
		if (!same_key(&c->e.key, &w->e.key) &&
		    !(either_way && reverse_key(&c->e.key, &w->e.key)))
			continue;
		if (by_seq && c->e.seq != w->e.seq)
			continue;
		return c;
	}
	return NULL;
}

/* RSTs received on @w's flow within 1 s, and how many distinct seqs. */
static void burst_of(const struct stored *w, int *n, int *seqs)
{
	uint32_t seen[16];
	int i, j, ns = 0;

	*n = 0;
	for (i = 0; i < nevs; i++) {
		const struct stored *c = &evs[i];

		if (c->e.kind != RST_WIRE || c->e.dir != WS_RX ||
		    dabs(c->t - w->t) > 1.0 || !same_key(&c->e.key, &w->e.key))
			continue;
		(*n)++;
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

static void kernel_view(struct stored *w, struct rst_row *r)
{
	char name[48];
	struct stored *c;

	if (w->e.dir == WS_TX) {
		snprintf(r->kernel, sizeof(r->kernel), "sent");
		return;
	}
	c = find_match(w, RST_TP_RECV, r->via_lo, false);
	if (c) {
		c->done = true;
		snprintf(r->kernel, sizeof(r->kernel), "accepted");
		return;
	}
	c = find_match(w, RST_TP_DROP, r->via_lo, true);
	if (!c) {
		snprintf(r->kernel, sizeof(r->kernel), "no socket event");
		return;
	}
	c->done = true;
	drop_reason_name(c->e.reason, name, sizeof(name));
	if (!strcmp(name, "TCP_RESET"))
		snprintf(r->kernel, sizeof(r->kernel),
			 "challenge-ACKed (TCP_RESET)");
	else if (strstr(name, "SEQUENCE"))
		snprintf(r->kernel, sizeof(r->kernel),
			 "dropped out of window (%s)", name);
	else
		snprintf(r->kernel, sizeof(r->kernel), "dropped (%s)", name);
}

static double ns_ago(uint64_t now, uint64_t then)
{
	return then && now >= then ? (now - then) / 1e9 : -1;
}

/* The flow's timing: idle each way, and whether our segment triggered. */
static void timing(const struct rst_event *e, struct rst_row *r)
{
	const struct rst_flow *f = &e->flow;

	r->idle_rx_s = ns_ago(e->ts_ns, f->last_rx_ns);
	r->idle_tx_s = ns_ago(e->ts_ns, f->last_tx_ns);
	r->trigger_ago_s = r->idle_tx_s;
	/* A pure ACK (ours, or a challenge ACK) provokes nothing. */
	r->triggered = e->dir == WS_RX && f->last_tx_ns &&
		       f->last_tx_kind != RST_TX_ACK &&
		       f->last_tx_ns >= f->last_rx_ns &&
		       r->idle_tx_s <= RST_TRIGGER_WINDOW_S;
	if (r->triggered)
		r->idle_s = f->tx_gap_ns / 1e9;
	else if (r->idle_rx_s >= 0 && r->idle_tx_s >= 0)
		r->idle_s = dmin(r->idle_rx_s, r->idle_tx_s);
	else
		r->idle_s = r->idle_rx_s >= 0 ? r->idle_rx_s : r->idle_tx_s;
}

static void gather(struct ws_session *s, struct stored *w,
		   struct rst_evidence *ev, struct rst_row *r)
{
	const struct rst_event *e = &w->e;
	const struct rst_flow *f = &e->flow;
	bool have = e->has_flow;

	memset(ev, 0, sizeof(*ev));
	ev->sent = e->dir == WS_TX && !r->via_lo;
	ev->via_lo = r->via_lo;
	ev->has_peer = have && (f->flags & RST_F_RX_SEEN);
	ev->syn_sent = have && (f->last_tx_flags & WS_TCP_SYN);
	ev->ttl = e->ttl;
	ev->peer_ttl_min = f->ttl_min;
	ev->peer_ttl_max = f->ttl_max;
	ev->peer_ttl_last = f->ttl_last;
	ev->has_ts = e->opts & WS_OPT_TS;
	ev->tsval = e->tsval;
	ev->peer_ts = have && (f->flags & RST_F_PEER_TS);
	ev->peer_tsval = f->peer_tsval;
	ev->ipv4 = e->key.family == 4;
	ev->ip_id = e->ip_id;
	ev->peer_ip_id = f->peer_ip_id;
	ev->idle_rx_s = r->idle_rx_s;
	ev->triggered = r->triggered;
	if (e->dir == WS_RX && !r->via_lo) {
		burst_of(w, &ev->burst, &ev->burst_seqs);
		ev->data_after = data_after_rst(s, &e->key);
	}
}

static void seq_view(const struct rst_event *e, struct rst_row *r)
{
	const struct rst_flow *f = &e->flow;

	if (!e->has_flow || !(f->flags & RST_F_TX_SEEN))
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
	return res->ts_continues ? "continues" : "jumps";
}

static void locate_hop(const struct rst_event *e, struct rst_row *r)
{
	struct rst_locate_req q = { 0 };
	struct rst_locate_res res;
	int i, ttl = r->res.hops + 1;

	for (i = 0; i < nlocate_cache; i++) {
		if (!memcmp(locate_cache[i].peer, e->key.raddr, 16) &&
		    locate_cache[i].ttl == ttl)
			goto found;
	}
	q.family = e->key.family;
	memcpy(q.laddr, e->key.laddr, 16);
	memcpy(q.raddr, e->key.raddr, 16);
	q.lport = e->key.lport;
	q.rport = e->key.rport;
	q.seq = e->flow.our_snd_nxt - 1; /* a keepalive's seq: harmless */
	q.ack = e->flow.our_ack;
	q.max_ttl = ttl < r->res.peer_hops ? ttl : r->res.peer_hops;
	if (q.max_ttl > RST_LOCATE_MAX_TTL || q.max_ttl < 1 ||
	    rst_locate(&q, &res)) {
		snprintf(r->locate_note, sizeof(r->locate_note),
			 "probes failed");
		return;
	}
	i = nlocate_cache < RST_LOCATE_CACHE ? nlocate_cache++ : 0;
	memcpy(locate_cache[i].peer, e->key.raddr, 16);
	locate_cache[i].ttl = ttl;
	snprintf(locate_cache[i].hop, sizeof(locate_cache[i].hop), "%s",
		 ttl <= q.max_ttl ? res.hop[ttl] : "");
found:
	if (!locate_cache[i].hop[0]) {
		snprintf(r->locate_note, sizeof(r->locate_note),
			 "no ICMP from hop %d", ttl);
		return;
	}
	snprintf(r->hop_addr, sizeof(r->hop_addr), "%s", locate_cache[i].hop);
}

static void row_addrs(const struct rst_event *e, struct rst_row *r)
{
	bool rx = e->dir == WS_RX;

	addr_str(rx ? e->key.raddr : e->key.laddr, e->key.family, r->saddr,
		 sizeof(r->saddr));
	addr_str(rx ? e->key.laddr : e->key.raddr, e->key.family, r->daddr,
		 sizeof(r->daddr));
	addr_str(e->key.raddr, e->key.family, r->peer, sizeof(r->peer));
	r->sport = rx ? e->key.rport : e->key.lport;
	r->dport = rx ? e->key.lport : e->key.rport;
}

static void flags_str(uint8_t fl, char *buf)
{
	static const char names[] = "FSRPAUEC";
	int i, n = 0;

	for (i = 0; i < 8; i++)
		if (fl & (1 << i))
			buf[n++] = names[i];
	buf[n] = '\0';
}

static void opts_str(uint8_t o, char *buf, size_t len)
{
	static const char *const names[] = { "mss", "ws",  "sackok", "sack",
					     "ts",  "md5", "other",  "bad" };
	size_t n = 0;
	int i;

	buf[0] = '\0';
	for (i = 0; i < 8; i++)
		if (o & (1 << i))
			n += snprintf(buf + n, len - n, "%s%s", n ? "," : "",
				      names[i]);
	if (!n)
		snprintf(buf, len, "-");
}

static void fmt_secs(double v, char *buf, size_t len)
{
	if (v < 0)
		snprintf(buf, len, "?");
	else if (v < 1)
		snprintf(buf, len, "%.0fms", v * 1000);
	else
		snprintf(buf, len, "%.1fs", v);
}

/* The RST's wall-clock time: local HH:MM:SS.mmm, or ISO 8601 UTC. */
static void fmt_time(double mono, char *buf, size_t len, bool iso)
{
	double real = mono + mono_to_real;
	time_t sec = (time_t)real;
	struct tm tm;

	if (iso)
		gmtime_r(&sec, &tm);
	else
		localtime_r(&sec, &tm);
	strftime(buf, len, iso ? "%Y-%m-%dT%H:%M:%S" : "%H:%M:%S", &tm);
	snprintf(buf + strlen(buf), len - strlen(buf), ".%03d%s",
		 (int)((real - sec) * 1000), iso ? "Z" : "");
}

/* addr:port, IPv6 in brackets. */
static void fmt_endpoint(const char *addr, uint16_t port, char *buf, size_t len)
{
	snprintf(buf, len, strchr(addr, ':') ? "[%s]:%u" : "%s:%u", addr, port);
}

static void print_text(struct ws_session *s, const struct rst_row *r)
{
	const struct rst_event *e = r->e;
	char t[20], fl[10], op[48], idle[16], irx[16], itx[16], trig[16];
	char src[INET6_ADDRSTRLEN + 8], dst[INET6_ADDRSTRLEN + 8];
	const char *v = rst_verdict_name(r->res.verdict);
	FILE *f = s->out;

	fmt_time(e->ts_ns / 1e9, t, sizeof(t), false);
	fmt_endpoint(r->saddr, r->sport, src, sizeof(src));
	fmt_endpoint(r->daddr, r->dport, dst, sizeof(dst));
	flags_str(e->tcp_flags, fl);
	opts_str(e->opts, op, sizeof(op));
	fmt_secs(r->idle_s, idle, sizeof(idle));
	fmt_secs(r->idle_rx_s, irx, sizeof(irx));
	fmt_secs(r->idle_tx_s, itx, sizeof(itx));
	fmt_secs(r->trigger_ago_s, trig, sizeof(trig));
	fprintf(f, "%s %s%s %s > %s %s ttl=%u id=%u opts=%s", t,
		e->dir == WS_RX ? "rx" : "tx", r->via_lo ? "(lo)" : "", src,
		dst, fl, e->ttl, e->ip_id, op);
	if (r->res.hops >= 0)
		fprintf(f, " hops=%d", r->res.hops);
	if (r->res.peer_hops >= 0)
		fprintf(f, " peer_hops=%d", r->res.peer_hops);
	fprintf(f, " ts=%s", r->ts_state);
	if (r->seq_known)
		fprintf(f, " seq=exp%+" PRId64, r->seq_delta);
	fprintf(f, " kernel=\"%s\" idle=%s(rx %s, tx %s)", r->kernel, idle, irx,
		itx);
	if (r->triggered)
		fprintf(f, " trigger=ours %s before", trig);
	else if (e->dir == WS_RX && !r->via_lo)
		fprintf(f, " unsolicited");
	fprintf(f, " => %s", v);
	if (r->reason)
		fprintf(f, " %s", r->reason);
	if (r->res.hops_before_peer >= 0)
		fprintf(f, " hops_before_peer=%d", r->res.hops_before_peer);
	if (r->hop_addr[0])
		fprintf(f, " hop_addr=%s", r->hop_addr);
	else if (r->locate_note[0])
		fprintf(f, " hop_addr=? (%s)", r->locate_note);
	fprintf(f, " [%s: %s]\n", rst_confidence_name(r->res.conf), r->res.why);
}

static void json_num_or_null(struct ws_json *j, const char *key, double v)
{
	if (v >= 0) {
		json_double(j, key, v);
		return;
	}
	json_key(j, key);
	fputs("null", j->f);
}

static void print_json(struct ws_session *s, const struct rst_row *r)
{
	const struct rst_event *e = r->e;
	char fl[10], op[48], at[40];
	struct ws_json j;

	flags_str(e->tcp_flags, fl);
	opts_str(e->opts, op, sizeof(op));
	json_begin(&j, s->out, "rst");
	fmt_time(e->ts_ns / 1e9, at, sizeof(at), true);
	json_str(&j, "rst_time", at);
	json_str(&j, "dir", e->dir == WS_RX ? "rx" : "tx");
	json_bool(&j, "via_lo", r->via_lo);
	json_str(&j, "saddr", r->saddr);
	json_u64(&j, "sport", r->sport);
	json_str(&j, "daddr", r->daddr);
	json_u64(&j, "dport", r->dport);
	json_str(&j, "flags", fl);
	json_u64(&j, "ttl", e->ttl);
	json_u64(&j, "ip_id", e->ip_id);
	json_str(&j, "opts", op);
	json_num_or_null(&j, "hops", r->res.hops);
	json_num_or_null(&j, "peer_hops", r->res.peer_hops);
	json_str(&j, "ts", r->ts_state);
	if (r->seq_known)
		json_i64(&j, "seq_delta", r->seq_delta);
	json_str(&j, "kernel", r->kernel);
	json_num_or_null(&j, "idle_s", r->idle_s);
	json_num_or_null(&j, "idle_rx_s", r->idle_rx_s);
	json_num_or_null(&j, "idle_tx_s", r->idle_tx_s);
	json_bool(&j, "triggered", r->triggered);
	if (r->triggered)
		json_double(&j, "trigger_ago_s", r->trigger_ago_s);
	json_str(&j, "verdict", rst_verdict_name(r->res.verdict));
	json_str(&j, "confidence", rst_confidence_name(r->res.conf));
	json_str(&j, "why", r->res.why);
	if (r->reason)
		json_str(&j, "reason", r->reason);
	if (r->res.verdict == RV_MIDDLEBOX) {
		json_num_or_null(&j, "hops_before_peer",
				 r->res.hops_before_peer);
		json_str(&j, "hop_addr", r->hop_addr);
		json_bool(&j, "unsolicited", !r->triggered);
	}
	json_end(&j);
}

static void count_reason(const char *name)
{
	int i;

	for (i = 0; i < nlocal_reasons; i++)
		if (!strcmp(local_reasons[i].name, name))
			break;
	if (i == nlocal_reasons) {
		if (i == RST_MAX_REASONS)
			return;
		snprintf(local_reasons[i].name, sizeof(local_reasons[i].name),
			 "%s", name);
		nlocal_reasons++;
	}
	local_reasons[i].n++;
}

static void group_add(const struct rst_row *r)
{
	const struct rst_result *res = &r->res;
	const char *reason = r->reason ? r->reason : "";
	bool unsol = res->verdict == RV_MIDDLEBOX && !r->triggered;
	struct group *g;
	int i;

	for (i = 0; i < ngroups; i++) {
		g = &groups[i];
		if (g->v == res->verdict && !strcmp(g->reason, reason) &&
		    !strcmp(g->peer, r->peer) &&
		    !strcmp(g->hop_addr, r->hop_addr) &&
		    g->hops_before_peer == res->hops_before_peer &&
		    g->unsolicited == unsol)
			break;
	}
	if (i == ngroups) {
		if (ngroups == RST_MAX_GROUPS) {
			group_overflow++;
			return;
		}
		g = &groups[ngroups++];
		*g = (struct group){ .v = res->verdict,
				     .hops_before_peer = res->hops_before_peer,
				     .unsolicited = unsol,
				     .idle_min = INFINITY,
				     .idle_max = -1 };
		snprintf(g->reason, sizeof(g->reason), "%s", reason);
		snprintf(g->peer, sizeof(g->peer), "%s", r->peer);
		snprintf(g->hop_addr, sizeof(g->hop_addr), "%s", r->hop_addr);
	}
	g = &groups[i];
	g->n++;
	if (r->idle_s >= 0) {
		g->idle_min = dmin(g->idle_min, r->idle_s);
		g->idle_max = dmax(g->idle_max, r->idle_s);
	}
}

static void record(struct ws_session *s, const struct rst_row *r)
{
	by_dir_verdict[r->e->dir & 1][r->res.verdict]++;
	if (r->reason)
		count_reason(r->reason);
	group_add(r);
	if (s->o->json)
		print_json(s, r);
	else
		print_text(s, r);
}

static void finalize_wire(struct ws_session *s, struct stored *w)
{
	static char reason[48];
	struct rst_evidence ev;
	struct rst_row r = { .e = &w->e };
	struct stored *send;

	w->done = true;
	r.via_lo = lo_ifindex && (int)w->e.ifindex == lo_ifindex;
	row_addrs(&w->e, &r);
	timing(&w->e, &r);
	seq_view(&w->e, &r);
	kernel_view(w, &r);
	gather(s, w, &ev, &r);
	if (ev.sent || ev.via_lo) {
		send = find_match(w, RST_TP_SEND, r.via_lo, false);
		if (send) {
			send->done = true;
			ev.kernel_sent = true;
			r.reason = rst_reason_name(send->e.reason, reason,
						   sizeof(reason));
		}
	}
	rst_decide(&ev, &r.res);
	r.ts_state = ts_state(&ev, &r.res);
	if (opts.locate && r.res.verdict == RV_MIDDLEBOX &&
	    r.res.hops_before_peer > 0)
		locate_hop(&w->e, &r);
	record(s, &r);
}

/* A reset the kernel decided that no watched interface carried. */
static void finalize_send(struct ws_session *s, struct stored *c)
{
	static char reason[48];
	struct rst_row r = { .e = &c->e };

	c->done = true;
	row_addrs(&c->e, &r);
	timing(&c->e, &r);
	r.reason = rst_reason_name(c->e.reason, reason, sizeof(reason));
	r.res = (struct rst_result){ .verdict = RV_LOCAL,
				     .conf = RC_HIGH,
				     .hops = -1,
				     .peer_hops = -1,
				     .hops_before_peer = -1 };
	snprintf(r.res.why, sizeof(r.res.why),
		 "tcp_send_reset fired; not seen on a watched interface");
	snprintf(r.kernel, sizeof(r.kernel), "sent");
	r.ts_state = "-";
	record(s, &r);
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
	double now = now_mono();
	int i;

	ring_buffer__consume(rb);
	for (i = 0; i < nevs; i++)
		if (!evs[i].done && evs[i].e.kind == RST_WIRE &&
		    (flush || now - evs[i].t >= RST_SETTLE_S))
			finalize_wire(s, &evs[i]);
	for (i = 0; i < nevs; i++)
		if (!evs[i].done && evs[i].e.kind == RST_TP_SEND &&
		    (flush || now - evs[i].t >= RST_SETTLE_S + RST_MATCH_S))
			finalize_send(s, &evs[i]);
	/* Unmatched receive/drop events only add to wire events. */
	for (i = 0; i < nevs; i++)
		if (!evs[i].done && evs[i].e.kind != RST_WIRE &&
		    evs[i].e.kind != RST_TP_SEND &&
		    (flush || now - evs[i].t >= RST_KEEP_S))
			evs[i].done = true;
	compact(now);
}

static void interval(struct ws_session *s, double secs)
{
	process(s, false);
}

static long keepalive_time(void)
{
	FILE *f = fopen("/proc/sys/net/ipv4/tcp_keepalive_time", "r");
	long v = -1;

	if (f) {
		if (fscanf(f, "%ld", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

static void advice(const struct group *g, char *buf, size_t len)
{
	long ka = keepalive_time();

	switch (g->v) {
	case RV_MIDDLEBOX:
		/*
		 * Unprompted, it fired at its timeout; answering our first
		 * segment after a silence, the timeout is at most the silence.
		 */
		if (g->idle_min >= 1 && g->idle_max >= 0)
			snprintf(buf, len,
				 "its idle timeout is %s %.0f s; "
				 "net.ipv4.tcp_keepalive_time here is %ld — "
				 "set it (or the application's keepalive) "
				 "below %.0f s",
				 g->unsolicited ? "about" : "at most",
				 g->idle_min, ka, g->idle_min);
		else
			snprintf(buf, len,
				 "a firewall/IPS on the path rejects the flow "
				 "mid-stream: check its rules");
		break;
	case RV_LOCAL:
		if (!strcmp(g->reason, "TCP_KEEPALIVE_TIMEOUT"))
			snprintf(buf, len,
				 "keepalives went unanswered: the path "
				 "black-holes or the peer is gone");
		else if (!strcmp(g->reason, "TCP_ABORT_ON_CLOSE"))
			snprintf(buf, len,
				 "the application closed with unread data");
		else if (!strcmp(g->reason, "NO_SOCKET"))
			snprintf(buf, len,
				 "segments arrived for a socket this host "
				 "does not have");
		else
			snprintf(buf, len, "this host's TCP stack decided it");
		break;
	case RV_LOCAL_NETFILTER:
		snprintf(buf, len,
			 "this host's firewall rejects the flow: look for "
			 "'reject with tcp reset' in nft list ruleset / "
			 "iptables -S");
		break;
	case RV_PEER_ABORT:
		snprintf(buf, len,
			 "the peer application aborted (SO_LINGER 0, crash "
			 "or close with unread data): check its logs");
		break;
	case RV_PEER_NO_SOCKET:
		snprintf(buf, len,
			 "the peer had no socket for the flow: it restarted, "
			 "an LB re-mapped the flow, or a firewall on the peer "
			 "host");
		break;
	case RV_INJECTED:
		snprintf(buf, len,
			 "forged resets (off-path injector or DPI): the "
			 "kernel's RFC 5961 checks refuse most of them");
		break;
	default:
		snprintf(buf, len,
			 "start wirescope before the flows go idle so each "
			 "has a baseline");
	}
}

static void group_origin(const struct group *g, char *buf, size_t len)
{
	const char *v = rst_verdict_name(g->v);

	if (g->v == RV_MIDDLEBOX && g->hops_before_peer >= 0)
		snprintf(buf, len, "from a middlebox %d hop%s before %s%s%s%s",
			 g->hops_before_peer,
			 g->hops_before_peer == 1 ? "" : "s", g->peer,
			 g->hop_addr[0] ? " (" : "", g->hop_addr,
			 g->hop_addr[0] ? ")" : "");
	else if (g->reason[0])
		snprintf(buf, len, "%s (%s), peer %s", v, g->reason, g->peer);
	else
		snprintf(buf, len, "%s, peer %s", v, g->peer);
}

static void summary_text(struct ws_session *s)
{
	char origin[160], adv[256], idle[64];
	int i;

	fprintf(s->out, "\nSummary over %.1f s:\n", s->elapsed);
	if (!ngroups)
		fprintf(s->out, "  no resets\n");
	for (i = 0; i < ngroups; i++) {
		const struct group *g = &groups[i];

		group_origin(g, origin, sizeof(origin));
		idle[0] = '\0';
		if (g->idle_max >= 0)
			snprintf(idle, sizeof(idle),
				 " after %.1f-%.1f s idle%s", g->idle_min,
				 g->idle_max,
				 g->unsolicited ? ", unsolicited" : "");
		advice(g, adv, sizeof(adv));
		fprintf(s->out, "  %" PRIu64 " reset%s %s%s: %s\n", g->n,
			g->n == 1 ? "" : "s", origin, idle, adv);
	}
	if (user_dropped || group_overflow)
		fprintf(s->out,
			"warning: %" PRIu64
			" events lost in user space, %" PRIu64 " not grouped\n",
			user_dropped, group_overflow);
}

static void summary_json(struct ws_session *s)
{
	char origin[160], adv[256];
	struct ws_json j;
	int i, v;

	json_begin(&j, s->out, "summary");
	json_double(&j, "duration_s", s->elapsed);
	json_obj_begin(&j, "verdicts");
	for (v = 0; v < RV_N; v++)
		json_u64(&j, rst_verdict_name(v),
			 by_dir_verdict[WS_RX][v] + by_dir_verdict[WS_TX][v]);
	json_obj_end(&j);
	json_u64(&j, "events_lost_user", user_dropped);
	json_arr_begin(&j, "groups");
	for (i = 0; i < ngroups; i++) {
		const struct group *g = &groups[i];

		group_origin(g, origin, sizeof(origin));
		advice(g, adv, sizeof(adv));
		json_obj_begin(&j, NULL);
		json_str(&j, "verdict", rst_verdict_name(g->v));
		json_u64(&j, "count", g->n);
		json_str(&j, "peer", g->peer);
		if (g->reason[0])
			json_str(&j, "reason", g->reason);
		if (g->v == RV_MIDDLEBOX) {
			json_i64(&j, "hops_before_peer", g->hops_before_peer);
			json_str(&j, "hop_addr", g->hop_addr);
			json_bool(&j, "unsolicited", g->unsolicited);
		}
		if (g->idle_max >= 0) {
			json_double(&j, "idle_min_s", g->idle_min);
			json_double(&j, "idle_max_s", g->idle_max);
		}
		json_str(&j, "origin", origin);
		json_str(&j, "advice", adv);
		json_obj_end(&j);
	}
	json_arr_end(&j);
	json_end(&j);
}

static void summary(struct ws_session *s)
{
	process(s, true);
	if (s->o->json)
		summary_json(s);
	else
		summary_text(s);
}

static void prom(struct ws_session *s, struct ws_buf *b)
{
	static const char *const dirs[WS_NDIRS] = { "rx", "tx" };
	char labels[128];
	int d, v, i;

	prom_family(b, "wirescope_resets_total", "counter",
		    "TCP resets by direction and verdict (who sent them)");
	for (d = 0; d < WS_NDIRS; d++)
		for (v = 0; v < RV_N; v++) {
			snprintf(labels, sizeof(labels),
				 "dir=\"%s\",verdict=\"%s\"", dirs[d],
				 rst_verdict_name(v));
			prom_u64(b, "wirescope_resets_total", labels,
				 by_dir_verdict[d][v]);
		}
	prom_family(b, "wirescope_resets_local_total", "counter",
		    "TCP resets this host's kernel sent, by reason");
	for (i = 0; i < nlocal_reasons; i++) {
		char esc[96];

		prom_escape(esc, sizeof(esc), local_reasons[i].name);
		snprintf(labels, sizeof(labels), "reason=\"%s\"", esc);
		prom_u64(b, "wirescope_resets_local_total", labels,
			 local_reasons[i].n);
	}
	prom_family(b, "wirescope_resets_events_lost_total", "counter",
		    "RST events lost in user space (the kernel side is in "
		    "the health counters)");
	prom_u64(b, "wirescope_resets_events_lost_total", NULL, user_dropped);
}

void resets_query(struct resets_query *q)
{
	int i, d;

	memset(q, 0, sizeof(*q));
	for (d = 0; d < WS_NDIRS; d++)
		for (i = 0; i < RV_N; i++) {
			q->by_verdict[i] += by_dir_verdict[d][i];
			q->by_dir[d] += by_dir_verdict[d][i];
			q->total += by_dir_verdict[d][i];
		}
	for (i = 0; i < ngroups && q->n_middlebox < RESETS_QUERY_MAX; i++) {
		const struct group *g = &groups[i];
		struct resets_middlebox *m = &q->middlebox[q->n_middlebox];

		if (g->v != RV_MIDDLEBOX)
			continue;
		snprintf(m->peer, sizeof(m->peer), "%s", g->peer);
		snprintf(m->hop_addr, sizeof(m->hop_addr), "%s", g->hop_addr);
		m->hops_before_peer = g->hops_before_peer;
		m->idle_min_s = g->idle_max >= 0 ? g->idle_min : -1;
		m->idle_max_s = g->idle_max;
		m->unsolicited = g->unsolicited;
		m->count = g->n;
		q->n_middlebox++;
	}
}

static void stop(struct ws_session *s)
{
	ring_buffer__free(rb);
	rb = NULL;
	btf__free(vmlinux_btf);
	vmlinux_btf = NULL;
}

const struct ws_collector ws_resets_collector = {
	.name = "resets",
	.needs_hooks = true,
	.configure = configure,
	.start = start,
	.interval = interval,
	.summary = summary,
	.prom = prom,
	.stop = stop,
};
