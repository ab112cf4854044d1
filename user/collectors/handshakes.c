// SPDX-License-Identifier: GPL-2.0
/*
 * The handshake collector: SYN, SYN-ACK, final ACK per role, log2 latency
 * histograms computed in the kernel, and a per-listening-port breakdown.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "collectors/handshakes_collector.h"
#include "core/findings.h"
#include "core/procfs.h"
#include "health.h"
#include "wirescope.skel.h"

#define STATS_WORDS  (int)(sizeof(struct hs_stats) / sizeof(uint64_t))
#define PORT_WORDS   (int)(sizeof(struct hs_port_stats) / sizeof(uint64_t))
#define HEADER_EVERY 25
/* A table under half full is swept of stale entries this often. */
#define HS_SWEEP_EVERY_NS 60000000000ULL
/*
 * The kernel's first SYN timeout (TCP_TIMEOUT_INIT): until it expires a
 * connect has had no chance to be resent, and no SYN-ACK yet proves
 * nothing; after it, an unanswered one has resent its SYN.
 */
#define HS_SYN_RTO_NS 1000000000ULL

const char *const hs_leg_names[HS_NLEGS] = {
	[HS_LEG_SERVER] = "server_synack",
	[HS_LEG_RTT] = "client_rtt",
	[HS_LEG_CONNECT] = "connect",
};

static const char *const leg_titles[HS_NLEGS] = {
	[HS_LEG_SERVER] = "server SYN->SYN-ACK",
	[HS_LEG_RTT] = "server SYN-ACK->ACK (client RTT)",
	[HS_LEG_CONNECT] = "client SYN->SYN-ACK (connect)",
};

/* Cumulative per-port counters, kept sorted by port. */
struct port_table {
	struct hs_port_row *rows;
	int n;
};

static struct hs_stats base, prev, cur;
static struct port_table pbase, pprev, pcur;
/* Per-report scratch for the port breakdown, --max-ports long. */
static struct hs_port_stats *scratch_deltas;
static int *scratch_idx;
static unsigned long lines;
static uint64_t evicted, evicted_shown; /* handshakes the LRU dropped */
static uint64_t swept; /* stale entries deleted by walk_flows() */
static uint64_t last_sweep_ns; /* 0: sweep at the next sample */
static uint64_t base_ns;       /* when hs_start() read the counters */
/* Connects in their first SYN timeout at the final sample (set_pending()). */
static uint64_t connects_pending;

void hs_totals(struct hs_stats *out)
{
	ws_sub_u64(&cur, &base, out, STATS_WORDS);
}

/*
 * Final ACKs less those proven dropped.  The losses in a span (an interval)
 * can belong to ACKs counted before it and outnumber its new ones: then it
 * completed none, not a wrapped difference.
 */
static uint64_t acks_kept(uint64_t acks, uint64_t lost)
{
	return acks > lost ? acks - lost : 0;
}

uint64_t hs_server_handshakes(const struct hs_stats *d)
{
	return acks_kept(d->count[HS_SERVER_ACKS],
			 d->count[HS_SERVER_ACK_LOST]);
}

static uint64_t port_handshakes(const struct hs_port_stats *p)
{
	return acks_kept(p->acks, p->ack_lost);
}

static const struct hs_port_stats *port_find(const struct port_table *t,
					     uint32_t port)
{
	int lo = 0, hi = t->n - 1, mid;

	while (lo <= hi) {
		mid = (lo + hi) / 2;
		if (t->rows[mid].port == port)
			return &t->rows[mid].s;
		if (t->rows[mid].port < port)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return NULL;
}

static void port_delta(const struct port_table *now,
		       const struct port_table *then, int i,
		       struct hs_port_stats *out)
{
	static const struct hs_port_stats zero;
	const struct hs_port_stats *old = port_find(then, now->rows[i].port);

	ws_sub_u64(&now->rows[i].s, old ? old : &zero, out, PORT_WORDS);
}

int hs_port_totals(uint16_t port, struct hs_port_stats *out)
{
	static const struct hs_port_stats zero;
	const struct hs_port_stats *now = port_find(&pcur, port);
	const struct hs_port_stats *old = port_find(&pbase, port);

	if (!now)
		return -ENOENT;
	ws_sub_u64(now, old ? old : &zero, out, PORT_WORDS);
	return 0;
}

int hs_read_port(struct ws_session *s, uint16_t port, struct hs_port_stats *out)
{
	uint32_t key = port;

	return ws_percpu_sum_u64(bpf_map__fd(s->skel->maps.hs_ports), &key,
				 s->ncpus, (uint64_t *)out, PORT_WORDS);
}

static int cmp_row(const void *a, const void *b)
{
	const struct hs_port_row *x = a, *y = b;

	return (x->port > y->port) - (x->port < y->port);
}

static int read_ports(struct ws_session *s, struct port_table *t)
{
	int fd = bpf_map__fd(s->skel->maps.hs_ports);
	uint32_t key, next, *prevkey = NULL;
	int err;

	t->n = 0;
	while (!bpf_map_get_next_key(fd, prevkey, &next)) {
		key = next;
		prevkey = &key;
		if (t->n == (int)s->o->max_ports)
			break;
		t->rows[t->n].port = key;
		err = hs_read_port(s, key, &t->rows[t->n].s);
		if (err == -ENOENT)
			continue;
		if (err)
			return err;
		t->n++;
	}
	qsort(t->rows, t->n, sizeof(t->rows[0]), cmp_row);
	return 0;
}

/* Shared by handshakes and accept: --max-flows, --max-ports, -p. */
int hs_configure_bpf(struct ws_session *s)
{
	s->skel->rodata->handshakes_enabled = true;
	if (bpf_map__set_max_entries(s->skel->maps.hs_flows, s->o->max_flows) ||
	    bpf_map__set_max_entries(s->skel->maps.hs_ports, s->o->max_ports))
		return ws_error(WS_EXIT_KERNEL, "cannot size the maps");
	return 0;
}

static int hs_configure(struct ws_session *s)
{
	size_t n = s->o->max_ports;

	pbase.rows = calloc(n, sizeof(struct hs_port_row));
	pprev.rows = calloc(n, sizeof(struct hs_port_row));
	pcur.rows = calloc(n, sizeof(struct hs_port_row));
	scratch_deltas = calloc(n, sizeof(*scratch_deltas));
	scratch_idx = calloc(n, sizeof(*scratch_idx));
	if (!pbase.rows || !pprev.rows || !pcur.rows || !scratch_deltas ||
	    !scratch_idx)
		return ws_error(WS_EXIT_RUNTIME, "out of memory");
	return hs_configure_bpf(s);
}

/* Entries inserted and not deleted, by the kernel or by sweep_stale(). */
static uint64_t flows_live(void)
{
	return cur.count[HS_FLOW_INSERTS] - cur.count[HS_FLOW_DELETES] - swept;
}

static uint64_t flow_last_ns(const struct hs_flow *fl)
{
	uint64_t t = fl->last_syn_ns;

	t = fl->synack_ns > t ? fl->synack_ns : t;
	return fl->acked_ns > t ? fl->acked_ns : t;
}

/* No handshake event for HS_STALE_NS. */
static bool flow_stale(const struct hs_flow *fl)
{
	uint64_t last = flow_last_ns(fl), now = (uint64_t)ws_mono_ns();

	return now > last && now - last >= HS_STALE_NS;
}

/* Appends @key to the growing array *@keys; false when out of memory. */
static bool keys_add(struct hs_key **keys, int *n, int *cap,
		     const struct hs_key *key)
{
	struct hs_key *grown;

	if (*n == *cap) {
		grown = realloc(*keys, (*cap ? 2 * *cap : 256) * sizeof(*key));
		if (!grown)
			return false;
		*keys = grown;
		*cap = *cap ? 2 * *cap : 256;
	}
	(*keys)[(*n)++] = *key;
	return true;
}

/* Delete @keys as hs_delete() does: the pending filter's slot too. */
static void sweep_stale(struct ws_session *s, int fd, const struct hs_key *keys,
			int n)
{
	__u32 *pending = s->skel->bss->hs_pending;
	struct hs_flow fl;
	int i;

	for (i = 0; i < n; i++) {
		/* A SYN may have restarted the tuple since the walk saw it. */
		if (bpf_map_lookup_elem(fd, &keys[i], &fl) || !flow_stale(&fl) ||
		    bpf_map_delete_elem(fd, &keys[i]))
			continue;
		__atomic_fetch_sub(
		    &pending[hs_tuple_slot(keys[i].caddr, keys[i].cport,
					   keys[i].saddr, keys[i].sport)],
		    1, __ATOMIC_RELAXED);
		swept++;
	}
}

/*
 * A connect counted between hs_start() and a read of the counters at
 * @now, with no SYN-ACK and no resend then, its first SYN younger than
 * the kernel's first timeout: neither answered nor, yet, unanswered.
 */
static bool flow_pending(const struct hs_flow *fl, uint64_t now)
{
	return !fl->server && fl->state == HS_ST_SYN &&
	       fl->last_syn_ns == fl->first_syn_ns &&
	       fl->first_syn_ns >= base_ns && fl->first_syn_ns <= now &&
	       now - fl->first_syn_ns < HS_SYN_RTO_NS;
}

struct flow_walk {
	uint64_t now, live, pending;
	struct hs_key *stale;
	int nstale, cap;
};

static void walk_flow(const void *key, const void *value, void *arg)
{
	const struct hs_flow *fl = value;
	struct flow_walk *w = arg;

	w->pending += flow_pending(fl, w->now);
	if (!flow_stale(fl) || !keys_add(&w->stale, &w->nstale, &w->cap, key))
		w->live++;
}

/*
 * The entries in the table that are handshakes in progress; *@pending
 * counts those flow_pending() at @now.  Stale ones (client gone, connect
 * to a blackhole) are deleted after the walk: the LRU would evict them
 * sooner or later, and that is no lost handshake.
 */
static uint64_t walk_flows(struct ws_session *s, uint64_t now,
			   uint64_t *pending)
{
	struct flow_walk w = { .now = now };

	ws_map_walk(s->skel->maps.hs_flows, walk_flow, &w);
	sweep_stale(s, bpf_map__fd(s->skel->maps.hs_flows), w.stale, w.nstale);
	free(w.stale);
	*pending = w.pending;
	return w.live;
}

/* The counters, summed over CPUs. */
static int read_stats(struct ws_session *s, struct hs_stats *out)
{
	uint32_t zero = 0;

	return ws_percpu_sum_u64(bpf_map__fd(s->skel->maps.hs_stats), &zero,
				 s->ncpus, (uint64_t *)out, STATS_WORDS);
}

static uint64_t connects_answered(const struct hs_stats *d)
{
	return d->count[HS_SYNACK_RX] + d->count[HS_CLIENT_RST];
}

/*
 * Connects pending when the final sample read the counters: @walked, those
 * its walk found, and the answers that came in since.  One answered, then
 * closed, while the walk went on is gone from the table (at worst a
 * connect counts twice: the unanswered ones are fewer, never more).
 */
static void set_pending(struct ws_session *s, uint64_t walked)
{
	uint64_t was = connects_answered(&cur);
	struct hs_stats after;

	if (!read_stats(s, &after) && connects_answered(&after) > was)
		walked += connects_answered(&after) - was;
	connects_pending = walked;
}

/*
 * The LRU evicts without telling us.  Entries inserted and not deleted by
 * us are either in the table or were evicted; once the table looks half
 * full, count what is really there (a walk of at most --max-flows keys).
 * Connects to a dead peer, SYNs from spoofed addresses: left alone, their
 * entries count as flows_open and keep slots of the pending filter set (a
 * lookup per packet) for as long as the table stays under half full,
 * which may be for ever: a walk sweeps them, every HS_SWEEP_EVERY_NS and
 * at the final sample.  @now: when the counters were read.
 */
static void update_evictions(struct ws_session *s, uint64_t now)
{
	uint64_t live = flows_live(), n, pending;
	bool full = live - evicted > s->o->max_flows / 2;

	if (!full && !s->final_sample &&
	    (live <= evicted || now - last_sweep_ns < HS_SWEEP_EVERY_NS))
		return;
	last_sweep_ns = now;
	n = walk_flows(s, now, &pending);
	if (s->final_sample)
		set_pending(s, pending);
	if (!full)
		return;
	live = flows_live();
	if (live > n && live - n > evicted)
		evicted = live - n;
}

uint64_t hs_flows_evicted(void)
{
	return evicted;
}

int hs_keep_flows(struct ws_session *s)
{
	uint64_t now = (uint64_t)ws_mono_ns();
	int err = read_stats(s, &cur);

	if (!err)
		update_evictions(s, now);
	return err;
}

static int hs_sample(struct ws_session *s)
{
	int err = hs_keep_flows(s);

	return err ? err : read_ports(s, &pcur);
}

static void table_copy(struct port_table *dst, const struct port_table *src)
{
	memcpy(dst->rows, src->rows, src->n * sizeof(src->rows[0]));
	dst->n = src->n;
}

static int hs_start(struct ws_session *s)
{
	int err;

	last_sweep_ns = 0;
	connects_pending = 0;
	base_ns = (uint64_t)ws_mono_ns();
	err = hs_sample(s);

	base = prev = cur;
	table_copy(&pbase, &pcur);
	table_copy(&pprev, &pcur);
	return err;
}

static void hs_stop(struct ws_session *s)
{
	free(pbase.rows);
	free(pprev.rows);
	free(pcur.rows);
	free(scratch_deltas);
	free(scratch_idx);
	pbase.rows = pprev.rows = pcur.rows = NULL;
	scratch_deltas = NULL;
	scratch_idx = NULL;
}

/*
 * Quantile @q of a log2 histogram, in seconds: linear within the bucket
 * [2^b, 2^(b+1)) us; in the last, which has no upper end, its lower one.
 * -1 when empty.
 */
double hs_quantile(const __u64 *hist, double q)
{
	uint64_t total = 0, seen = 0;
	double rank, lo, hi;
	int b;

	for (b = 0; b < HS_NBUCKETS; b++)
		total += hist[b];
	if (!total)
		return -1;
	rank = q * total;
	for (b = 0; b < HS_NBUCKETS; b++) {
		if (seen + hist[b] >= rank && hist[b]) {
			lo = b ? (double)(1ULL << b) : 0;
			/* The last bucket has no upper end: its lower one. */
			hi = b < HS_NBUCKETS - 1 ? (double)(1ULL << (b + 1))
						 : lo;
			return (lo + (hi - lo) * (rank - seen) / hist[b]) / 1e6;
		}
		seen += hist[b];
	}
	return (double)(1ULL << (HS_NBUCKETS - 1)) / 1e6;
}

static uint64_t leg_samples(const struct hs_stats *d, int leg)
{
	uint64_t n = 0;
	int b;

	for (b = 0; b < HS_NBUCKETS; b++)
		n += d->hist[leg][b];
	return n;
}

static const char *fmt_secs(double v, char *buf, size_t len)
{
	if (v < 0)
		snprintf(buf, len, "-");
	else if (v < 1e-3)
		snprintf(buf, len, "%.0fus", v * 1e6);
	else if (v < 1)
		snprintf(buf, len, "%.1fms", v * 1e3);
	else
		snprintf(buf, len, "%.2fs", v);
	return buf;
}

bool hs_port_wanted(const struct ws_opts *o, uint32_t port)
{
	int i;

	if (!o->n_ports)
		return true;
	for (i = 0; i < o->n_ports; i++)
		if (o->ports[i] == port)
			return true;
	return false;
}

/* The widest latency column: "999.9ms/999.9ms n=999.9k". */
#define LEG_COL 24

static void print_header(struct ws_session *s)
{
	fprintf(s->out,
		"%s%6s %5s %6s %5s %6s %5s | %6s %6s %6s | %-*s %-*s %s\n",
		s->o->timestamp ? "TIME     " : "", "SYN-IN", "RETX", "SYNACK",
		"RETX", "DONE", "UNANS", "SYNOUT", "SACKIN", "DONE", LEG_COL,
		"srv p50/p99", LEG_COL, "rtt p50/p99", "conn p50/p99");
}

/* p50/p99 and how many samples: a p99 of one is that sample's bucket. */
static void print_leg(struct ws_session *s, const struct hs_stats *d, int leg,
		      bool last)
{
	char a[16], b[16], n[16], col[48];
	uint64_t samples = leg_samples(d, leg);

	if (samples)
		snprintf(
		    col, sizeof(col), "%s/%s n=%s",
		    fmt_secs(hs_quantile(d->hist[leg], 0.5), a, sizeof(a)),
		    fmt_secs(hs_quantile(d->hist[leg], 0.99), b, sizeof(b)),
		    ws_human(samples, n, sizeof(n)));
	else
		snprintf(col, sizeof(col), "-/-");
	if (last)
		fprintf(s->out, "%s\n", col);
	else
		fprintf(s->out, "%-*s ", LEG_COL, col);
}

static void print_text(struct ws_session *s, const struct hs_stats *d)
{
	const __u64 *c = d->count;
	char t[16], v[9][16];

	if (s->o->timestamp) {
		ws_fmt_time(t, sizeof(t), false);
		fprintf(s->out, "%-8s ", t);
	}
	fprintf(s->out, "%6s %5s %6s %5s %6s %5s | %6s %6s %6s | ",
		ws_human(c[HS_SYN_RX], v[0], 16),
		ws_human(c[HS_SYN_RETX_RX], v[1], 16),
		ws_human(c[HS_SYNACK_TX], v[2], 16),
		ws_human(c[HS_SYNACK_RETX_TX], v[3], 16),
		ws_human(hs_server_handshakes(d), v[4], 16),
		ws_human(c[HS_SYN_UNANSWERED], v[5], 16),
		ws_human(c[HS_SYN_TX], v[6], 16),
		ws_human(c[HS_SYNACK_RX], v[7], 16),
		ws_human(c[HS_CLIENT_DONE], v[8], 16));
	print_leg(s, d, HS_LEG_SERVER, false);
	print_leg(s, d, HS_LEG_RTT, false);
	print_leg(s, d, HS_LEG_CONNECT, true);
}

static void print_hists(struct ws_session *s, const struct hs_stats *d)
{
	static char names[HS_NBUCKETS][24];
	static const char *ptrs[HS_NBUCKETS];
	int leg, b, last;

	for (b = 0; b < HS_NBUCKETS; b++) {
		if (b == HS_NBUCKETS - 1)
			snprintf(names[b], sizeof(names[b]), "%llu -> more",
				 1ULL << b);
		else
			snprintf(names[b], sizeof(names[b]), "%llu -> %llu",
				 b ? 1ULL << b : 0ULL, (1ULL << (b + 1)) - 1);
		ptrs[b] = names[b];
	}
	for (leg = 0; leg < HS_NLEGS; leg++) {
		for (last = HS_NBUCKETS - 1; last > 0; last--)
			if (d->hist[leg][last])
				break;
		if (!last && !d->hist[leg][0])
			continue;
		fprintf(s->out, "%s, usecs:\n", leg_titles[leg]);
		ws_print_bar_hist(s->out, "usecs", ptrs,
				  (const uint64_t *)d->hist[leg], last + 1);
	}
}

/* Ports with SYNs in @d order, busiest first, at most --top. */
static int top_ports(struct ws_session *s, const struct port_table *now,
		     const struct port_table *then, int *idx,
		     struct hs_port_stats *deltas)
{
	int i, j, n = 0;

	for (i = 0; i < now->n; i++) {
		if (!hs_port_wanted(s->o, now->rows[i].port))
			continue;
		port_delta(now, then, i, &deltas[n]);
		if (!deltas[n].syn_rx && !deltas[n].synack_tx &&
		    !deltas[n].acks && !deltas[n].syn_retx_rx)
			continue;
		idx[n++] = i;
	}
	for (i = 1; i < n; i++) { /* insertion sort on syn_rx, descending */
		struct hs_port_stats d = deltas[i];
		int k = idx[i];

		for (j = i; j > 0 && deltas[j - 1].syn_rx < d.syn_rx; j--) {
			deltas[j] = deltas[j - 1];
			idx[j] = idx[j - 1];
		}
		deltas[j] = d;
		idx[j] = k;
	}
	return s->o->n_ports ? n : (n < (int)s->o->top ? n : (int)s->o->top);
}

static void json_port(struct ws_json *j, uint32_t port,
		      const struct hs_port_stats *p)
{
	json_obj_begin(j, NULL);
	json_u64(j, "port", port);
	json_u64(j, "syn_received", p->syn_rx);
	json_u64(j, "syn_retransmits_received", p->syn_retx_rx);
	json_u64(j, "synack_sent", p->synack_tx);
	json_u64(j, "synack_retransmits", p->synack_retx_tx);
	json_u64(j, "server_handshakes", port_handshakes(p));
	json_u64(j, "syn_unanswered", p->unanswered);
	json_u64(j, "syn_site_drops", p->syn_site_drops);
	json_u64(j, "ack_site_drops", p->ack_site_drops);
	json_u64(j, "rst_after_ack", p->rst_after_ack);
	json_u64(j, "cookie_synacks", p->cookie_synacks);
	json_u64(j, "cookie_drops", p->cookie_drops);
	json_obj_end(j);
}

static void json_legs(struct ws_json *j, const struct hs_stats *d, bool hist)
{
	uint64_t n;
	int leg, b;

	json_obj_begin(j, "latency");
	for (leg = 0; leg < HS_NLEGS; leg++) {
		n = leg_samples(d, leg);
		json_obj_begin(j, hs_leg_names[leg]);
		json_u64(j, "count", n);
		json_double(j, "sum_s", d->sum_ns[leg] / 1e9);
		if (n) {
			json_double(j, "p50_s", hs_quantile(d->hist[leg], 0.5));
			json_double(j, "p99_s",
				    hs_quantile(d->hist[leg], 0.99));
		} else { /* no sample, no quantile */
			json_null(j, "p50_s");
			json_null(j, "p99_s");
		}
		if (hist) {
			json_arr_begin(j, "log2_usecs");
			for (b = 0; b < HS_NBUCKETS; b++)
				json_u64(j, NULL, d->hist[leg][b]);
			json_arr_end(j);
		}
		json_obj_end(j);
	}
	json_obj_end(j);
}

static void print_json(struct ws_session *s, const char *type,
		       const struct hs_stats *d, double secs,
		       const struct port_table *now,
		       const struct port_table *then)
{
	struct hs_port_stats *deltas = scratch_deltas;
	int *idx = scratch_idx;
	const __u64 *c = d->count;
	struct ws_json j;
	int i, n;

	json_begin(&j, s->out, type);
	if (type[0] != 'i')
		json_ifaces(&j, s);
	json_double(&j, type[0] == 'i' ? "interval_s" : "duration_s", secs);
	json_u64(&j, "syn_received", c[HS_SYN_RX]);
	json_u64(&j, "syn_retransmits_received", c[HS_SYN_RETX_RX]);
	json_u64(&j, "synack_sent", c[HS_SYNACK_TX]);
	json_u64(&j, "synack_retransmits", c[HS_SYNACK_RETX_TX]);
	json_u64(&j, "server_handshakes", hs_server_handshakes(d));
	json_u64(&j, "final_acks_dropped", c[HS_SERVER_ACK_LOST]);
	json_u64(&j, "syn_unanswered", c[HS_SYN_UNANSWERED]);
	json_u64(&j, "syn_sent", c[HS_SYN_TX]);
	json_u64(&j, "syn_retransmits_sent", c[HS_SYN_RETX_TX]);
	json_u64(&j, "synack_received", c[HS_SYNACK_RX]);
	json_u64(&j, "client_handshakes", c[HS_CLIENT_DONE]);
	json_u64(&j, "client_refused", c[HS_CLIENT_RST]);
	/* Entries now in the table: handshakes in progress. */
	json_u64(&j, "flows_open", flows_live() - evicted);
	if (strcmp(type, "interval")) /* only the final sample walks it */
		json_u64(&j, "connects_pending", connects_pending);
	json_u64(&j, "flows_evicted", evicted);
	json_legs(&j, d, s->o->hist);
	n = top_ports(s, now, then, idx, deltas);
	json_arr_begin(&j, "ports");
	for (i = 0; i < n; i++)
		json_port(&j, now->rows[idx[i]].port, &deltas[i]);
	json_arr_end(&j);
	json_end(&j);
}

static void print_ports_text(struct ws_session *s, const struct port_table *now,
			     const struct port_table *then)
{
	struct hs_port_stats *deltas = scratch_deltas;
	int *idx = scratch_idx;
	int i, n = top_ports(s, now, then, idx, deltas);

	for (i = 0; i < n; i++) {
		const struct hs_port_stats *p = &deltas[i];

		fprintf(s->out,
			"  port %-5u syn %llu retx %llu synack %llu retx %llu"
			" done %llu unanswered %llu%s\n",
			now->rows[idx[i]].port, p->syn_rx, p->syn_retx_rx,
			p->synack_tx, p->synack_retx_tx,
			(unsigned long long)port_handshakes(p), p->unanswered,
			p->cookie_synacks ? " (syncookies)" : "");
	}
}

static void hs_interval(struct ws_session *s, double secs)
{
	struct hs_stats d;

	ws_sub_u64(&cur, &prev, &d, STATS_WORDS);
	if (s->o->json) {
		print_json(s, "interval", &d, secs, &pcur, &pprev);
	} else {
		if (lines++ % HEADER_EVERY == 0 || s->o->hist)
			print_header(s);
		print_text(s, &d);
		print_ports_text(s, &pcur, &pprev);
		if (s->o->hist)
			print_hists(s, &d);
		if (evicted != evicted_shown)
			fprintf(s->out,
				"warning: flow table full: %llu handshakes "
				"evicted untracked (raise --max-flows)\n",
				(unsigned long long)(evicted - evicted_shown));
	}
	evicted_shown = evicted;
	prev = cur;
	table_copy(&pprev, &pcur);
}

static void hs_summary(struct ws_session *s)
{
	struct hs_stats d;

	hs_totals(&d);
	if (s->o->json) {
		print_json(s, "summary", &d, s->elapsed, &pcur, &pbase);
		return;
	}
	fprintf(s->out, "\nSummary over %.1f s:\n", s->elapsed);
	print_header(s);
	print_text(s, &d);
	print_ports_text(s, &pcur, &pbase);
	print_hists(s, &d);
}

static void prom_hist(struct ws_buf *b, const char *leg,
		      const struct hs_stats *d, int l)
{
	char labels[96];
	uint64_t cum = 0;
	int k;

	/* The last bucket also holds everything longer: only +Inf bounds it. */
	for (k = 0; k < HS_NBUCKETS - 1; k++) {
		cum += d->hist[l][k];
		snprintf(labels, sizeof(labels), "leg=\"%s\",le=\"%.6f\"", leg,
			 (double)(1ULL << (k + 1)) / 1e6);
		prom_u64(b, "wirescope_handshake_duration_seconds_bucket",
			 labels, cum);
	}
	cum += d->hist[l][HS_NBUCKETS - 1];
	snprintf(labels, sizeof(labels), "leg=\"%s\",le=\"+Inf\"", leg);
	prom_u64(b, "wirescope_handshake_duration_seconds_bucket", labels, cum);
	snprintf(labels, sizeof(labels), "leg=\"%s\"", leg);
	prom_double(b, "wirescope_handshake_duration_seconds_sum", labels,
		    d->sum_ns[l] / 1e9);
	prom_u64(b, "wirescope_handshake_duration_seconds_count", labels, cum);
}

/* Counters since the exporter started, ports only for local listeners. */

/* Per listening port, capped by --max-ports: the rest is port="other". */
static void prom_ports_handshakes(struct ws_session *s, struct ws_buf *b)
{
	static uint64_t sum[WS_PROM_PORT_SLOTS], high[WS_PROM_PORT_SLOTS];
	static bool used[WS_PROM_PORT_SLOTS];
	struct hs_port_stats p;
	char labels[32], name[8];
	unsigned int slot;
	int i;

	memset(used, 0, sizeof(used));
	memset(sum, 0, sizeof(sum));
	for (i = 0; i < pcur.n; i++) {
		if (!hs_port_wanted(s->o, pcur.rows[i].port) ||
		    hs_port_totals(pcur.rows[i].port, &p))
			continue;
		slot = prom_port_slot(&s->prom_ports, s->o->prom_max_ports,
				      pcur.rows[i].port);
		used[slot] = true;
		sum[slot] += port_handshakes(&p);
	}
	prom_family(b, "wirescope_listen_port_handshakes_total", "counter",
		    "Server handshakes completed per server port.");
	for (slot = 0; slot < WS_PROM_PORT_SLOTS; slot++) {
		if (!used[slot])
			continue;
		snprintf(
		    labels, sizeof(labels), "port=\"%s\"",
		    prom_port_name(&s->prom_ports, slot, name, sizeof(name)));
		prom_u64(b, "wirescope_listen_port_handshakes_total", labels,
			 prom_monotonic(&high[slot], sum[slot]));
	}
}

/*
 * Handshakes are seen on the -i interfaces only: with none watched (export
 * waiting for its first, or every one gone) the counts are unknown, not 0.
 */
static void hs_prom(struct ws_session *s, struct ws_buf *b)
{
	static uint64_t server_high;
	struct hs_stats d;
	int l;

	if (!ws_session_watches_iface(s))
		return;
	hs_totals(&d);
	prom_family(b, "wirescope_handshakes_total", "counter",
		    "TCP handshakes completed, by our role.");
	prom_u64(b, "wirescope_handshakes_total", "role=\"server\"",
		 prom_monotonic(&server_high, hs_server_handshakes(&d)));
	prom_u64(b, "wirescope_handshakes_total", "role=\"client\"",
		 d.count[HS_CLIENT_DONE]);
	prom_counter(b, "wirescope_syn_received_total",
		     "SYNs that opened a handshake here.", NULL,
		     d.count[HS_SYN_RX]);
	prom_counter(b, "wirescope_syn_unanswered_total",
		     "SYNs resent with no SYN-ACK since the last, or answered "
		     "1 s or more late (a SYN never resent is not counted).",
		     NULL, d.count[HS_SYN_UNANSWERED]);
	prom_family(b, "wirescope_syn_retransmits_total", "counter",
		    "Same-ISN SYNs seen again, by our role.");
	prom_u64(b, "wirescope_syn_retransmits_total", "role=\"server\"",
		 d.count[HS_SYN_RETX_RX]);
	prom_u64(b, "wirescope_syn_retransmits_total", "role=\"client\"",
		 d.count[HS_SYN_RETX_TX]);
	prom_counter(b, "wirescope_handshake_flows_evicted_total",
		     "Handshakes the full flow table dropped untracked.", NULL,
		     evicted);
	prom_counter(b, "wirescope_synack_retransmits_total",
		     "SYN-ACKs sent again.", NULL, d.count[HS_SYNACK_RETX_TX]);
	prom_family(b, "wirescope_handshake_duration_seconds", "histogram",
		    "Handshake legs: server_synack (SYN in to SYN-ACK out), "
		    "client_rtt (SYN-ACK out to ACK in), connect (SYN out to "
		    "SYN-ACK in).");
	for (l = 0; l < HS_NLEGS; l++)
		prom_hist(b, hs_leg_names[l], &d, l);
	prom_ports_handshakes(s, b);
}

/* The options handshakes and accept share; -1 if @c is not one of them. */
int hs_option(int c, const char *arg, struct ws_opts *o, const char *cmd,
	      void *ctx)
{
	unsigned long v;

	switch (c) {
	case 'p':
		if (ws_parse_ulong(arg, 1, 65535, &v))
			return ws_usage_error(cmd, "bad port '%s': 1-65535",
					      arg);
		if (o->n_ports == (int)(sizeof(o->ports) / sizeof(o->ports[0])))
			return ws_usage_error(cmd, "at most 16 -p ports");
		o->ports[o->n_ports++] = v;
		return 0;
	case HS_OPT_MAX_FLOWS:
		if (ws_parse_ulong(arg, 16, 1UL << 24, &v))
			return ws_usage_error(
			    cmd, "bad --max-flows '%s': 16-16777216", arg);
		o->max_flows = v;
		return 0;
	case HS_OPT_MAX_PORTS:
		if (ws_parse_ulong(arg, 1, 65536, &v))
			return ws_usage_error(
			    cmd, "bad --max-ports '%s': 1-65536", arg);
		o->max_ports = v;
		return 0;
	case HS_OPT_TOP:
		if (ws_parse_ulong(arg, 1, 65536, &v))
			return ws_usage_error(cmd, "bad --top '%s': 1-65536",
					      arg);
		o->top = v;
		return 0;
	case HS_OPT_HIST:
		o->hist = true;
		return 0;
	default:
		return -1;
	}
}

/* diag: new connections and unanswered SYNs per second. */
static void hs_diag_cols(struct ws_session *s, double secs,
			 struct ws_diag_cols *c)
{
	static struct hs_stats prev;
	struct hs_stats now, d;
	double conns;

	hs_totals(&now);
	ws_sub_u64(&now, &prev, &d, STATS_WORDS);
	conns = hs_server_handshakes(&d) + d.count[HS_CLIENT_DONE];
	c->new_conns = secs > 0 ? conns / secs : 0;
	c->syn_unanswered = d.count[HS_SYN_UNANSWERED];
	prev = now;
}

/* As iface_drops' and tcp_retransmits' floors: fewer SYNs say nothing. */
#define SYN_FINDING_FLOOR 10

static uint64_t port_unanswered(const struct hs_port_stats *p)
{
	return p->unanswered;
}

/* Same-ISN SYNs that came after a SYN-ACK had left: exact per port. */
static uint64_t port_resends_answered(const struct hs_port_stats *p)
{
	return p->syn_retx_rx > p->syn_site_drops
		   ? p->syn_retx_rx - p->syn_site_drops
		   : 0;
}

/*
 * The same over every port, a lower bound: a first SYN-ACK sent 1 s late
 * counts as unanswered with no resend behind it.
 */
static uint64_t resends_answered(const struct hs_stats *d)
{
	uint64_t retx = d->count[HS_SYN_RETX_RX];
	uint64_t lost = d->count[HS_SYN_UNANSWERED];

	return retx > lost ? retx - lost : 0;
}

/* The listening port where @score is highest, 0 if none scores. */
static uint16_t worst_port(uint64_t (*score)(const struct hs_port_stats *),
			   struct hs_port_stats *out)
{
	struct hs_port_stats p;
	uint16_t port = 0;
	int i;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < pcur.n; i++) {
		if (hs_port_totals(pcur.rows[i].port, &p) ||
		    score(&p) <= score(out))
			continue;
		*out = p;
		port = pcur.rows[i].port;
	}
	return port;
}

static void advise_unanswered(struct ws_finding *x, uint16_t port,
			      bool ports_lost, int64_t backlog, int64_t cookies)
{
	char b[24], c[24];

	if (ports_lost && port)
		ws_advice(x,
			  "port %u has the most of the ports counted, but the "
			  "per-port table was full (hs_ports_full, "
			  "accept_ports_full; raise --max-ports): a port "
			  "without a slot may have more. "
			  "`ss -ltn` shows a listener whose Recv-Q reaches its "
			  "backlog (a full accept queue); raise its listen() "
			  "backlog and net.core.somaxconn, "
			  "net.ipv4.tcp_max_syn_backlog (now %s), keep "
			  "net.ipv4.tcp_syncookies=1 (now %s)",
			  port, ws_fmt_sysctl(backlog, b, sizeof(b)),
			  ws_fmt_sysctl(cookies, c, sizeof(c)));
	else if (ports_lost)
		ws_advice(x,
			  "which port is unknown: the per-port table was full "
			  "(hs_ports_full, accept_ports_full; --max-ports). "
			  "`ss -ltn` shows a "
			  "listener whose Recv-Q reaches its backlog (a full "
			  "accept queue); if none, a firewall on this host or "
			  "before the stack drops the SYNs");
	else if (!port)
		ws_advice(
		    x, "no port that ever answered got these SYNs: a firewall "
		       "on this host (nftables/iptables DROP) or before the "
		       "stack drops them; a closed port would answer RST. "
		       "Each costs the client a 1 s, then 3 s retransmit");
	else
		ws_advice(x,
			  "port %u: a dropped SYN costs the client a 1 s "
			  "retransmit, then 3 s; the listener's accept or SYN "
			  "queue is full (see accept_overflow, `wirescope "
			  "accept -p %u`): raise the application's listen() "
			  "backlog and net.core.somaxconn, "
			  "net.ipv4.tcp_max_syn_backlog (now %s), keep "
			  "net.ipv4.tcp_syncookies=1 (now %s), add accepting "
			  "workers if the queue stays full",
			  port, port, ws_fmt_sysctl(backlog, b, sizeof(b)),
			  ws_fmt_sysctl(cookies, c, sizeof(c)));
}

/*
 * TCP segments no program could read (health): a SYN-ACK among them reads
 * as none sent or received, so an unanswered count may be too high.
 */
static uint64_t segments_unread(void)
{
	return ws_health_lost(WS_H_HEADERS_UNREAD) +
	       ws_health_lost(WS_H_IPV6_EXT_UNWALKED);
}

/* SYNs that found no SYN-ACK within 1 s: a full queue or a firewall. */
static void find_syn_unanswered(const struct hs_stats *d, struct ws_findings *f)
{
	uint64_t syn = d->count[HS_SYN_RX], lost = d->count[HS_SYN_UNANSWERED];
	uint64_t no_state = d->count[HS_SYNACK_TX_NO_FLOW];
	int64_t cookies = -1, backlog = -1;
	struct hs_port_stats p;
	struct ws_finding *x;
	uint64_t ports_full, listeners_full;
	bool ports_lost;
	uint16_t port;
	double conf;

	if (!syn || lost < SYN_FINDING_FLOOR)
		return;
	port = worst_port(port_unanswered, &p);
	ws_sysctl("net.ipv4.tcp_syncookies", &cookies);
	ws_sysctl("net.ipv4.tcp_max_syn_backlog", &backlog);
	/* A port without a slot (one that answered, or a listener accept
	 * found) may be the worst, or the only one. */
	ports_full = ws_health_lost(WS_H_HS_PORTS_FULL);
	listeners_full = ws_health_lost(WS_H_ACCEPT_PORTS_FULL);
	ports_lost = ports_full || listeners_full;
	conf = 0.9 - (ports_lost ? 0.3 : 0) - (segments_unread() ? 0.2 : 0);
	/* A SYN-ACK that left with no entry may have answered these. */
	if (no_state)
		conf = no_state >= lost && conf - 0.3 > 0.4 ? 0.4 : conf - 0.3;
	x = ws_finding_add(f, "syn_unanswered",
			   lost * 10 >= syn ? WS_SEV_CRITICAL : WS_SEV_WARNING,
			   conf,
			   "%s%llu SYNs got no SYN-ACK within 1 s (%llu "
			   "connection attempts)",
			   evicted && !no_state ? "at least " : "",
			   (unsigned long long)lost, (unsigned long long)syn);
	ws_evidence_num(x, "syn_received", syn);
	ws_evidence_num(x, "syn_unanswered", lost);
	ws_evidence_num(x, "syn_retransmits_received",
			d->count[HS_SYN_RETX_RX]);
	ws_evidence_num(x, "syn_retransmits_answered", resends_answered(d));
	if (port) { /* none where no port counted them: not port 0 */
		ws_evidence_num(x, "port", port);
		ws_evidence_num(x, "port_syn_site_drops", p.syn_site_drops);
	}
	if (ports_full)
		ws_evidence_num(x, "hs_ports_full", ports_full);
	if (listeners_full)
		ws_evidence_num(x, "accept_ports_full", listeners_full);
	if (no_state)
		ws_evidence_num(x, "synack_sent_no_state", no_state);
	if (segments_unread())
		ws_evidence_num(x, "segments_unread", segments_unread());
	ws_evidence_sysctl(x, "tcp_syncookies", cookies);
	ws_evidence_sysctl(x, "tcp_max_syn_backlog", backlog);
	advise_unanswered(x, port, ports_lost, backlog, cookies);
	if (no_state >= lost)
		ws_advice(
		    x,
		    "these SYNs may all have been answered: %llu SYN-ACKs "
		    "left that found no SYN (its entry evicted, or it "
		    "came in by another interface: watch every one this "
		    "host terminates TCP on); `nstat -az "
		    "TcpExtListenDrops` says whether a listener dropped "
		    "any",
		    (unsigned long long)no_state);
}

/*
 * SYNs resent although a SYN-ACK had left for them: lost on the way back,
 * or a round trip over the client's 1 s SYN timeout.  No queue here is to
 * blame, and which of the two it is stays open: at most a warning.
 */
static void find_syn_resends_answered(const struct hs_stats *d,
				      struct ws_findings *f)
{
	uint64_t syn = d->count[HS_SYN_RX], resent = resends_answered(d);
	double rtt = hs_quantile(d->hist[HS_LEG_RTT], 0.99);
	struct hs_port_stats p;
	char buf[16];
	struct ws_finding *x;
	uint16_t port;

	if (!syn || resent < SYN_FINDING_FLOOR || resent * 100 < syn)
		return;
	port = worst_port(port_resends_answered, &p);
	x = ws_finding_add(f, "syn_retransmits_answered",
			   resent * 10 >= syn ? WS_SEV_WARNING : WS_SEV_INFO,
			   0.7,
			   "clients resent at least %llu SYNs after a SYN-ACK "
			   "had left for them (%llu connection attempts)",
			   (unsigned long long)resent, (unsigned long long)syn);
	ws_evidence_num(x, "syn_received", syn);
	ws_evidence_num(x, "syn_retransmits_received",
			d->count[HS_SYN_RETX_RX]);
	ws_evidence_num(x, "syn_retransmits_answered", resent);
	ws_evidence_num(x, "synack_retransmits", d->count[HS_SYNACK_RETX_TX]);
	if (rtt >= 0)
		ws_evidence_num(x, "client_rtt_p99_s", rtt);
	if (port) {
		ws_evidence_num(x, "port", port);
		ws_evidence_num(x, "port_syn_retransmits_answered",
				port_resends_answered(&p));
	}
	ws_advice(x,
		  "these SYNs were answered, so no listener's accept or SYN "
		  "queue is to blame. Either the SYN-ACKs are lost after they "
		  "leave (this host's egress: egress_saturated, iface_drops; "
		  "the path: `mtr CLIENT` from this host finds the hop, see "
		  "tcp_retransmits), or the clients' round trip is over "
		  "their 1 s SYN timeout (p99 of the completed handshakes: "
		  "%s)",
		  fmt_secs(rtt, buf, sizeof(buf)));
}

/*
 * Connects from this host that got no SYN-ACK in their first timeout:
 * started, less those answered (a SYN-ACK or an RST) and those still in
 * it when the run ended.  Each of them resent its SYN, unless its socket
 * was closed first or its entry was evicted (the resend then counts as a
 * new SYN): never more than the SYNs resent.  A SYN-ACK that found no
 * entry (evicted, or its SYN left by another interface) may answer any of
 * them, so it counts as an answer: a lower bound.
 */
static uint64_t connects_unanswered(const struct hs_stats *d, uint64_t judged)
{
	uint64_t answered =
	    connects_answered(d) + d->count[HS_SYNACK_RX_NO_FLOW];
	uint64_t n = judged > answered ? judged - answered : 0;

	return n < d->count[HS_SYN_RETX_TX] ? n : d->count[HS_SYN_RETX_TX];
}

/*
 * SYNs this host sent and resent: no SYN-ACK reached it within the
 * client's timeout.  A connect to a dead or filtered peer is never
 * answered, so it leaves no connect latency sample: the resends are the
 * only evidence.  Returns whether it raised a finding.
 */
static bool find_connect_unanswered(const struct hs_stats *d,
				    struct ws_findings *f)
{
	uint64_t sent = d->count[HS_SYN_TX], resent = d->count[HS_SYN_RETX_TX];
	uint64_t judged = sent > connects_pending ? sent - connects_pending : 0;
	uint64_t unanswered = connects_unanswered(d, judged);
	uint64_t no_state = d->count[HS_SYNACK_RX_NO_FLOW];
	uint64_t n = leg_samples(d, HS_LEG_CONNECT);
	double connect = hs_quantile(d->hist[HS_LEG_CONNECT], 0.99);
	uint64_t unread = segments_unread();
	struct ws_finding *x;

	/* Resent, then answered: slow, not unanswered (handshake_latency).
	 * No more unanswered than resent: at least as many resends. */
	if (unanswered < SYN_FINDING_FLOOR)
		return false;
	x = ws_finding_add(
	    f, "connect_unanswered",
	    unanswered * 10 >= judged ? WS_SEV_CRITICAL : WS_SEV_WARNING,
	    0.9 - (unread ? 0.2 : 0),
	    "%s%llu of %llu connects from this host got no SYN-ACK "
	    "(%llu SYNs resent, %llu answered; %llu more too recent to tell)",
	    no_state || evicted ? "at least " : "",
	    (unsigned long long)unanswered, (unsigned long long)judged,
	    (unsigned long long)resent,
	    (unsigned long long)d->count[HS_SYNACK_RX],
	    (unsigned long long)(sent - judged));
	ws_evidence_num(x, "connects_unanswered", unanswered);
	ws_evidence_num(x, "connects_pending", sent - judged);
	ws_evidence_num(x, "syn_sent", sent);
	ws_evidence_num(x, "syn_retransmits_sent", resent);
	ws_evidence_num(x, "synack_received", d->count[HS_SYNACK_RX]);
	ws_evidence_num(x, "client_refused", d->count[HS_CLIENT_RST]);
	if (no_state)
		ws_evidence_num(x, "synack_received_no_state", no_state);
	if (unread)
		ws_evidence_num(x, "segments_unread", unread);
	ws_evidence_num(x, "connect_samples", n);
	if (n)
		ws_evidence_num(x, "connect_p99_s", connect);
	ws_advice(x, "the peers do not answer: a server down, a full SYN "
		     "queue there, or a firewall or path that drops SYNs or "
		     "SYN-ACKs; `ss -tn state syn-sent` names the peers and "
		     "ports, run `wirescope accept` on the server");
	return true;
}

/* p99s of SYN-ACK delay from fewer samples are one handshake's bucket. */
static void find_latency(const struct hs_stats *d, struct ws_findings *f,
			 bool connect_found)
{
	double server = hs_quantile(d->hist[HS_LEG_SERVER], 0.99);
	double connect = hs_quantile(d->hist[HS_LEG_CONNECT], 0.99);
	uint64_t nserver = leg_samples(d, HS_LEG_SERVER);
	uint64_t nconnect = leg_samples(d, HS_LEG_CONNECT);
	struct ws_finding *x;

	if (server > 0.010 && nserver >= SYN_FINDING_FLOOR) {
		x = ws_finding_add(f, "handshake_latency", WS_SEV_WARNING, 0.8,
				   "the kernel took %.1f ms (p99 of %llu) to "
				   "answer SYNs",
				   server * 1e3, (unsigned long long)nserver);
		ws_evidence_num(x, "server_synack_p99_s", server);
		ws_evidence_num(x, "server_synack_samples", nserver);
		ws_advice(x, "SYN-ACKs come from softirq: a CPU saturated by "
			     "interrupts or a flood delays them; check "
			     "softnet drops, spread IRQs (RSS/RPS)");
	}
	/* Each second over 1 s is a SYN resent: no interpolation artefact. */
	if (connect > 0.9 && !connect_found) {
		x = ws_finding_add(f, "handshake_latency", WS_SEV_WARNING, 0.8,
				   "connections from this host waited %.1f s "
				   "(p99 of %llu) for a SYN-ACK",
				   connect, (unsigned long long)nconnect);
		ws_evidence_num(x, "connect_p99_s", connect);
		ws_evidence_num(x, "connect_samples", nconnect);
		ws_evidence_num(x, "syn_retransmits_sent",
				d->count[HS_SYN_RETX_TX]);
		ws_advice(x, "over 1 s means SYN retransmits: the server's "
			     "queues are full or the path drops SYNs; run "
			     "`wirescope accept` on the server");
	}
}

static void hs_findings(struct ws_session *s, struct ws_findings *f)
{
	struct ws_finding *x;
	struct hs_stats d;

	hs_totals(&d);
	find_syn_unanswered(&d, f);
	find_syn_resends_answered(&d, f);
	find_latency(&d, f, find_connect_unanswered(&d, f));
	if (!evicted)
		return;
	x = ws_finding_add(f, "handshake_table_full", WS_SEV_INFO, 1.0,
			   "%llu handshakes were evicted from a full table",
			   (unsigned long long)evicted);
	x->evidence_gap = true; /* their SYNs and SYN-ACKs went uncounted */
	ws_evidence_num(x, "flows_evicted", evicted);
	ws_evidence_num(x, "max_flows", s->o->max_flows);
	ws_advice(x, "a SYN resent after its entry was evicted counted again "
		     "as a new one: SYN counts may be too high, retransmit, "
		     "unanswered and completed counts are lower bounds; a SYN "
		     "flood or a connect storm to a dead peer does this, "
		     "else raise --max-flows");
}

const struct ws_collector ws_handshakes_collector = {
	.name = "handshakes",
	.map_prefix = "hs_",
	.needs_hooks = true,
	.configure = hs_configure,
	.start = hs_start,
	.sample = hs_sample,
	.interval = hs_interval,
	.summary = hs_summary,
	.prom = hs_prom,
	.stop = hs_stop,
	.findings = hs_findings,
	.diag_cols = hs_diag_cols,
};
