/* SPDX-License-Identifier: GPL-2.0 */
/* The command front-ends: each parses its options and runs a session. */
#ifndef WS_COMMANDS_H
#define WS_COMMANDS_H

#include "core/core.h"

int cmd_sizes(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_diag(int argc, char **argv);
int cmd_handshakes(int argc, char **argv);
int cmd_accept(int argc, char **argv);
int cmd_resets(int argc, char **argv);

#endif
