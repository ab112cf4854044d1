// SPDX-License-Identifier: GPL-2.0
/* wirescope sizes: packets by on-wire size, per interface and direction. */
#include <getopt.h>
#include <stdio.h>
#include "commands.h"
#include "collectors.h"

static const char usage[] =
    "Usage: wirescope sizes -i IFACE [-i IFACE]... [options] [interval "
    "[count]]\n"
    "\n"
    "Count packets by on-wire frame size (Ethernet header included, FCS\n"
    "excluded), per interface and direction, in the kernel: XDP on ingress,\n"
    "tc on egress.  One line per interval, per interface and direction;\n"
    "a summary on exit (Ctrl-C, SIGTERM, or after COUNT reports).\n"
    "\n"
    "Options:\n"
    "  -i, --interface IFACE  watch IFACE (repeatable, at least one)\n"
    "  -T, --timestamp        prefix each line with the time\n"
    "  -j, --json             JSON Lines: interval and summary records\n"
    "      --small N          'small' means shorter than N bytes (default "
    "128)\n"
    "      --hist             draw a size histogram every interval\n"
    "  -m, --mode MODE        ingress hook: native (XDP in the driver),\n"
    "                         generic (XDP on the skb) or tc; default: "
    "native,\n"
    "                         else generic\n"
    "  -v, --verbose          say how hooks were attached; libbpf debug "
    "output\n"
    "      --ready-file PATH  write our pid to PATH once attached (for "
    "scripts)\n"
    "  -h, --help             this help\n"
    "\n"
    "Egress GSO/TSO super-packets are counted as the wire frames they become.\n"
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

int cmd_sizes(int argc, char **argv)
{
	static const struct option longopts[] = {
		WS_COMMON_LONGOPTS,
		{ "small", required_argument, NULL, OPT_SMALL },
		{ "hist", no_argument, NULL, OPT_HIST },
		{},
	};
	struct ws_opts o;
	struct ws_session s = { .o = &o };
	unsigned long v;
	int c, err;

	ws_opts_init(&o);
	while ((c = getopt_long(argc, argv, WS_COMMON_SHORTOPTS, longopts,
				NULL)) != -1) {
		if (c == 'h') {
			fputs(usage, stdout);
			return WS_EXIT_OK;
		}
		err = ws_common_option(c, optarg, &o, "sizes");
		if (err > 0)
			return err;
		if (err == 0)
			continue;
		if (c == OPT_HIST) {
			o.hist = true;
		} else if (c == OPT_SMALL) {
			if (ws_parse_ulong(optarg, 1, 65535, &v))
				return ws_usage_error(
				    "sizes",
				    "bad --small '%s': bytes, "
				    "1-65535",
				    optarg);
			o.small = v;
		}
	}
	err = ws_finish_args(&o, argc, argv, optind, "sizes", true);
	if (err)
		return err;
	ws_session_add(&s, &ws_sizes_collector);
	return ws_session_run(&s);
}
