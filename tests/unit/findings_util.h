/* SPDX-License-Identifier: GPL-2.0 */
/* What the unit tests of findings share: one finding, one evidence value. */
#ifndef WS_FINDINGS_UTIL_H
#define WS_FINDINGS_UTIL_H

#include <math.h>
#include <string.h>
#include "core/findings.h"

/* The first finding called @id, or NULL. */
static const struct ws_finding *find(const struct ws_findings *f,
				     const char *id)
{
	int i;

	for (i = 0; i < f->n; i++)
		if (!strcmp(f->items[i].id, id))
			return &f->items[i];
	return NULL;
}

/* The number @x gives as @key, NAN if none (or no @x). */
static double evidence(const struct ws_finding *x, const char *key)
{
	int i;

	for (i = 0; x && i < x->n_ev; i++)
		if (!strcmp(x->ev[i].key, key))
			return x->ev[i].num;
	return NAN;
}

/* @x gives @key as unknown (null, not measured). */
static inline bool unknown_evidence(const struct ws_finding *x, const char *key)
{
	int i;

	for (i = 0; x && i < x->n_ev; i++)
		if (!strcmp(x->ev[i].key, key))
			return x->ev[i].unknown;
	return false;
}

#endif
