// SPDX-License-Identifier: GPL-2.0
/* Findings: collect, rank, print (text for people, JSON Lines for fleets). */
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include "core/core.h"
#include "core/findings.h"

static const char *const sev_names[] = { "info", "warning", "critical" };
static const char *const sev_colours[] = { "\033[1;36m", "\033[1;33m",
					   "\033[1;31m" };

const char *ws_severity_name(enum ws_severity s)
{
	return s <= WS_SEV_CRITICAL ? sev_names[s] : "?";
}

/*
 * Does (@sev, @conf) rank before @x, most severe and most certain first?
 * (Size is left out: a full table keeps the worse kinds of finding.)
 */
static bool ranks_before(enum ws_severity sev, double conf,
			 const struct ws_finding *x)
{
	return sev != x->severity ? sev > x->severity : conf > x->confidence;
}

/* Does @x give up its slot before @y: milder, or saying less is missing? */
static bool evicted_before(const struct ws_finding *x,
			   const struct ws_finding *y)
{
	if (x->evidence_gap != y->evidence_gap)
		return y->evidence_gap;
	return ranks_before(y->severity, y->confidence, x);
}

/*
 * The slot for a finding of @sev and @conf, NULL if it ranks after every
 * one kept.  A full table gives up its mildest finding for a worse one, so
 * what is lost never outranks what is shown (nor changes the exit code),
 * and one that says evidence is missing last: else the infos that say so
 * would go first.  The last slot is healthy's (ws_findings_finish()).
 */
static struct ws_finding *finding_slot(struct ws_findings *f,
				       enum ws_severity sev, double conf,
				       int cap)
{
	int i, mildest = 0;

	if (f->n < cap)
		return &f->items[f->n++];
	f->lost++;
	for (i = 1; i < f->n; i++)
		if (evicted_before(&f->items[i], &f->items[mildest]))
			mildest = i;
	return f->n && ranks_before(sev, conf, &f->items[mildest])
		   ? &f->items[mildest]
		   : NULL;
}

/* A cleared finding in a slot of the first @cap, or in scratch if lost. */
static struct ws_finding *finding_new(struct ws_findings *f, int cap,
				      const char *id, enum ws_severity sev,
				      double confidence)
{
	static struct ws_finding scratch;
	struct ws_finding *x;

	confidence = confidence < 0 ? 0 : confidence > 1 ? 1 : confidence;
	/* Hundredths, as printed: 0.7 - 0.2 is 0.5, not 0.4999... */
	confidence = (int)(confidence * 100 + 0.5) / 100.0;
	if (sev == WS_SEV_CRITICAL && confidence < WS_CRITICAL_MIN_CONFIDENCE)
		sev = WS_SEV_WARNING; /* "look now" needs more than a guess */
	x = finding_slot(f, sev, confidence, cap);
	if (!x)
		x = &scratch;
	memset(x, 0, sizeof(*x));
	snprintf(x->id, sizeof(x->id), "%s", id);
	x->severity = sev;
	x->confidence = confidence;
	return x;
}

struct ws_finding *ws_finding_add(struct ws_findings *f, const char *id,
				  enum ws_severity sev, double confidence,
				  const char *title_fmt, ...)
{
	struct ws_finding *x;
	va_list ap;

	x = finding_new(f, WS_FINDINGS_MAX - 1, id, sev, confidence);
	va_start(ap, title_fmt);
	vsnprintf(x->title, sizeof(x->title), title_fmt, ap);
	va_end(ap);
	return x;
}

static struct ws_evidence *evidence_slot(struct ws_finding *x, const char *key)
{
	struct ws_evidence *e;

	if (x->n_ev == WS_FINDING_MAX_EVIDENCE)
		return NULL;
	e = &x->ev[x->n_ev++];
	snprintf(e->key, sizeof(e->key), "%s", key);
	return e;
}

void ws_evidence_num(struct ws_finding *x, const char *key, double v)
{
	struct ws_evidence *e = evidence_slot(x, key);

	if (e)
		e->num = isfinite(v) ? v : 0;
}

void ws_evidence_str(struct ws_finding *x, const char *key, const char *v)
{
	struct ws_evidence *e = evidence_slot(x, key);

	if (e) {
		e->is_str = true;
		snprintf(e->str, sizeof(e->str), "%s", v ? v : "");
	}
}

void ws_advice(struct ws_finding *x, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(x->advice, sizeof(x->advice), fmt, ap);
	va_end(ap);
}

void ws_evidence_unknown(struct ws_finding *x, const char *key)
{
	struct ws_evidence *e = evidence_slot(x, key);

	if (e)
		e->unknown = true;
}

void ws_evidence_unread(struct ws_findings *f, const char *what)
{
	struct ws_finding *x = NULL;
	int i;

	for (i = 0; i < f->n && !x; i++)
		if (!strcmp(f->items[i].id, "evidence_unread"))
			x = &f->items[i];
	if (!x) {
		x = ws_finding_add(f, "evidence_unread", WS_SEV_INFO, 1,
				   "some counters could not be read: what "
				   "they count is unknown, not 0");
		x->evidence_gap = true;
		ws_advice(x, "the findings that need them could not be "
			     "raised: a read of /sys, /proc or sock_diag "
			     "failed (not mounted, no permission, out of "
			     "memory); fix that and run diag again");
	}
	for (i = 0; i < x->n_ev; i++)
		if (!strcmp(x->ev[i].key, what))
			return; /* another collector said it */
	ws_evidence_unknown(x, what);
}

void ws_evidence_sysctl(struct ws_finding *x, const char *key, int64_t v)
{
	if (v < 0)
		ws_evidence_unknown(x, key);
	else
		ws_evidence_num(x, key, v);
}

static int worst_first(const void *a, const void *b)
{
	const struct ws_finding *x = a, *y = b;

	if (x->severity != y->severity)
		return (int)y->severity - (int)x->severity;
	if (x->confidence != y->confidence)
		return x->confidence < y->confidence ? 1 : -1;
	if (x->size != y->size) /* the listener that overflowed most first */
		return x->size < y->size ? 1 : -1;
	return strcmp(x->id, y->id);
}

void ws_findings_finish(struct ws_findings *f)
{
	struct ws_finding *x;
	bool gap = false;
	int i;

	for (i = 0; i < f->n; i++)
		gap |= f->items[i].evidence_gap;
	if (!ws_findings_exit_code(f)) {
		x = finding_new(f, WS_FINDINGS_MAX, "healthy", WS_SEV_INFO,
				gap || f->asked_s ? 0.5 : 0.9);
		if (f->asked_s)
			snprintf(x->title, sizeof(x->title),
				 "nothing wrong seen in the %.1f s watched, of "
				 "the %g s asked: stopped early%s",
				 f->watched_s, f->asked_s,
				 gap ? "; some evidence is missing too" : "");
		else
			snprintf(x->title, sizeof(x->title),
				 "nothing wrong seen while watching%s",
				 gap ? ", but some evidence is missing (see "
				       "the other findings)"
				     : "");
		ws_advice(x, "no action; run diag again while the problem "
			     "happens, or longer (-d 30)");
	}
	qsort(f->items, f->n, sizeof(f->items[0]), worst_first);
}

int ws_findings_exit_code(const struct ws_findings *f)
{
	int i, code = 0;

	for (i = 0; i < f->n; i++) {
		if (f->items[i].severity == WS_SEV_CRITICAL)
			return 2;
		if (f->items[i].severity == WS_SEV_WARNING)
			code = 1;
	}
	return code;
}

static bool is_integral(double v)
{
	return fabs(v) < 1e15 && (double)(int64_t)v == v;
}

/* Counts print as integers, ratios with a few digits. */
static void fmt_num(char *buf, size_t len, double v)
{
	if (is_integral(v))
		snprintf(buf, len, "%.0f", v);
	else if (fabs(v) >= 100)
		snprintf(buf, len, "%.0f", v);
	else
		snprintf(buf, len, "%.3g", v);
}

void ws_findings_print_text(const struct ws_findings *f, FILE *out, bool colour)
{
	const struct ws_finding *x;
	char num[32];
	int i, k;

	fprintf(out, "\nFindings, most severe first:\n");
	for (i = 0; i < f->n; i++) {
		x = &f->items[i];
		fprintf(out, "\n%s%-8s%s %s (confidence %.0f%%): %s\n",
			colour ? sev_colours[x->severity] : "",
			ws_severity_name(x->severity), colour ? "\033[0m" : "",
			x->id, x->confidence * 100, x->title);
		if (x->n_ev)
			fputs("  evidence:", out);
		for (k = 0; k < x->n_ev; k++) {
			if (x->ev[k].is_str || x->ev[k].unknown) {
				fprintf(out, " %s=%s", x->ev[k].key,
					x->ev[k].unknown ? "unknown"
							 : x->ev[k].str);
				continue;
			}
			fmt_num(num, sizeof(num), x->ev[k].num);
			fprintf(out, " %s=%s", x->ev[k].key, num);
		}
		if (x->n_ev)
			fputc('\n', out);
		if (x->advice[0])
			fprintf(out, "  advice: %s\n", x->advice);
	}
	if (f->lost)
		fprintf(out, "\n(%d more findings not shown)\n", f->lost);
}

void ws_findings_print_json(const struct ws_findings *f, FILE *out)
{
	const struct ws_finding *x;
	struct ws_json j;
	double v;
	int i, k;

	for (i = 0; i < f->n; i++) {
		x = &f->items[i];
		json_begin(&j, out, "finding");
		json_str(&j, "id", x->id);
		json_str(&j, "severity", ws_severity_name(x->severity));
		json_double(&j, "confidence", x->confidence);
		json_str(&j, "title", x->title);
		json_obj_begin(&j, "evidence");
		for (k = 0; k < x->n_ev; k++) {
			v = x->ev[k].num;
			if (x->ev[k].unknown)
				json_null(&j, x->ev[k].key);
			else if (x->ev[k].is_str)
				json_str(&j, x->ev[k].key, x->ev[k].str);
			else if (is_integral(v) || fabs(v) >= 1000)
				json_i64(&j, x->ev[k].key,
					 (int64_t)(v + (v < 0 ? -0.5 : 0.5)));
			else
				json_double(&j, x->ev[k].key, v);
		}
		json_obj_end(&j);
		json_str(&j, "advice", x->advice);
		json_end(&j);
	}
}
