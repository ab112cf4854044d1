// SPDX-License-Identifier: GPL-2.0
/*
 * The self-health collector: counts the data plane could not record (no
 * map slot, full tables, lost events).  Always on; silent while all zero.
 */
#include <inttypes.h>
#include <string.h>
#include "core/core.h"
#include "core/findings.h"
#include "health.h"
#include "wirescope.skel.h"

static const char *const health_names[WS_H_NCOUNTERS] = {
	[WS_H_SIZES_NO_SLOT] = "sizes_no_slot",
	[WS_H_RETRANS_NO_SLOT] = "retrans_no_slot",
	[WS_H_IPV6_EXT_UNWALKED] = "ipv6_ext_unwalked",
	[WS_H_HEADERS_UNREAD] = "headers_unread",
	[WS_H_RESETS_EVENT_UNREAD] = "resets_event_unread",
	[WS_H_HS_FLOW_INSERT_FAILED] = "hs_flow_insert_failed",
	[WS_H_HS_NO_FLOW] = "hs_no_flow",
	[WS_H_HS_PORTS_FULL] = "hs_ports_full",
	[WS_H_ACCEPT_LISTENERS_FULL] = "accept_listeners_full",
	[WS_H_RESETS_RATE_LIMITED] = "resets_rate_limited",
	[WS_H_RESETS_RINGBUF_FULL] = "resets_ringbuf_full",
	[WS_H_RESETS_FLOW_INSERT] = "resets_flow_insert_failed",
	[WS_H_ACCEPT_PORTS_FULL] = "accept_ports_full",
};

/*
 * A counter whose collector's code is off counts nothing: it is left out
 * of every report, not shown as "0 lost".
 */
static bool health_kept(const struct ws_session *s, int i)
{
	const typeof(*s->skel->rodata) *on = s->skel->rodata;

	if (!health_names[i])
		return false;
	switch (i) {
	case WS_H_SIZES_NO_SLOT:
		return on->sizes_enabled;
	case WS_H_RETRANS_NO_SLOT:
		return on->retrans_enabled;
	case WS_H_ACCEPT_LISTENERS_FULL:
	case WS_H_ACCEPT_PORTS_FULL:
		return on->accept_enabled;
	case WS_H_RESETS_RATE_LIMITED:
	case WS_H_RESETS_RINGBUF_FULL:
	case WS_H_RESETS_FLOW_INSERT:
	case WS_H_RESETS_EVENT_UNREAD:
		return on->resets_enabled;
	case WS_H_IPV6_EXT_UNWALKED: /* the parse both TCP collectors share */
	case WS_H_HEADERS_UNREAD:
		return (on->handshakes_enabled || on->resets_enabled) &&
		       s->o->n_ifaces;
	default: /* the handshake programs: on the interfaces only */
		return on->handshakes_enabled && s->o->n_ifaces;
	}
}

static uint64_t base[WS_H_NCOUNTERS], prev[WS_H_NCOUNTERS], cur[WS_H_NCOUNTERS];
/* What user space could not record: all of it this run's, start or not. */
static uint64_t user_lost[WS_H_NCOUNTERS];

void ws_health_count(unsigned int counter)
{
	if (counter < WS_H_NCOUNTERS)
		user_lost[counter]++;
}

static int health_sample(struct ws_session *s)
{
	int fd = bpf_map__fd(s->skel->maps.ws_health);
	uint32_t i;
	int err;

	for (i = 0; i < WS_H_NCOUNTERS; i++) {
		err = ws_percpu_sum_u64(fd, &i, s->ncpus, &cur[i], 1);
		if (err)
			return err;
		cur[i] += user_lost[i];
	}
	return 0;
}

uint64_t ws_health_lost(unsigned int counter)
{
	return counter < WS_H_NCOUNTERS ? cur[counter] - base[counter] : 0;
}

/* The collectors started before us: what they could not record counts. */
static int health_start(struct ws_session *s)
{
	int err = health_sample(s);
	int i;

	for (i = 0; i < WS_H_NCOUNTERS; i++)
		base[i] = prev[i] = cur[i] - user_lost[i];
	return err;
}

/* "features": what this kernel gives the running collectors. */
static void json_features(struct ws_json *j, struct ws_session *s)
{
	struct ws_feature f[WS_MAX_FEATURES];
	int i, n = ws_session_features(s, f);

	json_obj_begin(j, "features");
	for (i = 0; i < n; i++)
		json_bool(j, f[i].name, f[i].on);
	json_obj_end(j);
}

static void features_prom(struct ws_session *s, struct ws_buf *b)
{
	const char *name = "wirescope_feature_enabled";
	struct ws_feature f[WS_MAX_FEATURES];
	int i, n = ws_session_features(s, f);
	char labels[96];

	prom_family(b, name, "gauge",
		    "1 if this kernel gives the feature to the running "
		    "collectors, 0 if its evidence is missing "
		    "(docs/kernels.md).");
	for (i = 0; i < n; i++) {
		prom_labels(labels, sizeof(labels), "feature", f[i].name, NULL);
		prom_u64(b, name, labels, f[i].on);
	}
}

static void report(struct ws_session *s, const uint64_t *from, bool final)
{
	struct ws_json j;
	bool any = false;
	int i;

	for (i = 0; i < WS_H_NCOUNTERS; i++)
		any |= health_kept(s, i) && cur[i] != from[i];
	if (!any && !(final && s->o->json))
		return;
	if (s->o->json) {
		json_begin(&j, s->out, final ? "health_summary" : "health");
		for (i = 0; i < WS_H_NCOUNTERS; i++)
			if (health_kept(s, i))
				json_u64(&j, health_names[i], cur[i] - from[i]);
		if (final)
			json_features(&j, s);
		json_end(&j);
		return;
	}
	for (i = 0; i < WS_H_NCOUNTERS; i++)
		if (health_kept(s, i) && cur[i] != from[i])
			fprintf(s->out,
				"warning: %s: %" PRIu64 " not counted%s\n",
				health_names[i], cur[i] - from[i],
				final ? " since start" : " this interval");
}

static void health_interval(struct ws_session *s, double secs)
{
	report(s, prev, false);
	memcpy(prev, cur, sizeof(cur));
}

static void health_summary(struct ws_session *s)
{
	report(s, base, true);
}

static void health_prom(struct ws_session *s, struct ws_buf *b)
{
	const char *name = "wirescope_lost_total";
	char labels[64];
	int i;

	prom_family(b, name, "counter",
		    "Events the data plane could not record (no map slot, "
		    "map full, ring buffer lost), by health counter.");
	for (i = 0; i < WS_H_NCOUNTERS; i++) {
		if (!health_kept(s, i))
			continue;
		prom_labels(labels, sizeof(labels), "counter", health_names[i],
			    NULL);
		prom_u64(b, name, labels, cur[i] - base[i]);
	}
	features_prom(s, b);
}

/* diag: the tracing programs the collectors asked for and don't have. */
static void find_events_missing(struct ws_session *s, struct ws_findings *f)
{
	struct ws_finding *x = NULL;
	char losses[640] = "";
	size_t n;
	int i;

	for (i = 0; i < s->n_prog_uses; i++) {
		if (ws_session_use_active(s, &s->prog_uses[i]))
			continue;
		if (!x)
			x = ws_finding_add(f, "kernel_events_missing",
					   WS_SEV_INFO, 1,
					   s->o->skip_tracepoints
					       ? "events diag reads are off "
						 "(--skip-tracepoint, or the "
						 "kernel lacks them): some "
						 "evidence is missing"
					       : "this kernel lacks or refused "
						 "events diag reads: some "
						 "evidence is missing");
		ws_evidence_str(x, s->prog_uses[i].prog, "off");
		n = strlen(losses);
		snprintf(losses + n, sizeof(losses) - n, "%s%s",
			 n ? "; " : "", s->prog_uses[i].loss);
	}
	if (!x)
		return;
	x->evidence_gap = true;
	ws_advice(x, "%s; the other findings say what they could not know",
		  losses);
}

/* diag: counts the data plane could not record make the evidence partial. */
static void health_findings(struct ws_session *s, struct ws_findings *f)
{
	struct ws_finding *x = NULL;
	int i;

	for (i = 0; i < WS_H_NCOUNTERS; i++) {
		if (!health_kept(s, i) || cur[i] == base[i])
			continue;
		if (!x)
			x = ws_finding_add(f, "wirescope_lost_counts",
					   WS_SEV_INFO, 1,
					   "wirescope could not record every "
					   "event: some evidence is partial");
		ws_evidence_num(x, health_names[i], cur[i] - base[i]);
	}
	if (x) {
		x->evidence_gap = true;
		ws_advice(x, "the events counted here are missing from the "
			     "other findings' evidence (a rate limit, a full "
			     "table or buffer, or an interface without a "
			     "slot: each counter's name says which)");
	}
	find_events_missing(s, f);
}

const struct ws_collector ws_health_collector = {
	.findings = health_findings,
	.name = "health",
	.start = health_start,
	.sample = health_sample,
	.interval = health_interval,
	.summary = health_summary,
	.prom = health_prom,
};
