// SPDX-License-Identifier: GPL-2.0
/* wirescope diag: watch for a few seconds, then say what is wrong. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "collectors/sizes_collector.h"
#include "collectors/handshakes_collector.h"
#include "collectors/resets_collector.h"
#include "collectors/retrans_collector.h"
#include "collectors/sndbuf_collector.h"
#include "collectors/hoststat_collector.h"
#include "commands/commands.h"
#include "commands/diag.h"
#include "core/procfs.h"

static const char usage[] =
    "Usage: wirescope diag [-i IFACE]... [-d SECONDS] [-j] [options]\n"
    "                      [interval [count]]\n"
    "\n"
    "Watch the host for a few seconds, print one line per second (packets\n"
    "in and out, the share under 75 bytes, new connections, SYNs left\n"
    "unanswered, accept overflows, TCP retransmissions, RSTs by origin),\n"
    "then the findings, most severe first: each with its evidence in\n"
    "numbers, a confidence and the concrete next step.  A column that\n"
    "could not be measured prints '-' (JSON null), never 0.\n"
    "\n"
    "Options:\n"
    "  -i, --interface IFACE  watch IFACE (repeatable); default: the\n"
    "                         interface of the default route\n"
    "  -d, --duration SECS    how long to watch (default 10); the last line\n"
    "                         covers what is left of its interval\n"
    "  -j, --json             JSON Lines: interval, finding, summary records\n"
    "  -T, --timestamp        prefix each line with the time\n"
    "      --small N          'small' means shorter than N bytes (default 75)\n"
    "      --locate           name a resetting middlebox's address with a\n"
    "                         few TTL-limited probes toward the flow's peer,\n"
    "                         and tell a refused connect's peer from a\n"
    "                         firewall (as wirescope resets --locate);\n"
    "                         the end waits up to 3 s for its probes, a\n"
    "                         second Ctrl-C skips them\n"
    "      --max-flows N      handshakes tracked at once (default 65536;\n"
    "                         160 bytes each, preallocated: 10 MiB)\n"
    "  -m, --mode MODE        ingress hook: tc (the default; auto is\n"
    "                         the same), native or "
    "generic\n" WS_SKIP_TP_HELP WS_VERBOSE_HELP
    "      --ready-file PATH  write our pid to PATH once attached\n"
    "  -h, --help             this help\n"
    "  interval [count]       seconds between lines (default 1), and at\n"
    "                         most count lines (within -d) before the\n"
    "                         findings\n"
    "\n"
    "Finding ids (stable; docs/diag.md): small_packets, accept_overflow,\n"
    "syn_unanswered, syn_retransmits_answered, connect_unanswered,\n"
    "handshake_latency, handshake_table_full, middlebox_reset,\n"
    "connection_refused,\n"
    "injected_reset, local_reset, unattributed_resets,\n"
    "resets_not_counted, iface_drops, softnet_drops,\n"
    "softnet_squeeze, egress_saturated, tcp_retransmits,\n"
    "sysctl_somaxconn, sysctl_tcp_max_syn_backlog, sysctl_rmem_max,\n"
    "sysctl_wmem_max, rcvbuf_overflow, wirescope_lost_counts,\n"
    "kernel_events_missing, evidence_unread, healthy.\n"
    "\n"
    "Examples:\n"
    "  sudo wirescope diag                   # default-route interface, 10 s\n"
    "  sudo wirescope diag -i eth0 -i eth1 -d 30\n"
    "  ssh host sudo wirescope diag -j | jq -c 'select(.type==\"finding\")'\n"
    "  xargs -P 20 -I{} ssh {} sudo wirescope diag -j < hosts\n"
    "\n"
    "Exit status: 0 healthy, 1 warnings, 2 something critical; 3 usage,\n"
    "4 not root, 5 bad interface (or every one deleted while watching),\n"
    "6 kernel lacks a feature, 7 attach failed, 8 runtime error.\n";

enum { OPT_SMALL = WS_OPT_CMD_BASE, OPT_LOCATE };

/* The interface of the default route: IPv4 first, then IPv6. */
static int add_default_iface(struct ws_opts *o)
{
	static char buf[65536];
	char name[IF_NAMESIZE];

	if ((ws_read_text("/proc/net/route", buf, sizeof(buf)) >= 0 &&
	     !parse_route_default(buf, name, sizeof(name))) ||
	    (ws_read_text("/proc/net/ipv6_route", buf, sizeof(buf)) >= 0 &&
	     !parse_ipv6_route_default(buf, name, sizeof(name))))
		return ws_add_iface(o, name);
	return ws_error(
	    WS_EXIT_IFACE,
	    "no default route to find the interface: give -i IFACE");
}

/*
 * What diag runs.  A collector joins with one line here and its findings
 * (and diag_cols) hooks; diag prints its own line, so each runs quietly.
 */
static const struct ws_collector *const diag_collectors[] = {
	&ws_sizes_collector,  &ws_handshakes_collector, &ws_accept_collector,
	&ws_resets_collector, &ws_host_collector,	&ws_retrans_collector,
	&ws_sndbuf_collector,
};

#define NDIAG (int)(sizeof(diag_collectors) / sizeof(diag_collectors[0]))

static void add_quiet_collectors(struct ws_session *s)
{
	static struct ws_collector quiet[NDIAG];
	int i;

	for (i = 0; i < NDIAG; i++) {
		quiet[i] = *diag_collectors[i];
		quiet[i].interval = NULL;
		quiet[i].summary = NULL;
		quiet[i].quiet = true;
		ws_session_add(s, &quiet[i]);
	}
	ws_session_add(s, &ws_diag_collector); /* last: reads the others */
}

static int diag_option(int c, const char *arg, struct ws_opts *o,
		       const char *cmd, void *ctx)
{
	static const struct rst_options locate = { .flows = RST_FLOWS_DEFAULT,
						   .rate = RST_RATE_DEFAULT,
						   .locate = true };

	switch (c) {
	case 'd':
		if (ws_parse_seconds(arg, &o->duration))
			return ws_usage_error(
			    "diag", "bad duration '%s': " WS_SECONDS_RANGE,
			    arg);
		return 0;
	case OPT_SMALL:
		return sizes_parse_small(arg, o, cmd);
	case OPT_LOCATE:
		resets_set_options(&locate);
		return 0;
	case HS_OPT_MAX_FLOWS:
		return hs_option(c, arg, o, cmd, ctx);
	default:
		return -1;
	}
}

int cmd_diag(int argc, char **argv)
{
	static const struct option longopts[] = {
		WS_COMMON_LONGOPTS,
		WS_SKIP_TP_LONGOPT,
		{ "duration", required_argument, NULL, 'd' },
		{ "small", required_argument, NULL, OPT_SMALL },
		{ "locate", no_argument, NULL, OPT_LOCATE },
		{ "max-flows", required_argument, NULL, HS_OPT_MAX_FLOWS },
		{},
	};
	static const struct ws_cmd cmd = { "diag", usage, longopts,
					   diag_option };
	struct ws_opts o;
	struct ws_session s = { .o = &o };
	int err;

	ws_opts_init(&o);
	o.duration = 10;
	o.small = 75;
	err = ws_parse_args(&cmd, argc, argv, &o, NULL);
	if (err >= 0)
		return err;
	if (!o.n_ifaces && (err = add_default_iface(&o)))
		return err;
	/* Stream over ssh: one line at a time even into a pipe. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	diag_set_colour(isatty(STDOUT_FILENO) && !getenv("NO_COLOR"));
	add_quiet_collectors(&s);
	err = ws_session_run(&s);
	return err ? err : diag_verdict();
}
