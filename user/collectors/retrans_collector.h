/* SPDX-License-Identifier: GPL-2.0 */
/* retrans: TCP retransmissions per peer (retrans.c). */
#ifndef WS_RETRANS_COLLECTOR_H
#define WS_RETRANS_COLLECTOR_H

#include "core/core.h"

extern const struct ws_collector ws_retrans_collector;

#endif
