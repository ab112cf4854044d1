// SPDX-License-Identifier: GPL-2.0
/* wirescope sizes: packets by on-wire size, per interface and direction. */
#include <getopt.h>
#include <stdio.h>
#include "commands/commands.h"
#include "collectors/sizes_collector.h"
#include "collectors/handshakes_collector.h"
#include "collectors/resets_collector.h"
#include "collectors/retrans_collector.h"
#include "collectors/sndbuf_collector.h"
#include "collectors/hoststat_collector.h"

static const char usage[] =
    "Usage: wirescope sizes -i IFACE [-i IFACE]... [options] [interval "
    "[count]]\n"
    "\n"
    "Count packets by on-wire frame size (Ethernet header included, FCS\n"
    "excluded), per interface and direction, in the kernel: tc on ingress\n"
    "and egress (XDP with -m).  One line per interval, per interface and\n"
    "direction; a summary on exit (Ctrl-C, SIGTERM, or after COUNT\n"
    "reports).\n"
    "\n"
    "Options:\n"
    "  -i, --interface IFACE  watch IFACE (repeatable, at least one)\n"
    "  -T, --timestamp        prefix each line with the time\n"
    "  -j, --json             JSON Lines: interval and summary records\n"
    "      --small N          'small' means shorter than N bytes (default "
    "128)\n"
    "      --hist             draw a size histogram every interval\n"
    "  -m, --mode MODE        ingress hook: tc (default: tcx, else "
    "clsact),\n"
    "                         native (XDP in the driver: on veth it strips\n"
    "                         the peer's TSO, many NICs reset) or generic\n"
    "                         (XDP on the skb: a GRO or GSO super-packet\n"
    "                         counts as one frame); auto is the same as\n"
    "                         tc\n" WS_VERBOSE_HELP
    "      --ready-file PATH  write our pid to PATH once attached (for "
    "scripts)\n"
    "  -h, --help             this help\n"
    "\n"
    "GSO/TSO and GRO super-packets are counted as their wire frames (tc).\n"
    "\n"
    "Examples:\n"
    "  wirescope sizes -i eth0              # every second until Ctrl-C\n"
    "  wirescope sizes -i eth0 --small 75 5 # share under 75 B, 5 s reports\n"
    "  wirescope sizes -i eth0 -i eth1 -T 1 10\n"
    "  wirescope sizes -i eth0 -j 1 3 | jq .\n"
    "\n"
    "Exit status: 0 ok, 3 usage, 4 not root, 5 bad interface (or every\n"
    "watched interface was deleted while running), 6 kernel lacks a\n"
    "feature, 7 attach failed, 8 runtime error.\n";

enum { OPT_SMALL = WS_OPT_CMD_BASE, OPT_HIST };

static int sizes_option(int c, const char *arg, struct ws_opts *o,
			const char *cmd, void *ctx)
{
	switch (c) {
	case OPT_SMALL:
		return sizes_parse_small(arg, o, cmd);
	case OPT_HIST:
		o->hist = true;
		return 0;
	default:
		return -1;
	}
}

int cmd_sizes(int argc, char **argv)
{
	static const struct option longopts[] = {
		WS_COMMON_LONGOPTS,
		{ "small", required_argument, NULL, OPT_SMALL },
		{ "hist", no_argument, NULL, OPT_HIST },
		{},
	};
	static const struct ws_cmd cmd = { "sizes", usage, longopts,
					   sizes_option, WS_CMD_NEED_IFACE };

	return ws_cmd_main(&cmd, argc, argv, &ws_sizes_collector);
}
