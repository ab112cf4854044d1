/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Findings: what diag concludes.  Each collector turns its totals into
 * findings through its `findings` hook; diag sorts and prints them.
 * An id is a stable, documented name (docs/diag.md): scripts match on it.
 */
#ifndef WS_FINDINGS_H
#define WS_FINDINGS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

enum ws_severity {
	WS_SEV_INFO = 0,
	WS_SEV_WARNING,
	WS_SEV_CRITICAL,
};

#define WS_FINDING_MAX_EVIDENCE 20
#define WS_FINDINGS_MAX		32
/* Below this confidence a finding is at most a warning (exit 1, not 2). */
#define WS_CRITICAL_MIN_CONFIDENCE 0.5

struct ws_evidence {
	char key[32];
	bool is_str;
	bool unknown; /* not measured: JSON null, text "unknown" */
	double num;
	char str[64];
};

struct ws_finding {
	char id[32];
	enum ws_severity severity;
	double confidence; /* 0..1: how sure the evidence makes us */
	char title[160];   /* one line: what is wrong, with the numbers */
	struct ws_evidence ev[WS_FINDING_MAX_EVIDENCE];
	int n_ev;
	char advice[640]; /* the concrete next step and why */
	bool evidence_gap; /* says evidence is missing: "healthy" is less sure */
	/* How much (the count in the title): ranks findings otherwise equal. */
	double size;
};

struct ws_findings {
	struct ws_finding items[WS_FINDINGS_MAX];
	int n;
	int lost; /* findings beyond WS_FINDINGS_MAX */
	/* A watch stopped early (a signal): seconds watched of those asked. */
	double watched_s, asked_s;
};

/*
 * diag's per-second line beyond what sizes gives: a collector's diag_cols
 * hook fills in what it measures; NAN prints as "-".
 */
struct ws_diag_cols {
	double new_conns;	 /* handshakes completed per second */
	double syn_unanswered;	 /* SYNs with no SYN-ACK within 1 s */
	double accept_overflows; /* accept-queue overflows */
	double rst_local;	 /* RSTs this host's kernel sent */
	double rst_peer;	 /* RSTs from the peer */
	double rst_middlebox;	 /* RSTs from a device on the path */
	double retrans;		 /* TCP segments retransmitted */
};

/*
 * Adds a finding; never NULL (beyond the limit, a scratch one is counted).
 * A critical one less sure than WS_CRITICAL_MIN_CONFIDENCE is a warning.
 */
struct ws_finding *ws_finding_add(struct ws_findings *f, const char *id,
				  enum ws_severity sev, double confidence,
				  const char *title_fmt, ...)
    __attribute__((format(printf, 5, 6)));
void ws_evidence_num(struct ws_finding *x, const char *key, double v);
void ws_evidence_str(struct ws_finding *x, const char *key, const char *v);
/* A value that could not be measured: null, never a made-up number. */
void ws_evidence_unknown(struct ws_finding *x, const char *key);
/*
 * Counters that could not be read (a file, a sock_diag dump): @what is
 * unknown evidence of the one "evidence_unread" finding, so no finding
 * reads their silence as nothing happened and "healthy" is less sure.
 */
void ws_evidence_unread(struct ws_findings *f, const char *what);
/* A sysctl read into @v, -1 if it could not be: then unknown, not -1. */
void ws_evidence_sysctl(struct ws_finding *x, const char *key, int64_t v);
void ws_advice(struct ws_finding *x, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Adds "healthy" when there is no warning or worse; sorts, worst first. */
void ws_findings_finish(struct ws_findings *f);
/* 0 healthy or info only, 1 a warning, 2 something critical. */
int ws_findings_exit_code(const struct ws_findings *f);
const char *ws_severity_name(enum ws_severity s);
void ws_findings_print_text(const struct ws_findings *f, FILE *out,
			    bool colour);
void ws_findings_print_json(const struct ws_findings *f, FILE *out);

#endif
