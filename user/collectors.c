// SPDX-License-Identifier: GPL-2.0
/* Every data collector, so the core can size the maps of those not running. */
#include <stddef.h>
#include <string.h>
#include "collectors.h"
#include "diag.h"

const struct ws_collector *const ws_all_collectors[] = {
	&ws_sizes_collector,  &ws_handshakes_collector, &ws_accept_collector,
	&ws_resets_collector, &ws_retrans_collector,	NULL,
};

bool ws_collector_reports(const struct ws_session *s, const char *name)
{
	int i;

	if (s->no_reports)
		return false;
	for (i = 0; i < s->n_collectors; i++)
		if (!strcmp(s->collectors[i]->name, name))
			return !s->collectors[i]->quiet;
	return false;
}
