// SPDX-License-Identifier: GPL-2.0
/* Every data collector, so the core can size the maps of those not running. */
#include <stddef.h>
#include <string.h>
#include "collectors/sizes_collector.h"
#include "collectors/handshakes_collector.h"
#include "collectors/resets_collector.h"
#include "collectors/retrans_collector.h"
#include "collectors/sndbuf_collector.h"
#include "collectors/hoststat_collector.h"
#include "commands/diag.h"

const struct ws_collector *const ws_all_collectors[] = {
	&ws_sizes_collector,  &ws_handshakes_collector, &ws_accept_collector,
	&ws_resets_collector, &ws_retrans_collector,	NULL,
};
