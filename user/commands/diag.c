// SPDX-License-Identifier: GPL-2.0
/*
 * diag's own collector: one compact line per second from the others'
 * counters, then every collector's findings, most severe first.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "collectors/sizes_collector.h"
#include "collectors/handshakes_collector.h"
#include "collectors/resets_collector.h"
#include "collectors/retrans_collector.h"
#include "collectors/sndbuf_collector.h"
#include "collectors/hoststat_collector.h"
#include "commands/diag.h"
#include "core/findings.h"

#define HEADER_EVERY 25

static struct sizes_counters prev[WS_MAX_IFACES][WS_NDIRS];
static int verdict;
static bool colour;

void diag_set_colour(bool on)
{
	colour = on;
}

int diag_verdict(void)
{
	return verdict;
}

/* -d, or the count of lines if they end it sooner. */
static double watch_secs(const struct ws_opts *o)
{
	double lines = o->count * o->interval;

	return o->count && lines < o->duration ? lines : o->duration;
}

static int diag_start(struct ws_session *s)
{
	int i, dir;

	if (!s->o->json) {
		fprintf(s->out, "wirescope diag: watching");
		for (i = 0; i < s->o->n_ifaces; i++)
			fprintf(s->out, " %s", s->o->ifaces[i].name);
		fprintf(s->out, " for %g s\n", watch_secs(s->o));
	}

	for (i = 0; i < s->o->n_ifaces; i++)
		for (dir = 0; dir < WS_NDIRS; dir++)
			sizes_total(i, dir, &prev[i][dir]);
	return 0;
}

struct rates {
	double pps[WS_NDIRS];
	uint64_t rx, small_rx; /* frames received, of them small */
};

/* Packet rates summed over the watched interfaces since the last call. */
static void packet_rates(struct ws_session *s, double secs, struct rates *r)
{
	struct sizes_counters t;
	uint64_t pkts[WS_NDIRS] = { 0 }, small_rx = 0;
	int i, dir;

	for (i = 0; i < s->o->n_ifaces; i++) {
		for (dir = 0; dir < WS_NDIRS; dir++) {
			sizes_total(i, dir, &t);
			pkts[dir] += t.packets - prev[i][dir].packets;
			if (dir == WS_RX)
				small_rx += t.small - prev[i][dir].small;
			prev[i][dir] = t;
		}
	}
	for (dir = 0; dir < WS_NDIRS; dir++)
		r->pps[dir] = secs > 0 ? pkts[dir] / secs : 0;
	r->rx = pkts[WS_RX];
	r->small_rx = small_rx;
}

static void collect_cols(struct ws_session *s, double secs,
			 struct ws_diag_cols *c)
{
	int i;

	*c = (struct ws_diag_cols){ NAN, NAN, NAN, NAN, NAN, NAN, NAN };
	for (i = 0; i < s->n_collectors; i++)
		if (s->collectors[i]->diag_cols)
			s->collectors[i]->diag_cols(s, secs, c);
}

/* A rate or "-" when no collector measures it. */
static const char *col(double v, char *buf, size_t len)
{
	if (isnan(v))
		return "-";
	return ws_human(v, buf, len);
}

/* SMALL% names its threshold, as sizes does: <75B% by default. */
static void print_header(struct ws_session *s)
{
	char small[16];

	snprintf(small, sizeof(small), "<%uB%%", s->o->small);
	fprintf(s->out, "%s%4s %7s %7s %6s %6s %6s %6s %7s %s\n",
		s->o->timestamp ? "TIME     " : "", "T", "PPS-IN", "PPS-OUT",
		small, "CONN/s", "SYN-NA", "ACCOVF", "RETR/s",
		"RST(loc/peer/mbox)");
}

static void print_line(struct ws_session *s, const struct rates *r,
		       const struct ws_diag_cols *c)
{
	char t[16], b[10][16]; /* one buffer per column: all live at once */

	if (s->o->timestamp) {
		ws_fmt_time(t, sizeof(t), false);
		fprintf(s->out, "%-8s ", t);
	}
	fprintf(s->out, "%4lu %7s %7s %6s %6s %6s %6s %7s %s/%s/%s\n",
		s->ticks + 1, ws_human(r->pps[WS_RX], b[0], 16),
		ws_human(r->pps[WS_TX], b[1], 16),
		ws_fmt_pct(r->small_rx, r->rx, b[9], 16),
		col(c->new_conns, b[2], 16), col(c->syn_unanswered, b[3], 16),
		col(c->accept_overflows, b[4], 16), col(c->retrans, b[5], 16),
		col(c->rst_local, b[6], 16), col(c->rst_peer, b[7], 16),
		col(c->rst_middlebox, b[8], 16));
}

/* Unknown values are null, so every record has the same keys. */
static void json_num_or_null(struct ws_json *j, const char *key, double v)
{
	if (isnan(v))
		json_null(j, key);
	else
		json_double(j, key, v);
}

static void print_json(struct ws_session *s, double secs, const struct rates *r,
		       const struct ws_diag_cols *c)
{
	struct ws_json j;

	json_begin(&j, s->out, "interval");
	json_u64(&j, "t", s->ticks + 1);
	json_double(&j, "interval_s", secs);
	json_double(&j, "pps_in", r->pps[WS_RX]);
	json_double(&j, "pps_out", r->pps[WS_TX]);
	json_u64(&j, "small_threshold", s->o->small);
	json_pct_or_null(&j, "small_pct", r->small_rx, r->rx);
	json_num_or_null(&j, "new_conns_per_s", c->new_conns);
	json_num_or_null(&j, "syn_unanswered", c->syn_unanswered);
	json_num_or_null(&j, "accept_overflows", c->accept_overflows);
	json_num_or_null(&j, "retrans_per_s", c->retrans);
	json_num_or_null(&j, "rst_local", c->rst_local);
	json_num_or_null(&j, "rst_peer", c->rst_peer);
	json_num_or_null(&j, "rst_middlebox", c->rst_middlebox);
	json_end(&j);
}

static void diag_interval(struct ws_session *s, double secs)
{
	struct ws_diag_cols c;
	struct rates r;

	packet_rates(s, secs, &r);
	collect_cols(s, secs, &c);
	if (s->o->json) {
		print_json(s, secs, &r, &c);
		return;
	}
	if (s->ticks % HEADER_EVERY == 0)
		print_header(s);
	print_line(s, &r, &c);
}

/* A signal (or an error) ended the watch before -d and count did. */
static bool stopped_early(const struct ws_session *s)
{
	return s->o->duration && !ws_session_watch_done(s);
}

static void diag_summary(struct ws_session *s)
{
	static struct ws_findings f;
	struct ws_json j;
	int i;

	memset(&f, 0, sizeof(f));
	if (stopped_early(s)) {
		f.watched_s = s->elapsed;
		f.asked_s = s->o->duration;
	}
	for (i = 0; i < s->n_collectors; i++)
		if (s->collectors[i]->findings)
			s->collectors[i]->findings(s, &f);
	ws_findings_finish(&f);
	verdict = ws_findings_exit_code(&f);
	if (!s->o->json) {
		ws_findings_print_text(&f, s->out, colour);
		return;
	}
	ws_findings_print_json(&f, s->out);
	json_begin(&j, s->out, "summary");
	json_ifaces(&j, s);
	json_double(&j, "duration_s", s->elapsed);
	json_u64(&j, "findings", f.n);
	json_u64(&j, "findings_not_shown", f.lost);
	json_str(&j, "verdict",
		 verdict == 2	? "critical"
		 : verdict == 1 ? "warning"
				: "healthy");
	/* The exit code is the error's when one cut the watch short. */
	json_u64(&j, "exit_code", s->end_code ? s->end_code : verdict);
	json_end(&j);
}

const struct ws_collector ws_diag_collector = {
	.name = "diag",
	.start = diag_start,
	.interval = diag_interval,
	.summary = diag_summary,
};
