/* SPDX-License-Identifier: GPL-2.0 */
#ifndef WS_DIAG_H
#define WS_DIAG_H

#include <stdbool.h>
#include "core/core.h"

/* Runs last: prints diag's line from the other collectors, then findings. */
extern const struct ws_collector ws_diag_collector;
void diag_set_colour(bool on);
/* After the session: 0 healthy, 1 warnings, 2 critical. */
int diag_verdict(void);

#endif
