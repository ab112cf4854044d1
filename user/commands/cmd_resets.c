// SPDX-License-Identifier: GPL-2.0
/* wirescope resets: who sent each TCP RST. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include "commands/commands.h"
#include "collectors/sizes_collector.h"
#include "collectors/handshakes_collector.h"
#include "collectors/resets_collector.h"
#include "collectors/retrans_collector.h"
#include "collectors/sndbuf_collector.h"
#include "collectors/hoststat_collector.h"

static const char usage[] =
    "Usage: wirescope resets -i IFACE [-i IFACE]... [-d SECONDS] [--locate] "
    "[-j]\n"
    "                        [interval count]\n"
    "\n"
    "Print one line for every TCP RST sent or received on the interfaces,\n"
    "and for every reset this host's kernel decided, with a verdict on who\n"
    "sent it: local (with the kernel's reason), local_netfilter,\n"
    "peer_abort, peer_no_socket, middlebox (hops before the peer),\n"
    "injected or unknown.  A summary grouped by origin, with advice, ends\n"
    "the run.  Lines come about 1 s after each RST: the kernel's view and\n"
    "any burst are waited for.  lo is watched too (a local netfilter\n"
    "reject of an outgoing segment comes back on lo).\n"
    "\n"
    "Options:\n"
    "  -i, --interface IFACE  watch IFACE (repeatable, at least one)\n"
    "  -d, --duration SECONDS stop after SECONDS (default: until Ctrl-C)\n"
    "      --locate           find a middlebox's address with TTL-limited\n"
    "                         TCP probes on the flow's own ports (at most\n"
    "                         2 per hop up to the peer's distance, only\n"
    "                         toward the flow's peer); for a refused\n"
    "                         connect, SYN probes up to the RST's distance\n"
    "                         + 1 and one echo request tell the peer from a\n"
    "                         firewall before it (at most 16 runs); the\n"
    "                         end waits up to 3 s for probes, a second\n"
    "                         Ctrl-C skips them\n"
    "  -j, --json             JSON Lines: {\"type\":\"rst\"} per RST, then\n"
    "                         {\"type\":\"summary\"}\n"
    "      --flows N          flow baselines kept (LRU; default 65536);\n"
    "                         closed flows leave, evictions are counted\n"
    "      --rate N           RST events per second per CPU (default 200;\n"
    "                         the rest are counted as resets_rate_limited)\n"
    "  -m, --mode MODE        ingress hook: tc (the default; auto is\n"
    "                         the same), native or generic\n"
    "                         (native leaves lo unwatched: it has no\n"
    "                         native XDP)\n" WS_SKIP_TP_HELP WS_VERBOSE_HELP
    "      --ready-file PATH  write our pid to PATH once attached\n"
    "  -h, --help             this help\n"
    "  interval count         stop after interval x count seconds, as -d\n"
    "                         (at most 86400)\n"
    "                         (an interval alone changes nothing: no line\n"
    "                         is periodic)\n"
    "\n"
    "Flows that started before wirescope get a baseline from their next\n"
    "packet; an RST on a flow with no packet from its peer yet is\n"
    "'unknown'.  docs/resets.md explains every verdict and its blind spots.\n"
    "\n"
    "Examples:\n"
    "  wirescope resets -i eth0                  # until Ctrl-C\n"
    "  wirescope resets -i eth0 -d 600 --locate  # ten minutes, find hops\n"
    "  wirescope resets -i eth0 -j | jq 'select(.verdict==\"middlebox\")'\n"
    "\n"
    "Exit status: 0 ok, 3 usage, 4 not root, 5 bad interface (or every\n"
    "watched interface was deleted while running), 6 kernel lacks a\n"
    "feature, 7 attach failed, 8 runtime error.\n";

enum { OPT_LOCATE = WS_OPT_CMD_BASE, OPT_FLOWS, OPT_RATE };

static int resets_option(int c, const char *arg, struct ws_opts *o,
			 const char *cmd, void *ctx)
{
	struct rst_options *ro = ctx;
	unsigned long v;

	switch (c) {
	case 'd':
		if (ws_parse_seconds(arg, &o->duration))
			return ws_usage_error(
			    "resets", "bad duration '%s': " WS_SECONDS_RANGE,
			    arg);
		return 0;
	case OPT_LOCATE:
		ro->locate = true;
		return 0;
	case 'T':
		return ws_usage_error("resets", "-T does not apply: each line "
						"has its own time");
	case OPT_FLOWS:
		if (ws_parse_ulong(arg, 64, 1 << 24, &v))
			return ws_usage_error(
			    "resets", "bad --flows '%s': 64-16777216", arg);
		ro->flows = v;
		return 0;
	case OPT_RATE:
		if (ws_parse_ulong(arg, 1, 1000000, &v))
			return ws_usage_error(
			    "resets", "bad --rate '%s': 1-1000000", arg);
		ro->rate = v;
		return 0;
	default:
		return -1;
	}
}

static bool watches_lo(const struct ws_opts *o)
{
	int i;

	for (i = 0; i < o->n_ifaces; i++)
		if (!strcmp(o->ifaces[i].name, "lo"))
			return true;
	return false;
}

/* lo is watched on our own account: it alone keeps no run going. */
static int watch_lo(struct ws_opts *o)
{
	int n = o->n_ifaces, err;

	if (watches_lo(o))
		return 0;
	if (n == WS_MAX_IFACES)
		return ws_usage_error(
		    "resets", "at most %d interfaces: lo is watched too",
		    WS_MAX_IFACES - 1);
	err = ws_add_iface(o, "lo");

	if (!err && o->n_ifaces > n)
		o->ifaces[n].implicit = true;
	return err;
}

int cmd_resets(int argc, char **argv)
{
	static const struct option longopts[] = {
		WS_COMMON_LONGOPTS,
		WS_SKIP_TP_LONGOPT,
		{ "duration", required_argument, NULL, 'd' },
		{ "locate", no_argument, NULL, OPT_LOCATE },
		{ "flows", required_argument, NULL, OPT_FLOWS },
		{ "rate", required_argument, NULL, OPT_RATE },
		{},
	};
	static const struct ws_cmd cmd = { "resets", usage, longopts,
					   resets_option, WS_CMD_NEED_IFACE };
	struct rst_options ro = { .flows = RST_FLOWS_DEFAULT,
				  .rate = RST_RATE_DEFAULT };
	struct ws_opts o;
	struct ws_session s = { .o = &o };
	int err;

	ws_opts_init(&o);
	err = ws_parse_args(&cmd, argc, argv, &o, &ro);
	if (err >= 0)
		return err;
	/* lo has no native XDP: there the local-reject view is lost. */
	if (o.mode == WS_MODE_NATIVE) {
		if (!watches_lo(&o))
			ws_warn("resets: -m native: lo not watched, so a local "
				"netfilter reject of an outgoing segment is "
				"not seen");
	} else if ((err = watch_lo(&o))) {
		return err;
	}
	/*
	 * No periodic report: [interval count] is a duration, and the
	 * interval how often settled RSTs are decided.  With -d too, the
	 * shorter ends the watch, as for every command.
	 */
	if (o.count) {
		if (o.interval * o.count > WS_SECONDS_MAX)
			return ws_usage_error("resets", "interval x count: at "
							"most 86400 s, as -d");
		if (!o.duration || o.interval * o.count < o.duration)
			o.duration = o.interval * o.count;
	}
	o.count = 0;
	o.interval = 0.25;
	resets_set_options(&ro);
	ws_session_add(&s, &ws_resets_collector);
	return ws_session_run(&s);
}
