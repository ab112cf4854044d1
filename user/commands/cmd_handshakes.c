// SPDX-License-Identifier: GPL-2.0
/* wirescope handshakes: every TCP three-way handshake, both roles. */
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
    "Usage: wirescope handshakes -i IFACE [-i IFACE]... [options] "
    "[interval [count]]\n"
    "\n"
    "Follow every TCP three-way handshake on the interfaces, in the kernel\n"
    "(tc on ingress and egress), and report per interval:\n"
    "  server side  SYNs in (SYN-IN), same-ISN SYN retransmissions (RETX),\n"
    "               SYN-ACKs out and their retransmissions, handshakes\n"
    "               completed (DONE: final ACK in and not dropped), SYNs\n"
    "               unanswered (no SYN-ACK within 1 s: UNANS);\n"
    "  client side  SYNs out, SYN-ACKs in, handshakes completed;\n"
    "  latency      p50/p99 and n=samples of: srv = SYN in -> SYN-ACK out\n"
    "               (the server kernel),\n"
    "               rtt = SYN-ACK out -> final ACK in (the client's RTT),\n"
    "               conn = SYN out -> SYN-ACK in (connect latency);\n"
    "  ports        the busiest local listening ports (--top), or -p PORT.\n"
    "\n"
    "Options:\n"
    "  -i, --interface IFACE  watch IFACE (repeatable, at least one)\n"
    "  -p, --port PORT        only this local listening port (repeatable)\n"
    "      --top N            ports shown per interval (default 5)\n"
    "      --hist             log2 latency histograms (usecs) every "
    "interval\n"
    "      --max-flows N      handshakes tracked at once (default 65536;\n"
    "                         160 bytes each, preallocated: 10 MiB)\n"
    "      --max-ports N      listening ports counted (default 256)\n"
    "  -T, --timestamp        prefix each line with the time\n"
    "  -j, --json             JSON Lines: interval and summary records\n"
    "  -m, --mode MODE        ingress hook: tc (the default; auto is\n"
    "                         the same), native or "
    "generic\n" WS_VERBOSE_HELP
    "      --ready-file PATH  write our pid to PATH once attached\n"
    "  -h, --help             this help\n"
    "\n"
    "Examples:\n"
    "  wirescope handshakes -i eth0               # every second\n"
    "  wirescope handshakes -i eth0 -p 443 --hist 5\n"
    "  wirescope handshakes -i eth0 -j 1 10 | jq .syn_unanswered\n"
    "\n"
    "Exit status: 0 ok, 3 usage, 4 not root, 5 bad interface (or every\n"
    "watched interface was deleted while running), 6 kernel lacks a\n"
    "feature, 7 attach failed, 8 runtime error.\n";

int cmd_handshakes(int argc, char **argv)
{
	static const struct option longopts[] = {
		WS_COMMON_LONGOPTS,
		{ "port", required_argument, NULL, 'p' },
		{ "top", required_argument, NULL, HS_OPT_TOP },
		{ "hist", no_argument, NULL, HS_OPT_HIST },
		{ "max-flows", required_argument, NULL, HS_OPT_MAX_FLOWS },
		{ "max-ports", required_argument, NULL, HS_OPT_MAX_PORTS },
		{},
	};
	static const struct ws_cmd cmd = { "handshakes", usage, longopts,
					   hs_option, WS_CMD_NEED_IFACE };

	return ws_cmd_main(&cmd, argc, argv, &ws_handshakes_collector);
}
