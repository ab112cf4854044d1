// SPDX-License-Identifier: GPL-2.0
/* wirescope export: every collector's counters for Prometheus. */
#include <getopt.h>
#include <stdio.h>
#include "commands/commands.h"
#include "collectors/sizes_collector.h"
#include "collectors/handshakes_collector.h"
#include "collectors/resets_collector.h"
#include "commands/export.h"

/* Every collector export runs: adding one is one line. */
static const struct ws_collector *const export_collectors[] = {
	&ws_sizes_collector,
	&ws_handshakes_collector,
	&ws_accept_collector,
	&ws_resets_collector,
};

static const char usage[] =
    "Usage: wirescope export -i IFACE [-i IFACE]... [options]\n"
    "\n"
    "Serve the sizes, handshakes, accept and resets collectors' counters at\n"
    "/metrics in the Prometheus text format 0.0.4, plus a landing page at /\n"
    "(retransmits, send buffers and host counters: diag only).  They share\n"
    "one program per interface and direction (tc; XDP on ingress with\n"
    "-m).  Once attached, the exporter drops every capability and runs\n"
    "as --user; HTTP is only parsed after that.\n"
    "\n"
    "Options:\n"
    "  -i, --interface IFACE  watch IFACE (repeatable, at least one)\n"
    "      --listen ADDR:PORT serve here (default " WS_EXPORT_DEFAULT_LISTEN
    ");\n"
    "                         [ADDR6]:PORT for IPv6, :PORT for every IPv4\n"
    "                         address; numeric addresses only\n"
    "      --max-ports N      listener ports with their own port label\n"
    "                         (default 64, max 1024); the rest: "
    "port=\"other\"\n"
    "      --user NAME        run as NAME (or a numeric uid) once attached\n"
    "                         (default nobody; root is refused)\n"
    "      --timeout SECONDS  a client has this long to send its request,\n"
    "                         and again to read the answer (default 5)\n"
    "  -m, --mode MODE        ingress hook: tc (the default; auto is\n"
    "                         the same), native or generic "
    "(see sizes)\n"
    "      --wait-interface   an -i name no interface has yet, or that\n"
    "                         vanished while we loaded, is no error:\n"
    "                         serve without it (wirescope_interface_watched\n"
    "                         0) and exit 9 once it exists, for the service\n"
    "                         manager to restart us (the unit passes "
    "it)\n" WS_SKIP_TP_HELP WS_VERBOSE_HELP
    "      --ready-file PATH  write our pid to PATH once serving (for "
    "scripts)\n"
    "  -h, --help             this help\n"
    "\n"
    "Examples:\n"
    "  wirescope export -i eth0                      # 127.0.0.1:19460\n"
    "  wirescope export -i eth0 -i eth1 --listen 198.18.0.1:19460\n"
    "  curl -s localhost:19460/metrics | grep '^wirescope_receive'\n"
    "\n"
    "Metrics: docs/metrics.md.  systemd unit, scrape config, alert rules and\n"
    "a Grafana dashboard: tools/deploy/.\n"
    "\n"
    "Exit status: 0 ok (SIGINT/SIGTERM), 3 usage, 4 not root, 5 bad "
    "interface,\n"
    "6 kernel lacks a feature, 7 attach failed, 8 runtime error (port in "
    "use),\n"
    "9 a deleted interface is back, or a missing one (--wait-interface)\n"
    "is there: restart to watch it (the unit does).\n";

enum {
	OPT_LISTEN = WS_OPT_CMD_BASE,
	OPT_MAX_PORTS,
	OPT_USER,
	OPT_TIMEOUT,
	OPT_WAIT_IFACE,
};

static int export_option(int c, const char *arg, struct ws_opts *o,
			 const char *cmd, void *ctx)
{
	struct ws_export *x = ctx;
	unsigned long v;

	switch (c) {
	case OPT_LISTEN:
		x->listen = arg;
		return 0;
	case OPT_USER:
		x->user = arg;
		return 0;
	case OPT_MAX_PORTS:
		if (ws_parse_ulong(arg, 0, WS_PROM_MAX_PORTS, &v))
			return ws_usage_error("export",
					      "bad --max-ports '%s': 0-%d", arg,
					      WS_PROM_MAX_PORTS);
		o->prom_max_ports = v;
		/* handshakes keeps a slot per port for as many */
		if (o->max_ports < v)
			o->max_ports = v;
		return 0;
	case OPT_TIMEOUT:
		if (ws_parse_seconds(arg, &x->timeout) || x->timeout > 600)
			return ws_usage_error("export",
					      "bad --timeout '%s': seconds, "
					      "0.01-600",
					      arg);
		return 0;
	case OPT_WAIT_IFACE:
		o->wait_ifaces = true;
		return 0;
	case 'T':
	case 'j':
		return ws_usage_error("export",
				      "-T and -j do not apply: export serves "
				      "HTTP");
	default:
		return -1;
	}
}

int cmd_export(int argc, char **argv)
{
	static const struct option longopts[] = {
		WS_COMMON_LONGOPTS,
		WS_SKIP_TP_LONGOPT,
		{ "listen", required_argument, NULL, OPT_LISTEN },
		{ "max-ports", required_argument, NULL, OPT_MAX_PORTS },
		{ "user", required_argument, NULL, OPT_USER },
		{ "timeout", required_argument, NULL, OPT_TIMEOUT },
		{ "wait-interface", no_argument, NULL, OPT_WAIT_IFACE },
		{},
	};
	static const struct ws_cmd cmd = { "export", usage, longopts,
					   export_option,
					   WS_CMD_NEED_IFACE |
					       WS_CMD_NO_POSITIONALS };
	struct ws_export x = {
		.listen = WS_EXPORT_DEFAULT_LISTEN,
		.user = "nobody",
		.timeout = 5,
	};
	struct ws_opts o;
	struct ws_session s = { .o = &o };
	unsigned int i;
	int err;

	ws_opts_init(&o);
	err = ws_parse_args(&cmd, argc, argv, &o, &x);
	if (err >= 0)
		return err;
	for (i = 0; i < sizeof(export_collectors) / sizeof(*export_collectors);
	     i++)
		ws_session_add(&s, export_collectors[i]);
	return ws_export_run(&s, &x);
}
